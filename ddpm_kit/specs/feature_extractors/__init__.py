"""Feature extractors for sample-quality metrics (torch-free specs), one module each.

Every extractor's ``impl(spec)`` is an ``nn.Module`` in eval mode with frozen weights whose
``forward(images [B, C, H, W] in [-1, 1]) -> (features [B, D] float32, probs [B, K] or None)``.
"""
