"""``ddpm-kit export CKPT --diffusers``: a folder ``diffusers.DDPMPipeline.from_pretrained`` loads.

Written without diffusers (JSON + safetensors): ``model_index.json``, ``unet/config.json`` +
``unet/diffusion_pytorch_model.safetensors`` (a ``UNet2DModel``: the built-in ``unet`` backbone converted
from the CompVis layout by ``ddpm_kit.interop.unet_keys``; the plugin's ``diffusers.unet2d`` as is) and
``scheduler/scheduler_config.json`` (a ``DDPMScheduler`` with ``trained_betas`` = ddpm-kit's betas).
Model fields with no diffusers equivalent are refused (``NotRepresentable`` naming the field) or
exported with a logged warning that says what changes (see README, "Coming from diffusers").
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import Tensor

from ddpm_kit.interop.unet_keys import NotRepresentable, to_diffusers, unet2d_config
from ddpm_kit.components.backbones.unet import UNetSpec

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)

PREDICTION_TYPE = {"eps": "epsilon", "x0": "sample", "v": "v_prediction"}
#: v_posterior -> DDPMScheduler.variance_type: beta_tilde (v = 0) or beta (v = 1)
VARIANCE_TYPE = {0.0: "fixed_small", 1.0: "fixed_large"}
UNET_WEIGHTS = "diffusion_pytorch_model.safetensors"


def diffusers_version() -> str:
    """The installed diffusers' version for ``_diffusers_version``, or the oldest the plugin supports."""
    try:
        return metadata.version("diffusers")
    except metadata.PackageNotFoundError:
        return "0.25.0"


def scheduler_config(cfg: Any, betas: Tensor) -> dict[str, Any]:
    """DDPMScheduler config of the model config ``cfg`` (a ModelConfig) and its float32 ``betas`` [T]."""
    problems = []
    if cfg.v_posterior not in VARIANCE_TYPE:
        problems.append(f"model.v_posterior={cfg.v_posterior}: DDPMScheduler's variance is beta_tilde "
                        f"(v_posterior 0, fixed_small) or beta (1, fixed_large) only")
    if problems:
        raise NotRepresentable("; ".join(problems))
    return {
        "_class_name": "DDPMScheduler", "_diffusers_version": diffusers_version(),
        "num_train_timesteps": int(betas.shape[0]), "beta_schedule": "linear",
        "beta_start": float(betas[0]), "beta_end": float(betas[-1]),  # unused: trained_betas wins
        "trained_betas": [float(b) for b in betas.tolist()],
        "variance_type": VARIANCE_TYPE[cfg.v_posterior], "clip_sample": bool(cfg.clip_denoised),
        "clip_sample_range": 1.0, "prediction_type": PREDICTION_TYPE[cfg.parameterization],
        "thresholding": False, "timestep_spacing": "leading", "steps_offset": 0,
    }


def unet_files(module: DDPM) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """(UNet2DModel config, its state dict) of the DDPM ``module``'s backbone (its current weights)."""
    cfg = module.cfg
    if cfg.conditioning_key not in (None, "adm"):
        raise NotRepresentable(f"model.conditioning_key={cfg.conditioning_key!r}: UNet2DModel takes no "
                               f"concatenated or cross-attention conditions")
    spec = cfg.unet_config
    network = module.model.diffusion_model
    state = {k: v.detach().cpu().contiguous().clone() for k, v in network.state_dict().items()}
    if isinstance(spec, UNetSpec):
        config = unet2d_config(spec)
        weights = to_diffusers(spec, state)
    elif spec.name == "diffusers.unet2d":
        config = {"_class_name": "UNet2DModel", **spec.diffusers_kwargs()}
        weights = {k.removeprefix("unet."): v for k, v in state.items()}
    else:
        raise NotRepresentable(f"model.unet_config.name={spec.name!r}: only the 'unet' and 'diffusers.unet2d' "
                               f"backbones have a UNet2DModel equivalent")
    if cfg.conditioning_key == "adm" and config.get("num_class_embeds") is None:
        raise NotRepresentable(f"model.conditioning_key='adm' with unet_config.num_classes="
                               f"{getattr(spec, 'num_classes', None)!r}: only a label table maps to num_class_embeds")
    if config.get("num_class_embeds") is not None:
        log.warning("class labels: exported as UNet2DModel num_class_embeds=%d; DDPMPipeline passes no labels, "
                    "call unet(x, t, class_labels=y) yourself", config["num_class_embeds"])
    if cfg.learn_logvar:
        log.warning("model.learn_logvar: the learned log-variance only weights the training loss; not exported")
    config["_diffusers_version"] = diffusers_version()
    return config, {k: v.contiguous() for k, v in weights.items()}


def write_diffusers(module: DDPM, out_dir: Path) -> list[Path]:
    """Write the pipeline folder of the DDPM ``module`` (sampling weights in ``module.model``) to ``out_dir``.
    Everything is checked before the first file is written."""
    from safetensors.torch import save_file

    config, weights = unet_files(module)
    scheduler = scheduler_config(module.cfg, module.betas.detach().cpu().float())
    index = {"_class_name": "DDPMPipeline", "_diffusers_version": diffusers_version(),
             "scheduler": ["diffusers", "DDPMScheduler"], "unet": ["diffusers", "UNet2DModel"]}
    (out_dir / "unet").mkdir(parents=True, exist_ok=True)
    (out_dir / "scheduler").mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "model_index.json", out_dir / "unet" / "config.json", out_dir / "unet" / UNET_WEIGHTS,
             out_dir / "scheduler" / "scheduler_config.json"]
    for path, document in ((paths[0], index), (paths[1], config), (paths[3], scheduler)):
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    save_file(weights, str(paths[2]), metadata={"format": "pt"})
    return paths


def export_diffusers(path: str | Path, out_dir: str | Path, *, ema: bool = True,
                     expect: Any = None) -> list[Path]:
    """Export checkpoint or export folder ``path`` as a diffusers DDPMPipeline folder: EMA weights when
    ``ema`` and the checkpoint has them (else the training weights, logged), training weights otherwise."""
    from ddpm_kit.inference import load_for_sampling

    module = load_for_sampling(path, expect=expect, ema=None if ema else False)
    if ema and module.sampling_weights != "ema":
        log.warning("%s has no EMA weights: exporting the training weights", path)
    return write_diffusers(module, Path(out_dir))
