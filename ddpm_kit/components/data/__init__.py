"""Data sources: ``impl(spec) -> DataSplits`` (one module per source, imported only when named)."""

from ddpm_kit.components.data.base import DataSourceError, DataSplits, TensorDictDataset, split_indices

__all__ = ["DataSourceError", "DataSplits", "TensorDictDataset", "split_indices"]
