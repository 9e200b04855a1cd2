"""Element-wise losses (torch-free specs), one module each.

A loss gives one number per sample: the element-wise error averaged over every non-batch axis (CompVis
``get_loss(..., mean=False).mean([1, 2, 3])``, here for any rank). Implementations:
``ddpm_kit.components.losses``.
"""
