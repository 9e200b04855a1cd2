"""Torch implementations of the built-in feature extractors (specs in ``ddpm_kit.specs.feature_extractors``)."""
