"""The component families: one base spec (with the family's shared interface) and one registry each.

| kind          | entry-point group              | implementation call signature                                   |
|---------------|--------------------------------|-----------------------------------------------------------------|
| schedule      | ``ddpm_kit.schedules``         | ``spec.reference_betas(T)``; a torch twin ``impl(spec, T)`` only |
|               |                                | where bitwise parity needs torch's arithmetic                   |
| loss          | ``ddpm_kit.losses``            | ``impl(spec)(prediction, target) -> Tensor[B]`` per-sample loss |
| weighting     | ``ddpm_kit.weightings``        | ``spec.weight_reference(snr, parameterization)``, no ``impl``   |
| backbone      | ``ddpm_kit.backbones``         | ``impl(spec) -> nn.Module`` with ``forward(x, t, context, y)``  |
| ema           | ``ddpm_kit.ema``               | ``impl(spec, model)``: object with ``update(step, model)``      |
| sampler       | ``ddpm_kit.samplers``          | ``impl(spec)``: object with ``sample(...)`` (see samplers)      |
| data          | ``ddpm_kit.data``              | ``impl(spec) -> DataSplits`` (train / val datasets)             |
| lr_schedule   | ``ddpm_kit.lr_schedules``      | ``impl(spec) -> Callable[[step], multiplier]``                  |
| feature_extractor | ``ddpm_kit.feature_extractors`` | ``impl(spec) -> nn.Module``: images -> (features, probs)    |
| augment       | ``ddpm_kit.augmentations``     | ``impl(spec)(images, generators) -> (images, cond or None)``    |

Everything in this module is torch-free: the bases declare pure-Python hooks that the
config layer uses for cross-field checks before any compute starts. A schedule and a weighting are one
class each: their pure-Python formula is what the model uses (``make_betas``, ``weight_table``).
"""

from __future__ import annotations

import math
from typing import ClassVar

from typing import Annotated

from pydantic import Field

from ddpm_kit.registry.field import Component
from ddpm_kit.registry.registry import Registry
from ddpm_kit.registry.sizes import ImageSize
from ddpm_kit.registry.spec import Spec

#: What a network can predict: the noise, the clean data, or v (Salimans & Ho 2022). The one list; every
#: check of a parameterization goes through ``check_parameterization``.
PARAMETERIZATIONS: tuple[str, ...] = ("eps", "x0", "v")


def check_parameterization(parameterization: str) -> None:
    """ValueError unless ``parameterization`` is one of ``PARAMETERIZATIONS``."""
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"unknown parameterization {parameterization!r} (known: {', '.join(PARAMETERIZATIONS)})")


def alphas_cumprod(betas: list[float]) -> list[float]:
    """alpha_bar_t = prod_{s<=t} (1 - beta_s), accumulated left to right as ``np.cumprod`` does."""
    out, running = [], 1.0
    for beta in betas:
        running *= 1.0 - beta
        out.append(running)
    return out


class ScheduleSpec(Spec):
    """A beta schedule: maps the number of steps T to betas[T] in (0, 1].

    ``reference_betas`` is the formula, in pure-Python float64: validation, the model (through
    ``make_betas``) and the tests all use it. ``impl`` stays empty unless bitwise parity with an upstream
    that computes the betas in torch needs torch's own arithmetic; then it names a torch twin
    ``impl(spec, timesteps) -> Tensor[T] float64`` and the class says why.
    """

    kind: ClassVar[str] = "schedule"
    needs_impl: ClassVar[bool] = False
    #: False for schedules whose length is fixed by their own parameters (given_betas).
    uses_timesteps: ClassVar[bool] = True

    def reference_betas(self, timesteps: int) -> list[float]:
        """The betas in pure-Python float64: what validation checks and the model registers."""
        raise NotImplementedError

    def check(self, timesteps: int) -> list[str]:
        """Problems with this schedule at this T (empty when fine), in pure Python."""
        return []

    def reference_alphas_cumprod(self, timesteps: int) -> list[float]:
        """alpha_bar_t = prod_{s<=t} (1 - beta_s), in pure Python."""
        return alphas_cumprod(self.reference_betas(timesteps))


class LossSpec(Spec):
    """An element-wise error reduced to one loss per sample (mean over all but the batch axis)."""

    kind: ClassVar[str] = "loss"


