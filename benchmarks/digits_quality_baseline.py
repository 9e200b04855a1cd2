"""The comparison baseline of ``digits_quality``: lucidrains' denoising-diffusion-pytorch, re-implemented.

Why re-implemented: the package (2.3.4) imports torchvision (and accelerate, pytorch-fid) at module
level; PyPI's torchvision 0.28 for torch 2.13 fails to import beside the CPU build of torch
("operator torchvision::nms does not exist"), and installing the package's dependencies would
replace torch. So this module rebuilds the parts the benchmark uses, from the package's source
(``denoising_diffusion_pytorch.py`` 2.3.4 and ``ema_pytorch`` 0.8.3), with the same module tree,
parameter names and shapes: a state dict of the package's ``Unet`` loads here with ``strict=True``
and gives the same outputs (checked once against the package, see the benchmark's closing note).

Settings (the issue's measurement of the package on this machine): ``Unet(dim=32, dim_mults=(1, 2),
channels=1)`` (0.83M parameters), ``GaussianDiffusion(objective="pred_v", beta_schedule="sigmoid",
timesteps=1000)``, batch 128, lr 1e-3, and the package ``Trainer``'s defaults: Adam betas (0.9, 0.99),
gradient-norm clipping at 1, ``EMA(beta=0.995, update_every=10)`` with ema-pytorch's warm-up
(``update_after_step=100``, ``inv_gamma=1``, ``power=2/3``), no horizontal flips (digits are not
mirror-symmetric), samples from the EMA model.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------- the Unet
class RMSNorm(nn.Module):
    """x / ||x||_channels * g * sqrt(C) (lucidrains ``RMSNorm``)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = dim ** 0.5
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(x, dim=1) * self.g * self.scale


class SinusoidalPosEmb(nn.Module):
    """[B] -> [B, dim]: (sin, cos) of t * theta^(-i / (dim/2 - 1)), i < dim/2."""

    def __init__(self, dim: int, theta: float = 10000.0) -> None:
        super().__init__()
        self.dim, self.theta = dim, theta

    def forward(self, t: Tensor) -> Tensor:
        half = self.dim // 2
        freqs = torch.exp(torch.arange(half, device=t.device) * -(math.log(self.theta) / (half - 1)))
        angles = t[:, None] * freqs[None, :]  # [B, half]
        return torch.cat((angles.sin(), angles.cos()), dim=-1)


class Block(nn.Module):
    """conv3x3 -> RMSNorm -> optional (scale + 1, shift) -> SiLU."""

    def __init__(self, dim: int, dim_out: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(dim, dim_out, 3, padding=1)
        self.norm = RMSNorm(dim_out)
        self.act = nn.SiLU()
        self.dropout = nn.Dropout(0.0)

    def forward(self, x: Tensor, scale_shift: tuple[Tensor, Tensor] | None = None) -> Tensor:
        x = self.norm(self.proj(x))
        if scale_shift is not None:
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return self.dropout(self.act(x))


class ResnetBlock(nn.Module):
    """Two Blocks, the time embedding as FiLM on the first, a 1x1 conv on the skip when widths differ."""

    def __init__(self, dim: int, dim_out: int, time_emb_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(time_emb_dim, dim_out * 2))
        self.block1 = Block(dim, dim_out)
        self.block2 = Block(dim_out, dim_out)
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x: Tensor, t_emb: Tensor) -> Tensor:
        scale_shift = rearrange(self.mlp(t_emb), "b c -> b c 1 1").chunk(2, dim=1)
        h = self.block2(self.block1(x, scale_shift=scale_shift))
        return h + self.res_conv(x)


