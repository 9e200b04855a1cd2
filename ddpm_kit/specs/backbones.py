"""Backbone specs (torch-free): the CompVis ``UNetModel`` and a small time-conditioned MLP.

The conditioning contract of upstream's ``DiffusionWrapper`` lives in ``ddpm_kit.specs.conditioning``
and is re-exported here.

Cross-field rules are checked after the fields, all at once, each error on its own field.
Problems upstream tolerates (unreachable attention factors, options that have no effect) are
warnings: appended as ``(field_path, message)`` to ``context["warnings"]`` when the caller
validates with ``model_validate(data, context={"warnings": []})``, else ``warnings.warn`` with
``SpecWarning``.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from ddpm_kit.registry import BackboneSpec, SpecWarning, report_warning
from ddpm_kit.specs.conditioning import CONDITIONING_KEYS, ConditioningSlots, conditioning_slots

#: GroupNorm group count of every UNet normalisation (upstream ``normalization(ch)``).
GROUPNORM_GROUPS = 32

Loc = tuple[str | int, ...]


def raise_cross_field_errors(title: str, errors: list[tuple[Loc, str, str, Any]]) -> None:
    """Raise one ValidationError holding every ``(loc, error_type, message, input)``, each on its field."""
    if errors:
        details = [
            InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)
            for loc, kind, message, value in errors
        ]
        raise ValidationError.from_exception_data(title, details)


# --------------------------------------------------------------------------- UNet
PositiveInt = Annotated[int, Field(ge=1)]
HeadsInt = Annotated[int, Field(ge=-1)]
#: ResBlocks per level and levels: bounded so the pure-Python layout checks stay instant (upstream uses 1..4)
BlocksInt = Annotated[int, Field(ge=1, le=64)]
MAX_LEVELS = 16


class UNetSpec(BackboneSpec):
    """CompVis/Stability ``UNetModel``: ADM U-Net eps_theta(x_t, t, context, y) with upstream's arguments.

    emb = MLP(sinusoidal(t)) [+ label_emb(y)]; per level ``num_res_blocks`` ResBlocks (GroupNorm32,
    SiLU, conv, FiLM or additive time embedding) with self-attention (``AttentionBlock``) or a
    cross-attention ``SpatialTransformer`` where the downsample factor is in
    ``attention_resolutions``; mirrored decoder with skip concatenation ``cat([h, skip])``.
    State-dict names and shapes equal upstream's, so upstream weights load with ``strict=True``.
    Sources: Ho et al. 2020; Dhariwal & Nichol 2021 (guided-diffusion ``unet.py``); Rombach et al.
    2022, ``ldm/modules/diffusionmodules/openaimodel.py`` (CompVis a506df57, Stability-AI cf1d67a6).
    """

    impl: ClassVar[str] = "ddpm_kit.backbones.unet:build_unet"
    name: Literal["unet"] = "unet"

    image_size: PositiveInt = Field(description="declared spatial side; only stored upstream (the network accepts "
                                                "any side divisible by 2**(levels-1))")
    in_channels: PositiveInt = Field(description="input channels (data + concatenated condition channels)")
    model_channels: PositiveInt = Field(description="base width; also the sinusoidal time-embedding size")
    out_channels: PositiveInt = Field(description="output channels of the final conv")
    num_res_blocks: BlocksInt | tuple[BlocksInt, ...] = Field(
        description="ResBlocks per level on the way down (one int, or one per level); the way up has one more")
    attention_resolutions: tuple[PositiveInt, ...] = Field(
        description="downsample FACTORS (1, 2, 4, ...) where attention is inserted, not pixel resolutions")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout in each ResBlock's output branch")
    channel_mult: tuple[PositiveInt, ...] = Field(
        (1, 2, 4, 8), min_length=1, max_length=MAX_LEVELS,
        description="width multiplier per level; the first must be 1")
    conv_resample: bool = Field(True, description="learned 3x3 conv down/up-sampling (else avg-pool / nearest)")
    dims: Literal[1, 2, 3] = Field(2, description="1-, 2- or 3-D convolutions (3-D resamples the last two axes)")
    num_classes: PositiveInt | Literal["continuous", "sequential"] | None = Field(
        None, description="class labels y: int -> Embedding; 'continuous' -> Linear(1, 4*mc); "
                          "'sequential' -> MLP from adm_in_channels")
    use_checkpoint: bool = Field(False, description="gradient checkpointing of ResBlocks and attention in training")
    use_fp16: bool = Field(False, description="upstream dtype flag; has no effect (use the trainer's precision)")
    use_bf16: bool = Field(False, description="upstream dtype flag; has no effect (use the trainer's precision)")
    num_heads: HeadsInt = Field(-1, description="attention heads (-1: derive from num_head_channels)")
    num_head_channels: HeadsInt = Field(-1, description="width per attention head (-1: use num_heads)")
    num_heads_upsample: HeadsInt = Field(
        -1, description="heads of decoder AttentionBlocks (-1: num_heads); only with legacy and num_heads")
    use_scale_shift_norm: bool = Field(False, description="FiLM: norm(h) * (1 + scale) + shift from the embedding")
    resblock_updown: bool = Field(False, description="ResBlocks with built-in up/down-sampling as resamplers")
    use_new_attention_order: bool = Field(False, description="split q,k,v before heads (QKVAttention) instead "
                                                             "of heads first (QKVAttentionLegacy)")
    use_spatial_transformer: bool = Field(False, description="SpatialTransformer (self + cross-attention + "
                                                             "GEGLU FF) instead of AttentionBlock")
    transformer_depth: PositiveInt = Field(1, description="transformer blocks per SpatialTransformer")
    context_dim: PositiveInt | tuple[PositiveInt, ...] | None = Field(
        None, description="cross-attention context width (one per transformer block if a list)")
    n_embed: PositiveInt | None = Field(None, description="codebook-logit head of upstream; not supported")
    legacy: bool = Field(True, description="upstream head-width bookkeeping switch")
    disable_self_attentions: tuple[bool, ...] | None = Field(
        None, description="per level: the first transformer attention attends to the context only")
    num_attention_blocks: tuple[Annotated[int, Field(ge=0)], ...] | None = Field(
        None, description="per level cap on attention layers (subordinate to attention_resolutions)")
    disable_middle_self_attn: bool = Field(False, description="disable_self_attentions for the middle block")
    use_linear_in_transformer: bool = Field(False, description="Linear instead of 1x1 conv proj_in/proj_out")
    adm_in_channels: PositiveInt | None = Field(None, description="input width of the 'sequential' label MLP")

    # ------------------------------------------------------------------ layout (pure Python)
    @property
    def levels(self) -> int:
        return len(self.channel_mult)

    def res_blocks_per_level(self) -> tuple[int, ...]:
        nrb = self.num_res_blocks
        return tuple(nrb) if isinstance(nrb, tuple) else (nrb,) * self.levels

    def reachable_factors(self) -> tuple[int, ...]:
        """Downsample factors that exist: 2**level for each level."""
        return tuple(2**level for level in range(self.levels))

    def has_attention(self, level: int, index: int) -> bool:
        """Whether ResBlock ``index`` of ``level`` (either path) is followed by attention (upstream rule)."""
        if 2**level not in self.attention_resolutions:
            return False
        return self.num_attention_blocks is None or index < self.num_attention_blocks[level]

    def attention_sites(self) -> list[tuple[str, int, bool]]:
        """(module path, width, on decoder path) of every attention layer, middle block included."""
        mc, sites, block = self.model_channels, [], 1
        for level, mult in enumerate(self.channel_mult):
            for i in range(self.res_blocks_per_level()[level]):
                if self.has_attention(level, i):
                    sites.append((f"input_blocks.{block}.1", mc * mult, False))
                block += 1
            block += level != self.levels - 1
        sites.append(("middle_block.1", mc * self.channel_mult[-1], False))
        block = 0
        for level in reversed(range(self.levels)):
            for i in range(self.res_blocks_per_level()[level] + 1):
                if self.has_attention(level, i):
                    sites.append((f"output_blocks.{block}.1", mc * self.channel_mult[level], True))
                block += 1
        return sites

    def attention_heads(self, channels: int, decoder: bool = False) -> tuple[int, int]:
        """(heads, width per head) of the attention layer of ``channels`` width, as upstream builds it.

        num_head_channels wins when set (heads = C // num_head_channels); SpatialTransformer uses
        num_heads; AttentionBlock on the decoder path uses num_heads_upsample only when legacy.
        """
        if self.num_head_channels != -1:
            return channels // self.num_head_channels, self.num_head_channels
        heads = self.num_heads
        if decoder and self.legacy and not self.use_spatial_transformer and self.num_heads_upsample != -1:
            heads = self.num_heads_upsample
        return heads, channels // heads

    def context_dims(self) -> tuple[int, ...]:
        """Context width of each transformer block (an int applies to all, as in CompVis LD)."""
        if self.context_dim is None:
            return ()
        if isinstance(self.context_dim, tuple):
            return self.context_dim
        return (self.context_dim,) * self.transformer_depth

    # ------------------------------------------------------------------ hooks
    def data_channels(self) -> int | None:
        return self.in_channels

    def output_channels(self) -> int | None:
        return self.out_channels

    def spatial_size(self) -> int | None:
        return self.image_size

    def accepts_labels(self) -> bool:
        return self.num_classes is not None

    def accepts_context(self) -> bool:
        return self.use_spatial_transformer

    def data_dims(self) -> int:
        return self.dims + 1

    # ------------------------------------------------------------------ validation
    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> UNetSpec:
        layout_errors = _check_levels(self)
        heads_errors = _check_heads(self)
        errors = _check_widths(self) + layout_errors + heads_errors
        if not layout_errors and not heads_errors:  # the attention layout is well defined
            errors += _check_head_widths(self)
        errors += _check_conditioning(self) + _check_transformer(self)
        raise_cross_field_errors(type(self).__name__, errors)
        for path, message in _unet_warnings(self):
            report_warning(info, path, message)
        return self


def _check_widths(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    bad = [m for m in s.channel_mult if (s.model_channels * m) % GROUPNORM_GROUPS]
    if bad:
        widths = ", ".join(str(s.model_channels * m) for m in bad)
        errors.append((("model_channels",), "groupnorm_groups",
                       f"every width model_channels * channel_mult must be a multiple of {GROUPNORM_GROUPS} "
                       f"(GroupNorm groups); got {widths}", s.model_channels))
    if s.channel_mult[0] != 1:
        errors.append((("channel_mult", 0), "channel_mult_first",
                       "channel_mult[0] must be 1: the final conv takes model_channels inputs "
                       "(upstream fails only at the first forward)", s.channel_mult[0]))
    return errors


def _check_levels(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    levels = s.levels
    if isinstance(s.num_res_blocks, tuple) and len(s.num_res_blocks) != levels:
        errors.append((("num_res_blocks",), "per_level_length",
                       f"a per-level num_res_blocks needs one entry per channel_mult level ({levels}), "
                       f"got {len(s.num_res_blocks)}", s.num_res_blocks))
    divisor = 2 ** (levels - 1)
    if s.image_size % divisor:
        errors.append((("image_size",), "image_size_levels",
                       f"image_size must be divisible by 2**(levels-1) = {divisor} for {levels} levels", s.image_size))
    for field in ("disable_self_attentions", "num_attention_blocks"):
        value = getattr(s, field)
        if value is not None and len(value) != levels:
            errors.append(((field,), "per_level_length",
                           f"{field} needs one entry per channel_mult level ({levels}), got {len(value)}", value))
    nrb_ok = not isinstance(s.num_res_blocks, tuple) or len(s.num_res_blocks) == levels
    if s.num_attention_blocks is not None and len(s.num_attention_blocks) == levels and nrb_ok:
        per_level = s.res_blocks_per_level()
        for level, cap in enumerate(s.num_attention_blocks):
            if cap > per_level[level]:
                errors.append((("num_attention_blocks", level), "attention_cap",
                               f"num_attention_blocks[{level}]={cap} exceeds num_res_blocks at that level "
                               f"({per_level[level]})", cap))
    return errors


def _check_heads(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    for field in ("num_heads", "num_head_channels", "num_heads_upsample"):
        if getattr(s, field) == 0:
            errors.append(((field,), "heads_zero", f"{field} must be -1 (unset) or >= 1", 0))
    if (s.num_heads == -1) == (s.num_head_channels == -1):
        which = "both are set" if s.num_heads != -1 else "neither is set"
        errors.append((("num_head_channels",), "heads_exclusive",
                       f"set exactly one of num_heads / num_head_channels ({which}; upstream silently prefers "
                       "num_head_channels)", s.num_head_channels))
    return errors


def _check_head_widths(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    """The head count (or head width) must divide every attention width (upstream asserts late)."""
    errors: list[tuple[Loc, str, str, Any]] = []
    for path, width, decoder in s.attention_sites():
        heads, _ = s.attention_heads(width, decoder)
        if s.num_head_channels != -1:
            field, divisor = "num_head_channels", s.num_head_channels
        elif decoder and heads == s.num_heads_upsample and heads != s.num_heads:
            field, divisor = "num_heads_upsample", heads
        else:
            field, divisor = "num_heads", heads
        if width % divisor:
            errors.append(((field,), "heads_divide",
                           f"{field}={divisor} does not divide the attention width {width} of {path}", divisor))
    return _dedupe_by_field(errors)


def _check_conditioning(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    if s.n_embed is not None:
        errors.append((("n_embed",), "unsupported",
                       "n_embed (upstream's VQ codebook-logit head, which replaces the denoiser output) is not "
                       "supported by ddpm-kit; remove it", s.n_embed))
    if s.num_classes == "sequential" and s.adm_in_channels is None:
        errors.append((("adm_in_channels",), "missing",
                       "num_classes='sequential' needs adm_in_channels (input width of the label MLP)", None))
    if s.adm_in_channels is not None and s.num_classes != "sequential":
        errors.append((("adm_in_channels",), "unused",
                       "adm_in_channels is only used with num_classes='sequential'", s.adm_in_channels))
    return errors


def _check_transformer(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    if s.use_spatial_transformer and s.context_dim is None:
        errors.append((("context_dim",), "missing",
                       "use_spatial_transformer needs context_dim (the cross-attention context width)", None))
    if s.context_dim is not None and not s.use_spatial_transformer:
        errors.append((("context_dim",), "unused",
                       "context_dim is set but use_spatial_transformer is false: set it to true for "
                       "cross-attention, or remove context_dim", s.context_dim))
    if isinstance(s.context_dim, tuple) and len(s.context_dim) != s.transformer_depth:
        errors.append((("context_dim",), "per_depth_length",
                       f"a list context_dim needs one entry per transformer block (transformer_depth="
                       f"{s.transformer_depth}), got {len(s.context_dim)}", s.context_dim))
    if s.use_spatial_transformer and s.dims != 2:
        errors.append((("dims",), "transformer_dims", "use_spatial_transformer works on 2-D feature maps only "
                       f"(dims=2), got dims={s.dims}", s.dims))
    return errors


def _dedupe_by_field(errors: list[tuple[Loc, str, str, Any]]) -> list[tuple[Loc, str, str, Any]]:
    """Keep the first error of each field (one clear message instead of one per layer)."""
    seen, out = set(), []
    for error in errors:
        if error[0] not in seen:
            seen.add(error[0])
            out.append(error)
    return out


def _unet_warnings(s: UNetSpec) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    unreachable = [f for f in s.attention_resolutions if f not in s.reachable_factors()]
    if unreachable:
        out.append((("attention_resolutions",),
                    f"factor(s) {unreachable} are never reached with {s.levels} levels (reachable: "
                    f"{list(s.reachable_factors())}) and add no attention (upstream ignores them silently); "
                    "attention_resolutions are downsample factors, not pixel resolutions"))
    ignored = []
    if s.num_heads_upsample != -1 and (s.num_head_channels != -1 or s.use_spatial_transformer or not s.legacy):
        ignored.append(("num_heads_upsample", "num_head_channels, use_spatial_transformer or legacy=False"))
    if not s.use_spatial_transformer:
        for field in ("transformer_depth", "disable_self_attentions", "disable_middle_self_attn",
                      "use_linear_in_transformer"):
            if field in s.model_fields_set and getattr(s, field) != type(s).model_fields[field].default:
                ignored.append((field, "use_spatial_transformer=false"))
    elif s.use_new_attention_order:
        ignored.append(("use_new_attention_order", "use_spatial_transformer=true"))
    if s.resblock_updown and not s.conv_resample:
        ignored.append(("conv_resample", "resblock_updown=true"))
    for field, because in ignored:
        out.append(((field,), f"has no effect with {because}"))
    single = [i for i, m in enumerate(s.channel_mult) if s.model_channels * m == GROUPNORM_GROUPS]
    if single and not s.use_scale_shift_norm:
        out.append((("use_scale_shift_norm",),
                    f"level(s) {single} have {GROUPNORM_GROUPS} channels: GroupNorm({GROUPNORM_GROUPS}) then "
                    "normalises each channel alone and removes the time (and label) embedding that the ResBlock "
                    "adds per channel, so those blocks do not see t; set use_scale_shift_norm: true or use >= 64 "
                    "channels"))
    for field in ("use_fp16", "use_bf16"):
        if getattr(s, field):
            out.append(((field,), "has no effect on the network (as in Stability-AI upstream); weights stay "
                                  "float32 and mixed precision comes from the trainer's precision setting"))
    return out


from ddpm_kit.specs.mlp import MLPSpec  # noqa: E402  (re-exported: one import for the built-in backbone specs)

__all__ = [
    "CONDITIONING_KEYS", "ConditioningSlots", "MLPSpec", "SpecWarning", "UNetSpec",
    "conditioning_slots", "report_warning",
]
