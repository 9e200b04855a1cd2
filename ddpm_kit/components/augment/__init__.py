"""Augmentations: how a training image is changed before the loss.

Call contract: ``impl(spec)(images [B, C, H, W], generators [B]) -> (images, condition [B, k] or None)``;
``base_impl.Augmentations`` applies the ``data.augment`` list as one seeded step of the training batch.

Augmentations are listed under ``data.augment`` and applied in order to the training batch inside the
training step, never in DataLoader workers, validation or sampling. Sample i of optimizer step n draws
from a generator seeded ``derive_seed(seed, "augment", k, n, micro, i)`` (k: the augmentation's position
in the list, micro: the micro-batch of gradient accumulation, i: the sample's index in the global batch),
so a resumed run draws what an uninterrupted one draws and DDP ranks draw disjoint streams. An
augmentation whose ``condition_dim()`` is k > 0 hands the network its parameters as a condition
(``augment_labels`` [B, k]; zeros, i.e. no augmentation, when sampling).

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
