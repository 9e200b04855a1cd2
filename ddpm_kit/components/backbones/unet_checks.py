"""The cross-field rules and warnings of ``UNetSpec`` (torch-free): each returns ``(loc, type, message, input)``
errors or ``(loc, message)`` warnings, all collected before one ValidationError is raised."""

from __future__ import annotations

from typing import Any

from ddpm_kit.registry.sizes import as_hw

#: the ``UNetSpec`` being validated (not imported: ``ddpm_kit.components.backbones.unet`` imports this module)
UNetSpec = Any

#: GroupNorm group count of every UNet normalisation (upstream ``normalization(ch)``).
GROUPNORM_GROUPS = 32

Loc = tuple[str | int, ...]


def spatial_problems(levels: int, height: int, width: int, levels_field: str = "channel_mult") -> list[str]:
    """The first level whose downsampling factor 2**level does not divide H and W (the skip connections of the
    decoder would not line up), as a message naming H, W, the level and its factor; empty when all divide.
    ``levels_field``: the backbone field that sets the number of levels (for the hint)."""
    for level in range(1, levels):
        factor = 2**level
        bad = [f"{axis} = {value}" for axis, value in (("H", height), ("W", width)) if value % factor]
        if bad:
            return [f"{height}x{width} (H x W) cannot be downsampled by this UNet: level {level} of {levels} "
                    f"downsamples by {factor}, which does not divide {' and '.join(bad)}; use H and W divisible "
                    f"by 2**(levels-1) = {2 ** (levels - 1)}, or fewer {levels_field} levels"]
    return []


def check_augment(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    if s.augment_dim is not None and s.dims != 2:
        return [(("augment_dim",), "augment_dims", f"augmentation labels need a 2-D UNet (dims=2), got dims={s.dims}",
                 s.augment_dim)]
    return []


def check_widths(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
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


def check_levels(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
    errors: list[tuple[Loc, str, str, Any]] = []
    levels = s.levels
    if isinstance(s.num_res_blocks, tuple) and len(s.num_res_blocks) != levels:
        errors.append((("num_res_blocks",), "per_level_length",
                       f"a per-level num_res_blocks needs one entry per channel_mult level ({levels}), "
                       f"got {len(s.num_res_blocks)}", s.num_res_blocks))
    problems = spatial_problems(levels, *as_hw(s.image_size))
    if problems:
        errors.append((("image_size",), "image_size_levels", problems[0], s.image_size))
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


def check_heads(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
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


def check_head_widths(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
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
    return dedupe_by_field(errors)


def check_conditioning(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
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


def check_transformer(s: UNetSpec) -> list[tuple[Loc, str, str, Any]]:
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


def dedupe_by_field(errors: list[tuple[Loc, str, str, Any]]) -> list[tuple[Loc, str, str, Any]]:
    """Keep the first error of each field (one clear message instead of one per layer)."""
    seen, out = set(), []
    for error in errors:
        if error[0] not in seen:
            seen.add(error[0])
            out.append(error)
    return out


def unet_warnings(s: UNetSpec) -> list[tuple[Loc, str]]:
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
