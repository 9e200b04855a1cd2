"""The `diffusers.unet2d` backbone spec (torch-free, diffusers-free).

Field names and defaults are those of ``diffusers.UNet2DModel.__init__`` (a diffusers config's
``block_out_channels``, ``down_block_types`` ... carry over); options ddpm-kit cannot feed
(``class_embed_type`` other than a label table, ``num_train_timesteps``) are left out.
"""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from ddpm_kit.registry import BackboneSpec, report_warning
from ddpm_kit.registry.sizes import ImageSize, as_hw
from ddpm_kit.components.backbones.unet_checks import spatial_problems

DownBlock = Literal["DownBlock2D", "AttnDownBlock2D", "ResnetDownsampleBlock2D"]
UpBlock = Literal["UpBlock2D", "AttnUpBlock2D", "ResnetUpsampleBlock2D"]
Width = Annotated[int, Field(ge=1, le=8192)]
INSTALL_HINT = "pip install 'ddpm-kit-diffusers[diffusers]' (or pip install diffusers)"


def diffusers_installed() -> bool:
    """Whether ``import diffusers`` can find the package (the package is not imported)."""
    try:
        return importlib.util.find_spec("diffusers") is not None
    except (ImportError, ValueError):  # a None entry in sys.modules, a broken parent package
        return False


