"""2-D toy point sets (moons, swiss roll, Gaussian mixture) as [2] float32 vectors of roughly unit scale."""

from __future__ import annotations

import math

import numpy as np
import torch

from ddpm_kit.components.data.base import VECTOR
from ddpm_kit.components.data.base_impl import DataSplits, split_tensors
from ddpm_kit.components.data.toy2d import Toy2dSpec


def generate_points(spec: Toy2dSpec) -> tuple[np.ndarray, np.ndarray | None]:
    """Raw points [n, 2] in the generator's units, and labels [n] where the set has classes."""
    from sklearn.datasets import make_blobs, make_moons, make_swiss_roll

    if spec.dataset == "moons":
        points, labels = make_moons(spec.n_samples, noise=spec.noise, random_state=spec.seed)
        return points, labels
    if spec.dataset == "swiss_roll":
        points, _ = make_swiss_roll(spec.n_samples, noise=spec.noise, random_state=spec.seed)
        return points[:, [0, 2]], None  # x = t cos t, z = t sin t; y is the roll's height
    angles = 2 * math.pi * np.arange(spec.n_components) / spec.n_components
    centers = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # [K, 2] on the unit circle
    points, labels = make_blobs(spec.n_samples, centers=centers, cluster_std=spec.noise, random_state=spec.seed)
    return points, labels


def standardize(points: np.ndarray) -> np.ndarray:
    """(x - mean) / std with one scalar std over both coordinates (keeps the aspect ratio)."""
    centred = points - points.mean(axis=0, keepdims=True)
    scale = centred.std()
    return centred / scale if scale > 0 else centred


def build_toy2d(spec: Toy2dSpec) -> DataSplits:
    points, labels = generate_points(spec)
    tensors = {spec.image_key: torch.as_tensor(standardize(points), dtype=torch.float32)}  # [n, 2]
    if spec.labels:
        assert labels is not None
        tensors[spec.label_key] = torch.as_tensor(labels, dtype=torch.int64)  # [n]
    return split_tensors(tensors, spec.val_fraction, spec.split_seed, VECTOR)
