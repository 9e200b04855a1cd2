"""Data sources: what a source yields, known before any file is read.

Call contract: ``impl(spec) -> DataSplits`` (``base_impl``; one module per source, imported only when named).

Every source yields items ``{image_key: Tensor, label_key: int64 scalar (when labelled)}``.
Images are channels-first ``[C, H, W]`` (layout ``channels_first``), float32 in [-1, 1] or uint8 pixels
0..255 that the model converts (``base_impl.to_model_range``; image_folder, paired_folder); point sets
are ``[D]`` float32 vectors (layout ``vector``). The layout is declared by the source and never guessed
from a shape. A deterministic share ``val_fraction`` of the items (a permutation seeded by
``split_seed``) forms the validation set; 0 means no validation set.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