class WeightingSpec(Spec):
    """A per-sample loss weight as a function of the signal-to-noise ratio at t.

    ``weight_reference`` is the formula, in pure Python; the model evaluates it once per timestep into a
    [T] table when it is built (``ddpm_kit.components.weightings.base_impl.weight_table``) and looks the weights up
    per step, so a weighting has no torch implementation (``impl`` stays empty).
    """

    kind: ClassVar[str] = "weighting"
    needs_impl: ClassVar[bool] = False
    #: parameterizations this weighting is defined for
    parameterizations: ClassVar[tuple[str, ...]] = PARAMETERIZATIONS

    def weight_reference(self, snr: float, parameterization: str) -> float:
        """The weight w(snr) >= 0 for SNR in [0, inf] (inf included: alpha_bar = 1 in float32)."""
        raise NotImplementedError


class BackboneSpec(Spec):
    """The denoising network: ``forward(x, timesteps, context=None, y=None)``."""

    kind: ClassVar[str] = "backbone"

    def data_channels(self) -> int | None:
        """Channels of the input the backbone expects (None when not an image backbone)."""
        return None

    def output_channels(self) -> int | None:
        return None

    def spatial_size(self) -> ImageSize | None:
        """Side (an int) or (H, W) the backbone was declared for (None when it accepts any)."""
        return None

    def check_spatial(self, height: int, width: int) -> list[str]:
        """Problems with inputs of H x W pixels (empty when the network takes them), in pure Python."""
        return []

    def augment_condition_dim(self) -> int | None:
        """Width of the augmentation condition the network takes (``augment_labels`` [B, k]); None: none."""
        return None

    def accepts_labels(self) -> bool:
        return False

    def accepts_context(self) -> bool:
        return False

    def data_dims(self) -> int:
        """Number of non-batch axes of the data (3 for images, 1 for vectors)."""
        return 3


class EMASpec(Spec):
    """An exponential moving average of the weights, updated from the step and the weights."""

    kind: ClassVar[str] = "ema"

    def half_life_steps(self, step: int, batch_size: int | None = None) -> float | None:
        """Half-life in optimizer steps at ``step`` (pure Python; None when undefined). ``batch_size``, the
        run's effective batch, converts strategies defined in images."""
        return None


class SamplerSpec(Spec):
    """A reverse-process sampler; declares what it supports so validation can refuse a bad pairing."""

    kind: ClassVar[str] = "sampler"
    parameterizations: ClassVar[tuple[str, ...]] = PARAMETERIZATIONS
    supports_clip_denoised: ClassVar[bool] = True
    #: whether the sampler draws noise after x_T (False: the samples are a function of x_T alone)
    stochastic: ClassVar[bool] = False
    #: network evaluations per step (Heun and single-step 2S: 2, but 1 on the last step to sigma = 0)
    evaluations_per_step: ClassVar[int] = 1

    def num_steps(self, timesteps: int) -> int:
        """Number of network evaluations (NFE) for a schedule of ``timesteps`` steps."""
        raise NotImplementedError

    def check(self, timesteps: int) -> list[str]:
        """Problems with this sampler at this T (empty when fine)."""
        return []


class AugmentSpec(Spec):
    """An augmentation of the training images, applied per sample in the training step (never to validation
    or sampling). ``impl(spec)`` returns ``augment(images [B, C, H, W], generators [B]) -> (images, condition
    [B, k] or None)``: sample i draws from ``generators[i]`` alone, and ``condition_dim()`` = k is the width of
    the condition it hands the network (0: none)."""

    kind: ClassVar[str] = "augment"

    def condition_dim(self) -> int:
        """k, the width of the condition vector per sample (0 when the augmentation is leaky-free by itself)."""
        return 0


AUGMENTATIONS: Registry[AugmentSpec] = Registry("augment", AugmentSpec, "ddpm_kit.augmentations",
                                                "training-image augmentation")


