"""Backbones: the denoising networks.

Call contract: ``impl(spec) -> nn.Module`` with ``forward(x, timesteps, context=None, y=None)``.

``unet`` (spec) / ``unet_impl.build_unet`` (CompVis ``UNetModel``, state-dict compatible), ``mlp`` /
``mlp_impl.build_mlp`` (vector data); ``unet_checks`` holds the UNet's torch-free cross-field checks and
``conditioning`` the torch-free conditioning contract of upstream's ``DiffusionWrapper``. The UNet's torch
building blocks (layers, ResBlock, attention, embeddings, transformer, the wrapper) are in ``nn``.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