class UNet2DSpec(BackboneSpec):
    """diffusers ``UNet2DModel``: the DDPM/ADM U-Net of Hugging Face diffusers, eps/x0/v_theta(x_t, t[, y]).

    emb = TimestepEmbedding(sinusoidal(t) or GaussianFourier(t)) [+ Embedding(y)]; per level
    ``layers_per_block`` ResnetBlock2D (GroupNorm, act, conv, additive or scale-shift time embedding),
    with self-attention in the ``Attn*`` blocks; a mid block; a mirrored decoder with skip
    concatenation; the last down block does not downsample. ``forward(x, t, y=labels)`` returns
    ``UNet2DModel(x, t, class_labels=y).sample`` ([B, out_channels, H, W]). Weights live under
    ``unet.*`` with diffusers' names, so a diffusers ``state_dict`` loads with the prefix added.
    Source: Ho et al. 2020 (architecture); huggingface/diffusers ``models/unets/unet_2d.py``.
    """

    name: Literal["diffusers.unet2d"] = "diffusers.unet2d"
    impl: ClassVar[str] = "ddpm_kit_diffusers.backbone:build_unet2d"
    #: a small network for ``ddpm-kit plugins check`` (the defaults mirror diffusers' 4-level 224..896 U-Net)
    conformance_examples: ClassVar[tuple[dict[str, Any], ...]] = (
        {"sample_size": 8, "in_channels": 1, "out_channels": 1, "block_out_channels": (8, 16),
         "down_block_types": ("DownBlock2D", "AttnDownBlock2D"), "up_block_types": ("AttnUpBlock2D", "UpBlock2D"),
         "layers_per_block": 1, "norm_num_groups": 4, "attention_head_dim": 4, "num_class_embeds": 3},
    )

    sample_size: ImageSize = Field(32, description="side of the square images, or [H, W] (diffusers stores it only)")
    in_channels: int = Field(3, ge=1, le=4096, description="input channels")
    out_channels: int = Field(3, ge=1, le=4096, description="output channels (the model's channels)")
    center_input_sample: bool = Field(False, description="feed 2 x - 1 instead of x (for data in [0, 1])")
    time_embedding_type: Literal["positional", "fourier"] = Field(
        "positional", description="sinusoidal timestep features, or Gaussian Fourier features of log(t)")
    flip_sin_to_cos: bool = Field(True, description="order of the sinusoidal features: [cos, sin] when true")
    freq_shift: int = Field(0, ge=0, le=1, description="frequency shift of the sinusoidal features (0 or 1)")
    down_block_types: tuple[DownBlock, ...] = Field(
        ("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"), min_length=1, max_length=8,
        description="encoder block per level (Attn*: with self-attention)")
    up_block_types: tuple[UpBlock, ...] = Field(
        ("AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"), min_length=1, max_length=8,
        description="decoder block per level, deepest first")
    block_out_channels: tuple[Width, ...] = Field(
        (224, 448, 672, 896), min_length=1, max_length=8, description="width of each level")
    layers_per_block: int = Field(2, ge=1, le=16, description="ResNet layers per encoder block (decoder: one more)")
    mid_block_scale_factor: float = Field(1.0, gt=0.0, le=10.0, description="output scale of the mid block")
    downsample_padding: int = Field(1, ge=0, le=2, description="padding of the strided downsampling conv")
    downsample_type: Literal["conv", "resnet"] = Field("conv", description="strided conv or ResNet downsampler")
    upsample_type: Literal["conv", "resnet"] = Field("conv", description="interpolate + conv or ResNet upsampler")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout in the ResNet blocks")
    act_fn: Literal["silu", "swish", "mish", "gelu"] = Field("silu", description="activation function")
    attention_head_dim: int | None = Field(8, ge=1, le=4096, description="width per attention head "
                                                                        "(None: one head)")
    norm_num_groups: int = Field(32, ge=1, le=1024, description="GroupNorm groups (must divide every width)")
    norm_eps: float = Field(1e-5, gt=0.0, le=1e-1, description="GroupNorm epsilon")
    resnet_time_scale_shift: Literal["default", "scale_shift"] = Field(
        "default", description="add the time embedding, or FiLM: norm(h) (1 + scale) + shift")
    add_attention: bool = Field(True, description="self-attention in the mid block")
    num_class_embeds: int | None = Field(None, ge=1, le=1_000_000, description="class labels y in "
                                                                              "[0, num_class_embeds) (None: none)")

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> UNet2DSpec:
        levels = len(self.block_out_channels)
        if len(self.down_block_types) != levels or len(self.up_block_types) != levels:
            raise ValueError(f"down_block_types ({len(self.down_block_types)}), up_block_types "
                             f"({len(self.up_block_types)}) and block_out_channels ({levels}) need one entry per level")
        undivided = [c for c in self.block_out_channels if c % self.norm_num_groups]
        if undivided:
            raise ValueError(f"norm_num_groups={self.norm_num_groups} must divide every block_out_channels entry; "
                             f"it does not divide {undivided}")
        problems = self.check_spatial(*as_hw(self.sample_size))
        if problems:
            raise ValueError(f"sample_size: {problems[0]}")
        if self.attention_head_dim is not None:
            attention = [width for width, block in zip(self.block_out_channels, self.down_block_types)
                         if block.startswith("Attn")]
            if self.add_attention:
                attention.append(self.block_out_channels[-1])
            bad = [c for c in attention if c % self.attention_head_dim]
            if bad:
                raise ValueError(f"attention_head_dim={self.attention_head_dim} must divide the widths of the "
                                 f"attention blocks; it does not divide {bad}")
        if not diffusers_installed():
            report_warning(info, ("name",), f"the diffusers package is not installed: building this backbone will "
                                            f"fail; {INSTALL_HINT}")
        return self

    def diffusers_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``UNet2DModel`` (every field but ``name``; tuples as diffusers' defaults)."""
        return {key: value for key, value in self.model_dump().items() if key != "name"}

    def data_channels(self) -> int | None:
        return self.in_channels

    def output_channels(self) -> int | None:
        return self.out_channels

    def spatial_size(self) -> ImageSize | None:
        return self.sample_size

    def check_spatial(self, height: int, width: int) -> list[str]:
        """Every down block but the last halves H and W: 2**(levels - 1) must divide both (the unet's rule)."""
        return spatial_problems(len(self.block_out_channels), height, width, "block_out_channels")

    def accepts_labels(self) -> bool:
        return self.num_class_embeds is not None
