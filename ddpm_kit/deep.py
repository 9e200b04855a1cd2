"""``ddpm-kit validate --deep``: build the network on the meta device (no memory) and run its forward shapes.

Shape errors become validation errors on ``model.unet_config``; the parameter count per submodule is the
seed's ``count_params(verbose=True)``, broken down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ddpm_kit.config.errors import Issue
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry.sizes import as_hw


@dataclass
class DeepResult:
    parameters: dict[str, int] = field(default_factory=dict)
    output_shape: tuple[int, ...] | None = None
    issues: list[Issue] = field(default_factory=list)

    def lines(self) -> list[str]:
        total = self.parameters.get("total", 0)
        out = [f"network       {total / 1e6:.2f} M parameters, output {self.output_shape}"]
        out += [f"  {name:<22} {count:>12,}" for name, count in self.parameters.items() if name != "total"]
        return out


def deep_check(run: RunConfig, batch: int = 2) -> DeepResult:
    """Build the backbone with meta tensors and check its output shape against the data."""
    import torch

    model = run.model
    spec = model.unet_config
    result = DeepResult()
    with torch.device("meta"):
        try:
            network = spec.load_impl()(spec)
        except Exception as exc:  # the spec passed but construction failed: report, never raise
            result.issues.append(Issue("model.unet_config", f"cannot be built: {type(exc).__name__}: {exc}"))
            return result
        result.parameters = {name: sum(p.numel() for p in child.parameters()) for name, child in
                             network.named_children()}
        result.parameters["total"] = sum(p.numel() for p in network.parameters())
        channels = spec.data_channels() or model.channels
        shape = (batch, channels) if spec.data_dims() == 1 else (batch, channels, *as_hw(model.image_size))
        kwargs = {}
        if spec.accepts_labels():
            kwargs["y"] = torch.zeros(batch, dtype=torch.long)
        if spec.accepts_context():
            kwargs["context"] = torch.zeros(batch, 4, getattr(spec, "context_dim"))
        try:
            out = network(torch.zeros(shape), torch.zeros(batch, dtype=torch.long), **kwargs)
        except Exception as exc:
            result.issues.append(Issue("model.unet_config", f"forward fails for input {tuple(shape)}: "
                                       f"{type(exc).__name__}: {exc}"))
            return result
    result.output_shape = tuple(out.shape)
    expected = (batch, model.channels) + tuple(shape[2:])
    if result.output_shape != expected:
        result.issues.append(Issue("model.unet_config", f"outputs {result.output_shape}, the data needs {expected}"))
    return result
