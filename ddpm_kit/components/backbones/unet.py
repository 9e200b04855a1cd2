"""The UNet backbone spec (torch-free): the CompVis ``UNetModel`` (the MLP is ``mlp``).

The conditioning contract of upstream's ``DiffusionWrapper`` lives in ``ddpm_kit.components.backbones.conditioning``,
the torch-free cross-field checks in ``unet_checks``.

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

from ddpm_kit.components.backbones.unet_checks import (
    Loc,
    check_augment,
    check_conditioning,
    check_head_widths,
    check_heads,
    check_levels,
    check_transformer,
    check_widths,
    spatial_problems,
    unet_warnings,
)
from ddpm_kit.registry import BackboneSpec, report_warning
from ddpm_kit.registry.sizes import ImageSize


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

    impl: ClassVar[str] = "ddpm_kit.components.backbones.unet_impl:build_unet"
    name: Literal["unet"] = "unet"

    image_size: ImageSize = Field(description="declared side, or [H, W]; only stored upstream (the network accepts "
                                              "any H and W divisible by 2**(levels-1))")
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
    augment_dim: PositiveInt | None = Field(
        None, description="width of the augmentation labels (edm_augment's condition), mapped by a bias-free Linear "
                          "into the time embedding (EDM map_augment); None: no augmentation condition")

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

    def spatial_size(self) -> ImageSize | None:
        return self.image_size

    def check_spatial(self, height: int, width: int) -> list[str]:
        return spatial_problems(self.levels, height, width)

    def augment_condition_dim(self) -> int | None:
        return self.augment_dim

    def accepts_labels(self) -> bool:
        return self.num_classes is not None

    def accepts_context(self) -> bool:
        return self.use_spatial_transformer

    def data_dims(self) -> int:
        return self.dims + 1

    # ------------------------------------------------------------------ validation
    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> UNetSpec:
        layout_errors = check_levels(self)
        heads_errors = check_heads(self)
        errors = check_widths(self) + layout_errors + heads_errors
        if not layout_errors and not heads_errors:  # the attention layout is well defined
            errors += check_head_widths(self)
        errors += check_conditioning(self) + check_transformer(self) + check_augment(self)
        raise_cross_field_errors(type(self).__name__, errors)
        for path, message in unet_warnings(self):
            report_warning(info, path, message)
        return self
