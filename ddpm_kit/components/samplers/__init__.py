"""Reverse-process samplers, and their pure-Python timestep rules (``spacings``).

Call contract: every sampler's ``impl(spec)`` is an object with
``sample(denoiser, buffers, shape, *, parameterization, clip_denoised, generator, log_every_t=None,
x_T=None) -> (samples, intermediates)``, ``denoiser(x, t: LongTensor[B]) -> model output``: a
``ddpm_kit.diffusion.sampling.loop.Sampler`` that supplies its steps (``plan``) and its update; the shared loop
does the rest. ``sigma`` / ``sigma_impl`` are the base of the k-diffusion-style samplers.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
