"""Torch implementations of the backbone specs (``ddpm_kit.specs.backbones``).

``unet.build_unet`` (CompVis ``UNetModel``, state-dict compatible), ``mlp.build_mlp`` (vector data)
and ``wrapper.DiffusionWrapper`` (upstream's conditioning modes). Import the submodules directly.
"""
