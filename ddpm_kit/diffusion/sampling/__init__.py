"""The sampler machinery every sampler shares (pure torch, no Lightning).

``prediction``: the prediction contract (``Denoiser`` turns the network output into a ``Prediction`` in a
``Frame``); ``loop``: ``Sampler``, the one loop (a sampler supplies its ``Step`` list and its update);
``network``: the network call (classifier-free guidance, chunking); ``editing``: SDEdit and inpainting;
``common``: per-sample noise, timestep batches and the checks the loop and the samplers share. The samplers
themselves are components (``ddpm_kit.components.samplers``). Import the submodules directly.
"""
