"""The ``model`` section: every argument of the CompVis ``DDPM.__init__`` under its name and default.

Components are named through the registries (``beta_schedule``, ``loss_type``, ``unet_config``,
``scheduler_config``) and a few ddpm-kit additions sit beside them (``loss_weighting``, ``ema``,
``sampler``, ``lvlb_weights``). Per-field rules live here; rules that relate several fields
(or a field and a component) live in ``ddpm_kit.config.rules``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ddpm_kit.registry import (
    BACKBONES, EMAS, LOSSES, LR_SCHEDULES, SAMPLERS, SCHEDULES, WEIGHTINGS,
    BackboneSpec, Component, EMASpec, LossSpec, LRScheduleSpec, SamplerSpec, ScheduleSpec, WeightingSpec,
)
from ddpm_kit.registry.scalars import reject_bool_number
from ddpm_kit.registry.sizes import ImageSize, as_hw

Parameterization = Literal["eps", "x0", "v"]
ConditioningKey = Literal["concat", "crossattn", "hybrid", "adm", "hybrid-adm", "crossattn-adm"]

#: upper bound of T: the schedule, its float64 reference and the buffers stay small (upstream uses 1000)
MAX_TIMESTEPS = 100_000

#: CompVis flat arguments that feed the beta schedule (copied into the schedule spec when it declares them).
FLAT_SCHEDULE_ARGS = ("linear_start", "linear_end", "cosine_s")


class StrictModel(BaseModel):
    """Base of the config sections: unknown keys are errors, NaN/inf are refused, defaults are validated."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True, validate_assignment=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Booleans are never numbers and numbers never booleans (``max_steps: yes`` is an error)."""
        return reject_bool_number(cls, value, info)


