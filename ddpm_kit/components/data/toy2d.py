"""`toy2d`: 2-D point sets for quick checks."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from ddpm_kit.components.data.base import IMPL_PACKAGE, VECTOR, SplitDataSpec
from ddpm_kit.registry import report_warning


class Toy2dSpec(SplitDataSpec):
    """2-D point sets from scikit-learn: moons, swiss_roll (x and z coordinates), gaussian_mixture.

    gaussian_mixture: ``n_components`` equal-weight Gaussians of std ``noise`` centred on the unit
    circle (``make_blobs``). ``noise`` is in each generator's own units (moons: radius 1; swiss roll:
    radius up to ~14). The points are then centred and divided by their overall standard deviation
    (one scalar, aspect kept), so they have roughly unit scale (not clipped to [-1, 1]). Deterministic
    given ``seed``. Labels (moons: which moon; gaussian_mixture: the component) on request.
    """

    name: Literal["toy2d"] = "toy2d"
    dataset: Literal["moons", "swiss_roll", "gaussian_mixture"] = Field("moons", description="point set")
    n_samples: int = Field(10_000, ge=2, le=10_000_000, description="points generated (train + validation)")
    noise: float = Field(0.05, ge=0.0, le=100.0, description="std of the Gaussian noise, in the generator's units")
    n_components: int = Field(8, ge=1, le=1000, description="gaussian_mixture only: number of components")
    seed: int = Field(0, ge=0, lt=2**32, description="generator seed")
    labels: bool = Field(False, description="yield class labels (moons, gaussian_mixture)")
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.toy2d_impl:build_toy2d"

    def num_items(self) -> int:
        return self.n_samples

    @model_validator(mode="after")
    def _dataset_options(self, info: ValidationInfo) -> Toy2dSpec:
        default = type(self).model_fields["n_components"].default
        if self.dataset != "gaussian_mixture" and self.n_components != default:
            report_warning(info, ("n_components",), f"is ignored by dataset {self.dataset!r} (gaussian_mixture only)")
        if self.labels and self.dataset == "swiss_roll":
            raise ValueError("swiss_roll has no classes; set labels: false")
        held_out = round(self.n_samples * self.val_fraction)
        if self.val_fraction > 0 and not 1 <= held_out < self.n_samples:
            raise ValueError(f"val_fraction {self.val_fraction} of {self.n_samples} points leaves an empty split")
        return self

    def item_layout(self) -> str | None:
        return VECTOR

    def sample_shape(self) -> tuple[int, ...] | None:
        return (2,)

    def has_labels(self) -> bool:
        return self.labels

    def num_classes(self) -> int | None:
        if not self.labels:
            return None
        return 2 if self.dataset == "moons" else self.n_components
