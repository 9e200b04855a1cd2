"""ddpm-kit-diffusers: diffusers' ``UNet2DModel`` as the ddpm-kit backbone `diffusers.unet2d`.

The spec (``ddpm_kit_diffusers.specs``) imports neither torch nor diffusers, so configs validate
without them; ``ddpm_kit_diffusers.backbone`` imports diffusers when the network is built.
"""

__version__ = "0.1.0"
