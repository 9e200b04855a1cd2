"""Sample-quality evaluation: feature statistics, Frechet distance, KID, k-NN precision/recall,
classifier score, memorisation score, feature extraction and cached reference statistics.

This package file imports nothing heavy: ``ddpm_kit.evaluation.names`` and ``ddpm_kit.evaluation.errors``
are torch-free (the config layer imports them); the metric modules import numpy/torch themselves.
"""