class DataSpec(Spec):
    """A data source; every source has a batch size and yields named batch keys."""

    kind: ClassVar[str] = "data"
    batch_size: int = Field(128, ge=1, description="samples per batch on each device")
    num_workers: int = Field(0, ge=0, le=256, description="DataLoader worker processes (at most 256)")
    pin_memory: bool | None = Field(None, description="page-locked batches for faster host-to-GPU copies "
                                                      "(None: on when training on a GPU)")
    persistent_workers: bool | None = Field(None, description="keep DataLoader workers between epochs "
                                                              "(None: on when num_workers > 0)")
    augment: list[Annotated[AugmentSpec, Component(AUGMENTATIONS)]] = Field(
        default_factory=list, description="augmentations of the training images, applied in order in the "
                                          "training step, e.g. [{name: hflip, p: 0.5}]")

    def sample_shape(self) -> tuple[int, ...] | None:
        """Shape of one sample of the first-stage key (C, H, W) or (D,), when known without reading data."""
        return None

    def keys(self) -> tuple[str, ...]:
        """Batch keys this source yields."""
        return ("image",)

    def key_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shape of one item of each batch key whose shape is known without reading data (e.g. a concat
        condition's [C, H, W], which validation checks against the backbone's in_channels); may be partial."""
        return {}


class LRScheduleSpec(Spec):
    """A learning-rate multiplier as a function of the optimizer step (LambdaLR)."""

    kind: ClassVar[str] = "lr_schedule"

    def multiplier_reference(self, step: int) -> float:
        raise NotImplementedError


class FeatureExtractorSpec(Spec):
    """A frozen network mapping images [B, C, H, W] in [-1, 1] to features [B, D] (and class probabilities [B, K]
    where it has classes), for sample-quality metrics. ``impl(spec)`` returns an ``nn.Module`` that stays in eval
    mode, whose ``forward(images) -> (features, probs or None)`` is deterministic and independent of the batch it
    is called with. The spec declares, in pure Python, what images it takes and how it adapts them."""

    kind: ClassVar[str] = "feature_extractor"

    def feature_dim(self) -> int:
        """D, the length of one feature vector."""
        raise NotImplementedError

    def num_classes(self) -> int | None:
        """K when the extractor gives class probabilities, else None."""
        return None

    def check_input(self, channels: int, height: int, width: int) -> list[str]:
        """Problems with images of this shape (empty when the extractor takes them, after its own resizing)."""
        return []

    def weights_identity(self) -> str:
        """What identifies the weights (a file's sha256), for caches of reference features."""
        raise NotImplementedError

    def example_input_shape(self) -> tuple[int, int, int]:
        """One (C, H, W) the extractor takes: what the conformance checks feed it."""
        raise NotImplementedError


SCHEDULES: Registry[ScheduleSpec] = Registry("schedule", ScheduleSpec, "ddpm_kit.schedules", "beta schedule")
LOSSES: Registry[LossSpec] = Registry("loss", LossSpec, "ddpm_kit.losses", "element-wise loss")
WEIGHTINGS: Registry[WeightingSpec] = Registry("weighting", WeightingSpec, "ddpm_kit.weightings", "loss weighting")
BACKBONES: Registry[BackboneSpec] = Registry("backbone", BackboneSpec, "ddpm_kit.backbones", "denoising network")
EMAS: Registry[EMASpec] = Registry("ema", EMASpec, "ddpm_kit.ema", "EMA strategy")
SAMPLERS: Registry[SamplerSpec] = Registry("sampler", SamplerSpec, "ddpm_kit.samplers", "sampler")
DATA_SOURCES: Registry[DataSpec] = Registry("data", DataSpec, "ddpm_kit.data", "data source")
LR_SCHEDULES: Registry[LRScheduleSpec] = Registry(
    "lr_schedule", LRScheduleSpec, "ddpm_kit.lr_schedules", "learning-rate schedule"
)

FEATURE_EXTRACTORS: Registry[FeatureExtractorSpec] = Registry(
    "feature_extractor", FeatureExtractorSpec, "ddpm_kit.feature_extractors", "feature extractor"
)

REGISTRIES: dict[str, Registry] = {
    r.kind: r for r in (SCHEDULES, LOSSES, WEIGHTINGS, BACKBONES, EMAS, SAMPLERS, DATA_SOURCES, LR_SCHEDULES,
                        FEATURE_EXTRACTORS, AUGMENTATIONS)
}


def snr_from_alpha_bar(alpha_bar: float) -> float:
    """SNR(t) = alpha_bar_t / (1 - alpha_bar_t); inf at alpha_bar = 1."""
    return math.inf if alpha_bar >= 1.0 else alpha_bar / (1.0 - alpha_bar)
