"""The prediction contract: the network output at (x_t, t) turned into x0 and eps estimates in one place.

A sampler never reads the raw network output. It asks the ``Denoiser`` for a ``Prediction(x0, eps)``; the
denoiser calls the network once, converts the output by the model's parameterization (eps, x0 or v, the
formulas of ``ddpm_kit.diffusion.parameterization``) and applies ``clip_denoised`` (x0 clamped to [-1, 1],
eps recomputed from the clamped x0). Conditioning, classifier-free guidance and chunking are folded into
the network callable (``ddpm_kit.diffusion.sampling.network.ModelCall``) before the denoiser is built.

The conversion happens in a *frame*: by default the float32 schedule buffers at the integer t (upstream's
``predict_start_from_noise`` / ``predict_start_from_z_and_v`` arithmetic, so ancestral DDPM keeps
upstream's numbers); a sampler with its own per-step coefficients passes ``Frame(alpha, sigma)`` with
x_t = alpha x0 + sigma eps (``split_output``), e.g. DDIM's float32 sqrt(a_t) or DPM-Solver's float64 grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from ddpm_kit.diffusion.forward import Buffers
from ddpm_kit.diffusion.parameterization import predict_eps, predict_x0, split_output
from ddpm_kit.registry.kinds import check_parameterization

#: ``network(x, t: LongTensor[B]) -> raw output`` (eps, x0 or v) shaped like x; conditions and guidance folded in.
Network = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Prediction:
    """The model's estimates at (x_t, t): x0_hat and eps_hat, both shaped like x_t."""

    x0: Tensor
    eps: Tensor


@dataclass(frozen=True)
class Frame:
    """Per-step coefficients of x_t = alpha x0 + sigma eps (floats or tensors broadcastable to x, [B, 1, ...])."""

    alpha: float | Tensor
    sigma: float | Tensor


class Denoiser:
    """``denoiser(x, t, frame) -> Prediction``: one network evaluation, converted and clipped here only.

    ``evaluations`` counts the network calls (the samplers' NFE)."""

    def __init__(self, network: Network, buffers: Buffers, parameterization: str, clip_denoised: bool) -> None:
        check_parameterization(parameterization)
        self.network, self.buffers = network, buffers
        self.parameterization, self.clip_denoised = parameterization, clip_denoised
        self.evaluations = 0

    def output(self, x: Tensor, t: Tensor) -> Tensor:
        """The raw network output at (x, t), shape-checked (a learned-variance 2C output is an error)."""
        out = self.network(x, t)
        self.evaluations += 1
        if out.shape != x.shape:
            raise ValueError(f"denoiser returned shape {tuple(out.shape)} for input {tuple(x.shape)}")
        return out

    def __call__(self, x: Tensor, t: Tensor, frame: Frame | None = None, *, clip: bool = True) -> Prediction:
        """Prediction at (x, t); ``clip=False`` leaves clipping to a later ``self.clip`` in another frame."""
        prediction = self.convert(self.output(x, t), x, t, frame)
        return self.clip(prediction, x, t, frame) if clip else prediction

    def convert(self, output: Tensor, x: Tensor, t: Tensor | None, frame: Frame | None = None,
                parameterization: str | None = None) -> Prediction:
        """(x0, eps) from an output of ``parameterization`` (default: the model's), unclipped.

        Buffer frame: x0 = ``predict_x0``, eps = ``predict_eps`` (float32 buffers at t); explicit frame:
        ``split_output(output, x, alpha, sigma)``."""
        kind = parameterization or self.parameterization
        if frame is None:
            if t is None:
                raise ValueError("the buffer frame needs the timesteps t")
            buffers = self.buffers
            return Prediction(predict_x0(output, x, t, kind, buffers), predict_eps(output, x, t, kind, buffers))
        x0, eps = split_output(output, x, frame.alpha, frame.sigma, kind)
        return Prediction(x0, eps)

    def clip(self, prediction: Prediction, x: Tensor, t: Tensor | None, frame: Frame | None = None) -> Prediction:
        """With ``clip_denoised``: x0 clamped to [-1, 1] and eps = (x - alpha x0) / sigma from it (in the frame);
        otherwise the prediction unchanged."""
        if not self.clip_denoised:
            return prediction
        x0 = prediction.x0.clamp(-1.0, 1.0)
        return self.convert(x0, x, t, frame, parameterization="x0")
