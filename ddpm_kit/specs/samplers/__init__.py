"""Reverse-process samplers (torch-free specs), one module each, and their pure-Python timestep rules.

Every sampler's ``impl(spec)`` is an object with
``sample(denoiser, buffers, shape, *, parameterization, clip_denoised, generator, log_every_t=None,
x_T=None) -> (samples, intermediates)``, ``denoiser(x, t: LongTensor[B]) -> model output``.
"""