class LinearAttention(nn.Module):
    """Linear attention (softmax over q channels and k positions) with 4 memory key/values per head."""

    def __init__(self, dim: int, heads: int = 4, dim_head: int = 32, num_mem_kv: int = 4) -> None:
        super().__init__()
        self.scale, self.heads = dim_head ** -0.5, heads
        hidden = dim_head * heads
        self.norm = RMSNorm(dim)
        self.mem_kv = nn.Parameter(torch.randn(2, heads, dim_head, num_mem_kv))
        self.to_qkv = nn.Conv2d(dim, hidden * 3, 1, bias=False)
        self.to_out = nn.Sequential(nn.Conv2d(hidden, dim, 1), RMSNorm(dim))

    def forward(self, x: Tensor) -> Tensor:
        b, _, h, w = x.shape
        q, k, v = (rearrange(part, "b (h c) x y -> b h c (x y)", h=self.heads)
                   for part in self.to_qkv(self.norm(x)).chunk(3, dim=1))  # each [B, heads, d, HW]
        mem_k, mem_v = (m.unsqueeze(0).expand(b, -1, -1, -1) for m in self.mem_kv)  # [B, heads, d, M]
        k, v = torch.cat((mem_k, k), dim=-1), torch.cat((mem_v, v), dim=-1)
        q = q.softmax(dim=-2) * self.scale
        k = k.softmax(dim=-1)
        context = torch.einsum("b h d n, b h e n -> b h d e", k, v)
        out = torch.einsum("b h d e, b h d n -> b h e n", context, q)
        return self.to_out(rearrange(out, "b h c (x y) -> b (h c) x y", x=h, y=w))  # [B, C, H, W]


class Attention(nn.Module):
    """Full softmax attention, scale dim_head^-0.5, with 4 memory key/values per head (``flash=False`` math)."""

    def __init__(self, dim: int, heads: int = 4, dim_head: int = 32, num_mem_kv: int = 4) -> None:
        super().__init__()
        self.heads = heads
        hidden = dim_head * heads
        self.norm = RMSNorm(dim)
        self.mem_kv = nn.Parameter(torch.randn(2, heads, num_mem_kv, dim_head))
        self.to_qkv = nn.Conv2d(dim, hidden * 3, 1, bias=False)
        self.to_out = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, _, h, w = x.shape
        q, k, v = (rearrange(part, "b (h c) x y -> b h (x y) c", h=self.heads)
                   for part in self.to_qkv(self.norm(x)).chunk(3, dim=1))  # each [B, heads, HW, d]
        mem_k, mem_v = (m.unsqueeze(0).expand(b, -1, -1, -1) for m in self.mem_kv)  # [B, heads, M, d]
        k, v = torch.cat((mem_k, k), dim=-2), torch.cat((mem_v, v), dim=-2)
        out = F.scaled_dot_product_attention(q, k, v)  # softmax(q k^T / sqrt(d)) v
        return self.to_out(rearrange(out, "b h (x y) d -> b (h d) x y", x=h, y=w))  # [B, C, H, W]


def downsample(dim: int, dim_out: int) -> nn.Module:
    """Space-to-depth 2x2 ('b c (h p1) (w p2) -> b (c p1 p2) h w') then a 1x1 conv."""
    return nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(dim * 4, dim_out, 1))


