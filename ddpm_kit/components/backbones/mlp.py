"""The ``mlp`` backbone spec (torch-free): a time-conditioned residual MLP for vector data."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt

from ddpm_kit.registry import BackboneSpec


class MLPSpec(BackboneSpec):
    """Time-conditioned residual MLP for vector data x[B, D] (2-D toy distributions).

    emb = W2 SiLU(W1 sinusoidal(t)) [+ E y];  h_0 = W_in x;
    h_{k+1} = h_k + W_b SiLU(Drop(W_a SiLU(LN(h_k)) + U_k emb));  out = W_out SiLU(LN(h_depth)).
    Sinusoidal embedding as in Ho et al. 2020 / CompVis ``timestep_embedding`` ([cos, sin]).
    """

    impl: ClassVar[str] = "ddpm_kit.components.backbones.mlp_impl:build_mlp"
    name: Literal["mlp"] = "mlp"

    data_dim: PositiveInt = Field(2, description="dimension D of one sample x[B, D]")
    hidden: int = Field(128, ge=2, description="width of the hidden layers and of the time embedding")
    depth: PositiveInt = Field(3, description="number of residual blocks")
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout inside each residual block")
    num_classes: PositiveInt | None = Field(
        None, description="class labels y in [0, num_classes) (None: unconditional)")

    def data_channels(self) -> int | None:
        """The feature dimension D (vector data has shape (D,))."""
        return self.data_dim

    def output_channels(self) -> int | None:
        return self.data_dim

    def accepts_labels(self) -> bool:
        return self.num_classes is not None

    def data_dims(self) -> int:
        return 1