class ModelConfig(StrictModel):
    """Arguments of ``DDPM`` (CompVis names and defaults), validated before anything is built."""

    unet_config: Annotated[BackboneSpec, Component(BACKBONES)] = Field(
        description="the denoising network: {name: unet, ...upstream UNetModel arguments} or {name: mlp, ...}"
    )
    timesteps: int = Field(1000, ge=2, le=MAX_TIMESTEPS, description="T, the number of diffusion steps")
    beta_schedule: Annotated[ScheduleSpec, Component(SCHEDULES)] = Field(
        "linear", description="beta schedule by name (CompVis 'linear' is linear in sqrt(beta)) or {name, ...params}"
    )
    loss_type: Annotated[LossSpec, Component(LOSSES)] = Field("l2", description="element-wise loss: l2, l1, huber")
    ckpt_path: str | None = Field(None, min_length=1, description="checkpoint to initialise from")
    ignore_keys: list[str] = Field(default_factory=list, description="checkpoint key PREFIXES to drop when loading")
    load_only_unet: bool = Field(False,
                                 description="load ckpt_path into the wrapped network only (keys 'diffusion_model.*')")
    monitor: str | None = Field("val/loss", min_length=1, description="metric that ranks checkpoints")
    use_ema: bool = Field(True, description="keep an EMA copy of the network (model_ema)")
    first_stage_key: str = Field("image", min_length=1, description="batch key holding the data")
    image_size: ImageSize = Field(256, description="side of the square samples, or [H, W]")
    channels: int = Field(3, ge=1, le=4096, description="channels of the samples (features for vector data)")
    log_every_t: int = Field(100, ge=1, description="stride of stored intermediates while sampling")
    clip_denoised: bool = Field(True, description="clamp the predicted x0 to [-1, 1] while sampling")
    linear_start: float = Field(1e-4, gt=0, lt=1, description="first beta of the linear-type schedules")
    linear_end: float = Field(2e-2, gt=0, lt=1, description="last beta of the linear-type schedules")
    cosine_s: float = Field(8e-3, ge=0, lt=1, description="offset s of the cosine schedule")
    given_betas: list[Annotated[float, Field(gt=0, le=1)]] | None = Field(
        None, min_length=2, description="explicit betas; replaces beta_schedule, timesteps, linear_*, cosine_s"
    )
    original_elbo_weight: float = Field(0.0, ge=0, le=1e6, description="weight of the variational-bound term loss_vlb")
    v_posterior: float = Field(0.0, ge=0, le=1, description="posterior variance = (1-v)*beta_tilde + v*beta")
    l_simple_weight: float = Field(1.0, ge=0, le=1e6, description="weight of loss_simple")
    conditioning_key: ConditioningKey | None = Field(None, description="DiffusionWrapper mode")
    parameterization: Parameterization = Field("eps", description="what the network predicts: eps, x0 or v")
    scheduler_config: Annotated[LRScheduleSpec, Component(LR_SCHEDULES)] | None = Field(
        None, description="learning-rate schedule (LambdaLR multiplier), e.g. {name: lambda_linear, ...}"
    )
    use_positional_encodings: bool = Field(False, description="append coordinate channels to the network input")
    learn_logvar: bool = Field(False, description="learn the per-timestep log-variance that rescales the loss")
    logvar_init: float = Field(0.0, ge=-20, le=20, description="initial value of logvar")
    # Stability-AI additions.
    make_it_fit: bool = Field(False, description="resize mismatching checkpoint tensors when loading")
    reset_ema: bool = Field(False, description="after loading ckpt_path, restart the EMA from the loaded weights")
    reset_num_ema_updates: bool = Field(False, description="restart the EMA warm-up counter")
    ucg_training: dict[str, UCGEntry] | None = Field(None,
                                                     description="per-batch-key condition dropout {key: {p, val}}")
    # ddpm-kit additions.
    loss_weighting: Annotated[WeightingSpec, Component(WEIGHTINGS)] = Field(
        "none", description="per-sample loss weighting by SNR: none, min_snr, p2"
    )
    ema: list[Annotated[EMASpec, Component(EMAS)]] | Annotated[EMASpec, Component(EMAS)] = Field(
        default_factory=lambda: ["lit_ema"],
        description="EMA strategy, or a list of them; the first is model_ema (used for validation and sampling)",
    )
    sampler: Annotated[SamplerSpec, Component(SAMPLERS)] = Field("ddpm", description="sampler used for logged samples")
    condition_keys: ConditionKeys = Field(
        default_factory=lambda: ConditionKeys(), description="batch keys holding the conditions of conditioning_key"
    )
    guidance_scale: float = Field(
        1.0, ge=0, le=100, description="classifier-free guidance scale used when sampling (1: no guidance)"
    )
    lvlb_weights: Literal["compvis", "corrected"] = Field(
        "compvis",
        description="'compvis' keeps upstream's x0 weights (with its precedence slip); 'corrected' fixes them"
    )

    def item_shape(self) -> tuple[int, ...]:
        """Shape of one sample (what the data yields and the samplers produce): (channels,) for a vector
        backbone, (channels, H, W) otherwise (``image_size`` an int for square images or [H, W])."""
        if self.unet_config.data_dims() == 1:
            return (self.channels,)
        return (self.channels, *as_hw(self.image_size))

    @field_validator("ignore_keys", mode="before")
    @classmethod
    def _prefix_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"must be a list of key prefixes, e.g. [{value!r}]; a bare string would be read character by "
                f"character by upstream and delete unrelated keys"
            )
        return value

    @field_validator("given_betas", mode="before")
    @classmethod
    def _array_to_list(cls, value: Any) -> Any:
        return value.tolist() if hasattr(value, "tolist") else value

    @field_validator("ema", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, (str, dict, EMASpec)) else value

    @field_validator("ema", mode="after")
    @classmethod
    def _at_least_one(cls, value: Any) -> list[EMASpec]:
        value = value if isinstance(value, list) else [value]
        if not value:
            raise ValueError("give at least one EMA strategy (or set use_ema: false)")
        return value


class ConditionKeys(StrictModel):
    """Batch keys of the conditions: ``concat`` (channel-concatenated), ``context`` (cross-attention), ``labels``."""

    concat: str | None = Field(None, min_length=1, description="key of the tensor concatenated to x (concat, hybrid)")
    context: str | None = Field(None, min_length=1, description="key of the cross-attention context [B, M, D]")
    labels: str | None = Field(None, min_length=1, description="key of the class labels (adm modes)")

    def used(self) -> dict[str, str]:
        return {k: v for k, v in (("concat", self.concat), ("context", self.context), ("labels", self.labels)) if v}


class UCGEntry(StrictModel):
    """Condition dropout for one batch key: replace it with ``val`` with probability ``p`` (seeded)."""

    p: float = Field(ge=0, le=1, description="replacement probability")
    val: Any = Field("", description="replacement value (upstream: None means '')")


ModelConfig.model_rebuild()