def upsample(dim: int, dim_out: int) -> nn.Module:
    """Nearest 2x upsampling then a 3x3 conv."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(dim, dim_out, 3, padding=1))


class Unet(nn.Module):
    """lucidrains ``Unet`` (defaults: no self-conditioning, fixed sinusoidal time embedding, full attention
    at the innermost level and linear attention elsewhere, 2 ResnetBlocks per level)."""

    def __init__(self, dim: int, dim_mults: tuple[int, ...] = (1, 2, 4, 8), channels: int = 3) -> None:
        super().__init__()
        self.channels = channels
        self.init_conv = nn.Conv2d(channels, dim, 7, padding=3)
        dims = [dim, *(dim * m for m in dim_mults)]
        in_out = list(zip(dims[:-1], dims[1:]))
        time_dim = dim * 4
        self.time_mlp = nn.Sequential(SinusoidalPosEmb(dim), nn.Linear(dim, time_dim), nn.GELU(),
                                      nn.Linear(time_dim, time_dim))
        full_attn = [False] * (len(dim_mults) - 1) + [True]
        self.downs = nn.ModuleList()
        for index, ((d_in, d_out), full) in enumerate(zip(in_out, full_attn)):
            last = index == len(in_out) - 1
            self.downs.append(nn.ModuleList([
                ResnetBlock(d_in, d_in, time_dim), ResnetBlock(d_in, d_in, time_dim),
                Attention(d_in) if full else LinearAttention(d_in),
                nn.Conv2d(d_in, d_out, 3, padding=1) if last else downsample(d_in, d_out),
            ]))
        mid = dims[-1]
        self.mid_block1 = ResnetBlock(mid, mid, time_dim)
        self.mid_attn = Attention(mid)
        self.mid_block2 = ResnetBlock(mid, mid, time_dim)
        self.ups = nn.ModuleList()
        for index, ((d_in, d_out), full) in enumerate(zip(reversed(in_out), reversed(full_attn))):
            last = index == len(in_out) - 1
            self.ups.append(nn.ModuleList([
                ResnetBlock(d_out + d_in, d_out, time_dim), ResnetBlock(d_out + d_in, d_out, time_dim),
                Attention(d_out) if full else LinearAttention(d_out),
                nn.Conv2d(d_out, d_in, 3, padding=1) if last else upsample(d_out, d_in),
            ]))
        self.final_res_block = ResnetBlock(dim * 2, dim, time_dim)
        self.final_conv = nn.Conv2d(dim, channels, 1)

    def forward(self, x: Tensor, time: Tensor) -> Tensor:
        x = self.init_conv(x)  # [B, dim, H, W]
        r = x.clone()
        t = self.time_mlp(time)  # [B, 4 dim]
        skips = []
        for block1, block2, attn, down in self.downs:
            x = block1(x, t)
            skips.append(x)
            x = block2(x, t)
            x = attn(x) + x
            skips.append(x)
            x = down(x)
        x = self.mid_block1(x, t)
        x = self.mid_attn(x) + x
        x = self.mid_block2(x, t)
        for block1, block2, attn, up in self.ups:
            x = block1(torch.cat((x, skips.pop()), dim=1), t)
            x = block2(torch.cat((x, skips.pop()), dim=1), t)
            x = attn(x) + x
            x = up(x)
        return self.final_conv(self.final_res_block(torch.cat((x, r), dim=1), t))  # [B, C, H, W]


# ----------------------------------------------------------------------------------------- diffusion
def sigmoid_alphas_cumprod(timesteps: int, start: float = -3, end: float = 3, tau: float = 1) -> Tensor:
    """lucidrains ``sigmoid_beta_schedule`` (Jabri et al. 2022) as float64 alpha_bar_t, t = 0..T-1:
    abar(x) = (g(end) - g(x (end - start) + start)) / (g(end) - g(start)), g = sigmoid(. / tau), x = t/T,
    normalised by abar(0), betas clipped to [0, 0.999]."""
    x = torch.linspace(0, timesteps, timesteps + 1, dtype=torch.float64) / timesteps
    v_start, v_end = torch.tensor(start / tau).sigmoid(), torch.tensor(end / tau).sigmoid()
    abar = (-((x * (end - start) + start) / tau).sigmoid() + v_end) / (v_end - v_start)
    abar = abar / abar[0]
    betas = (1 - abar[1:] / abar[:-1]).clip(0, 0.999)
    return torch.cumprod(1 - betas, dim=0)


def _at(values: Tensor, t: Tensor) -> Tensor:
    return values[t].view(-1, 1, 1, 1)  # [B, 1, 1, 1]


class VDiffusion:
    """``GaussianDiffusion(objective="pred_v", beta_schedule="sigmoid")``: loss, ancestral and DDIM sampling."""

    def __init__(self, timesteps: int = 1000) -> None:
        abar64 = sigmoid_alphas_cumprod(timesteps)
        abar_prev64 = F.pad(abar64[:-1], (1, 0), value=1.0)
        betas64 = 1 - abar64 / abar_prev64
        snr = abar64 / (1 - abar64)
        posterior_variance = betas64 * (1 - abar_prev64) / (1 - abar64)
        as32 = lambda v: v.to(torch.float32)  # noqa: E731  (the package stores float32 buffers)
        self.T = timesteps
        self.alphas_cumprod = as32(abar64)
        self.sqrt_abar, self.sqrt_one_minus_abar = as32(abar64.sqrt()), as32((1 - abar64).sqrt())
        self.sqrt_recip_abar, self.sqrt_recipm1_abar = as32((1 / abar64).sqrt()), as32((1 / abar64 - 1).sqrt())
        self.posterior_log_variance_clipped = as32(posterior_variance.clamp(min=1e-20).log())
        self.posterior_mean_coef1 = as32(betas64 * abar_prev64.sqrt() / (1 - abar64))
        self.posterior_mean_coef2 = as32((1 - abar_prev64) * (1 - betas64).sqrt() / (1 - abar64))
        self.loss_weight = as32(snr / (snr + 1))  # pred_v without min-SNR: w_t = alpha_bar_t

    def loss(self, model: nn.Module, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """mean_b w_t * mean_pixels (model(x_t, t) - v)^2, v = sqrt(abar) eps - sqrt(1 - abar) x0, t ~ U{0..T-1}."""
        t = torch.randint(0, self.T, (x0.shape[0],), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        x_t = _at(self.sqrt_abar, t) * x0 + _at(self.sqrt_one_minus_abar, t) * noise
        target = _at(self.sqrt_abar, t) * noise - _at(self.sqrt_one_minus_abar, t) * x0
        per_sample = (model(x_t, t) - target).pow(2).mean(dim=(1, 2, 3))  # [B]
        return (per_sample * self.loss_weight[t]).mean()

    def _x0_eps(self, model: nn.Module, x: Tensor, t: Tensor) -> tuple[Tensor, Tensor]:
        """x0_hat = clip(sqrt(abar) x - sqrt(1 - abar) v_hat), eps_hat re-derived from the clipped x0_hat."""
        x0 = (_at(self.sqrt_abar, t) * x - _at(self.sqrt_one_minus_abar, t) * model(x, t)).clamp(-1, 1)
        eps = (_at(self.sqrt_recip_abar, t) * x - x0) / _at(self.sqrt_recipm1_abar, t)
        return x0, eps

    @torch.no_grad()
    def sample_ancestral(self, model: nn.Module, shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
        """``p_sample_loop``: T steps of x_{t-1} = mu_tilde(x0_hat, x_t) + exp(log_var / 2) z (no z at t = 0)."""
        x = torch.randn(shape, generator=generator)
        for step in reversed(range(self.T)):
            t = torch.full((shape[0],), step, dtype=torch.long)
            x0, _ = self._x0_eps(model, x, t)
            mean = _at(self.posterior_mean_coef1, t) * x0 + _at(self.posterior_mean_coef2, t) * x
            noise = torch.randn(shape, generator=generator) if step > 0 else torch.zeros(shape)
            x = mean + (0.5 * _at(self.posterior_log_variance_clipped, t)).exp() * noise
        return x

    @torch.no_grad()
    def sample_ddim(self, model: nn.Module, shape: tuple[int, ...], steps: int, generator: torch.Generator) -> Tensor:
        """``ddim_sample`` with eta = 0: times int(linspace(-1, T-1, S+1)) reversed; the last step returns x0_hat."""
        times = list(reversed(torch.linspace(-1, self.T - 1, steps + 1).int().tolist()))
        x = torch.randn(shape, generator=generator)
        for now, nxt in zip(times[:-1], times[1:]):
            t = torch.full((shape[0],), now, dtype=torch.long)
            x0, eps = self._x0_eps(model, x, t)
            if nxt < 0:
                return x0
            abar_next = self.alphas_cumprod[nxt]
            x = x0 * abar_next.sqrt() + (1 - abar_next).sqrt() * eps
        return x


# ----------------------------------------------------------------------------------------- EMA, training
class PackageEMA:
    """ema-pytorch ``EMA(beta, update_every=10, update_after_step=100, inv_gamma=1, power=2/3)``: the first
    call copies; afterwards every 10th call copies (call index <= 100) or lerps with decay
    clamp(1 - (1 + e)^-power, 0, beta), e = call index - 100 (0 below: decay 0)."""

    def __init__(self, model: nn.Module, beta: float = 0.995, update_every: int = 10, update_after_step: int = 100,
                 power: float = 2 / 3) -> None:
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.beta, self.every, self.after, self.power = beta, update_every, update_after_step, power
        self.calls = 0

    def decay(self) -> float:
        epoch = max(self.calls + 1 - self.after - 1, 0)  # the package reads its step counter after incrementing
        return 0.0 if epoch <= 0 else min(max(1 - (1 + epoch) ** -self.power, 0.0), self.beta)

    @torch.no_grad()
    def update(self, online: nn.Module) -> None:
        step, first = self.calls, self.calls == 0
        decay = self.decay()
        self.calls += 1
        if first or (step % self.every == 0 and step <= self.after):
            self.model.load_state_dict(online.state_dict())
        elif step % self.every == 0:
            for ema_p, p in zip(self.model.parameters(), online.parameters()):
                ema_p.lerp_(p, 1 - decay)


@dataclass
class Snapshot:
    """The EMA model at one budget: the optimizer steps and training seconds it had used."""

    ema_model: nn.Module
    steps: int
    seconds: float


@dataclass
class BaselineRun:
    ema_model: nn.Module
    online_model: nn.Module
    diffusion: VDiffusion
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    #: EMA copies taken when a budget was first reached: {"time": ..., "steps": ...}
    snapshots: dict[str, Snapshot] = field(default_factory=dict)


def train_baseline(images: Tensor, seconds: float, *, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
                   max_steps: int | None = None, both: bool = False,
                   clock: Callable[[], float] = time.perf_counter) -> BaselineRun:
    """Train the package's setup on ``images`` [N, 1, 8, 8] in [-1, 1] until ``seconds`` of wall time (or
    ``max_steps``) are used: shuffled epochs with the last partial batch kept (DataLoader(shuffle=True)),
    Adam(betas=(0.9, 0.99)), clip_grad_norm 1, EMA update after every optimizer step.

    ``both``: train until BOTH budgets are used, with a copy of the EMA model in ``snapshots["time"]`` when the
    wall time was first used and in ``snapshots["steps"]`` at ``max_steps`` (one training serves an equal-time
    and an equal-steps comparison). ``clock``: what ``seconds`` counts (wall time by default; ``time.process_time``
    counts this process's CPU seconds, which other load on the machine does not inflate)."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = Unet(dim=32, dim_mults=(1, 2), channels=images.shape[1])
    diffusion = VDiffusion(1000)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99))
    ema = PackageEMA(model)
    log.info("baseline: lucidrains Unet(dim=32, dim_mults=(1, 2)), %.2fM parameters, %.0f s of training",
             sum(p.numel() for p in model.parameters()) / 1e6, seconds)
    run = BaselineRun(ema.model, model, diffusion, 0, 0.0)
    start = clock()
    while True:
        for batch in torch.randperm(len(images), generator=generator).split(batch_size):
            loss = diffusion.loss(model, images[batch], generator)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            ema.update(model)
            run.steps += 1
            run.losses.append(loss.item())
            run.seconds = clock() - start
            time_used = run.seconds >= seconds
            steps_used = max_steps is not None and run.steps >= max_steps
            for budget, used in (("time", time_used), ("steps", steps_used)):
                if used and budget not in run.snapshots:
                    run.snapshots[budget] = Snapshot(copy.deepcopy(ema.model), run.steps, run.seconds)
            if (time_used and steps_used) if both else (time_used or steps_used):
                log.info("baseline: %d steps in %.0f s (%.3f s/step), last loss %.4f", run.steps, run.seconds,
                         run.seconds / run.steps, loss.item())
                return run
