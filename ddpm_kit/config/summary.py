"""Derived numbers a user wants to see before training: computed in pure Python from a valid config."""

from __future__ import annotations

import math
from typing import Any

from ddpm_kit.config.rules import effective_timesteps
from ddpm_kit.config.run import RunConfig
from ddpm_kit.registry import SAMPLERS, SCHEDULES, BACKBONES, Origin


def summarize(run: RunConfig) -> dict[str, Any]:
    """Terminal alpha_bar and SNR at this T, EMA half-lives, effective batch size, learning rate, components."""
    model = run.model
    timesteps = effective_timesteps(model)
    alpha_bar_T = model.beta_schedule.reference_alphas_cumprod(timesteps)[-1]
    snr_T = alpha_bar_T / (1 - alpha_bar_T) if alpha_bar_T < 1 else math.inf
    summary: dict[str, Any] = {
        "timesteps": timesteps,
        "beta_schedule": model.beta_schedule.name,
        "parameterization": model.parameterization,
        "terminal_alpha_bar": alpha_bar_T,
        "terminal_snr": snr_T,
        "terminal_log_snr": math.log(snr_T) if snr_T > 0 else -math.inf,
        "backbone": model.unet_config.name,
        "data": run.data.name,
        "sample_shape": list(run.data.sample_shape() or ()),
        "batch_size": run.data.batch_size,
        "effective_batch_size": run.effective_batch_size(),
        "learning_rate": run.learning_rate(),
        "sampler": model.sampler.name,
        "sampler_steps": model.sampler.num_steps(timesteps),
        "max_steps": run.trainer.max_steps,
        "ema": [],
    }
    if model.use_ema:
        steps = max(run.trainer.max_steps, 1)
        for ema in model.ema:
            half_life = ema.half_life_steps(steps)
            summary["ema"].append({
                "name": ema.name,
                "half_life_steps_at_end": half_life,
                "half_life_images_at_end": None if half_life is None or run.effective_batch_size() is None
                else half_life * run.effective_batch_size(),
            })
    summary["origins"] = {
        "beta_schedule": str(_origin(SCHEDULES, model.beta_schedule.name)),
        "backbone": str(_origin(BACKBONES, model.unet_config.name)),
        "sampler": str(_origin(SAMPLERS, model.sampler.name)),
    }
    return summary


def _origin(registry: Any, name: str) -> Origin:
    return registry.origin(name)


def format_summary(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines for ``ddpm-kit validate``."""
    lines = [
        f"schedule      {summary['beta_schedule']} at T = {summary['timesteps']}: terminal alpha_bar "
        f"{summary['terminal_alpha_bar']:.3g}, terminal SNR {summary['terminal_snr']:.3g} "
        f"(log-SNR {summary['terminal_log_snr']:.2f})",
        f"model         {summary['backbone']} predicting {summary['parameterization']}; "
        f"sampler {summary['sampler']} ({summary['sampler_steps']} network evaluations)",
        f"data          {summary['data']} {tuple(summary['sample_shape'])}, batch {summary['batch_size']}, "
        f"effective batch {summary['effective_batch_size'] or 'batch x accumulate x devices (devices: auto)'}",
        f"optimizer     AdamW lr "
        f"{summary['learning_rate'] if summary['learning_rate'] is not None else 'scaled at start'}"
        f", max_steps {summary['max_steps']}",
    ]
    for ema in summary["ema"]:
        half = ema["half_life_steps_at_end"]
        images = ema["half_life_images_at_end"]
        lines.append(f"ema           {ema['name']}: half-life at the last step "
                     + (f"{half:,.0f} steps" if half is not None else "n/a")
                     + (f" ({images:,.0f} images)" if images is not None else ""))
    return lines
