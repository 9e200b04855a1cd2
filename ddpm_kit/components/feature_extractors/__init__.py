"""Feature extractors for sample-quality metrics.

Call contract: every extractor's ``impl(spec)`` is an ``nn.Module`` in eval mode with frozen weights whose
``forward(images [B, C, H, W] in [-1, 1]) -> (features [B, D] float32, probs [B, K] or None)``.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
