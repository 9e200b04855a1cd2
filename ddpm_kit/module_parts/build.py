"""The pieces ``DDPM.__init__`` assembles from its validated config: the network with its EMA copies, and
the per-timestep tables (schedule buffers, lvlb weights, loss weights)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from ddpm_kit.components.backbones.nn.wrapper import DiffusionWrapper
from ddpm_kit.checkpoint import LoadReport, init_from_ckpt
from ddpm_kit.components.ema.base_impl import EMAModule
from ddpm_kit.components.schedules.base_impl import make_betas
from ddpm_kit.components.weightings.base_impl import weight_table
from ddpm_kit.config import ModelConfig
from ddpm_kit.diffusion.buffers import register_schedule


def network(cfg: ModelConfig) -> DiffusionWrapper:
    """The configured backbone in upstream's DiffusionWrapper (the module's ``model``)."""
    return DiffusionWrapper(cfg.unet_config.load_impl()(cfg.unet_config), cfg.conditioning_key)


def ema_modules(cfg: ModelConfig, model: nn.Module, batch_size: int | None) -> dict[str, nn.Module]:
    """One EMA module per configured strategy, by attribute name (``model_ema``, ``model_ema_1``, ...); none
    without ``use_ema``. ``batch_size`` is the run's effective batch (strategies defined in images use it)."""
    if not cfg.use_ema:
        return {}
    return {"model_ema" if index == 0 else f"model_ema_{index}": spec.load_impl()(spec, model, batch_size=batch_size)
            for index, spec in enumerate(cfg.ema)}


@dataclass(frozen=True)
class Tables:
    """Everything indexed by t: the 12 float32 schedule buffers, lvlb weights [T] (float32, upstream's), loss
    weights w(SNR(t)) [T] (float64), and T."""

    buffers: dict[str, Tensor]
    lvlb_weights: Tensor
    loss_weights: Tensor
    num_timesteps: int


def tables(cfg: ModelConfig) -> Tables:
    """The tables of ``cfg``: its schedule's buffers and lvlb weights (``register_schedule``) and its loss
    weighting evaluated at every timestep (``weight_table``)."""
    schedule = register_schedule(make_betas(cfg.beta_schedule, cfg.timesteps), v_posterior=cfg.v_posterior,
                                 parameterization=cfg.parameterization, lvlb_variant=cfg.lvlb_weights)
    weights = weight_table(cfg.loss_weighting, schedule.buffers["alphas_cumprod"], cfg.parameterization)
    return Tables(schedule.buffers, schedule.lvlb_weights, weights, schedule.num_timesteps)


def load_weights(module: nn.Module, model: nn.Module, cfg: ModelConfig, emas: list[EMAModule]) -> LoadReport | None:
    """``ckpt_path`` into ``module`` (upstream's ``init_from_ckpt``; its report, None without a path), then the
    EMA resets the config asks for (``reset_ema`` restarts them from ``model``, the loaded network)."""
    report = None
    if cfg.ckpt_path is not None:
        report = init_from_ckpt(module, cfg.ckpt_path, cfg.ignore_keys, cfg.load_only_unet, cfg.make_it_fit)
        if cfg.reset_ema:
            for ema in emas:
                ema.reset(model)
    if cfg.reset_num_ema_updates:
        for ema in emas:
            ema.reset_num_updates()
    return report
