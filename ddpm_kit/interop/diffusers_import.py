"""``ddpm-kit import-diffusers DIR --out CKPT``: a diffusers DDPMPipeline folder as a ddpm-kit checkpoint.

Strict: the ``UNet2DModel`` config must be one the built-in ``unet`` backbone reproduces exactly (every
field of ``unet2d_config`` equal, no other non-null field) or, with ``backbone="diffusers.unet2d"``, any
config the plugin's spec accepts; every weight maps (an error lists missing and unexpected keys); the
scheduler must hold ``trained_betas`` (what ``export --diffusers`` writes). The checkpoint holds the
weights as both training and EMA weights (``lit_ema``), so ``ddpm-kit sample`` and ``export`` read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ddpm_kit.interop.diffusers_export import PREDICTION_TYPE, UNET_WEIGHTS, VARIANCE_TYPE
from ddpm_kit.interop.unet_keys import NotRepresentable, from_diffusers, unet2d_config

IGNORED = {"_class_name", "_diffusers_version", "_name_or_path", "_use_default_values"}


class ImportProblem(ValueError):
    """A folder that is not a UNet2DModel DDPM pipeline ddpm-kit can take over; the message names the file/field."""


def _json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ImportProblem(f"{path}: missing (a diffusers pipeline folder holds unet/config.json, "
                            f"unet/{UNET_WEIGHTS} and scheduler/scheduler_config.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportProblem(f"{path}: unreadable ({exc})") from None
    if not isinstance(document, dict):
        raise ImportProblem(f"{path}: not a JSON object")
    return document


def unet_spec(config: dict[str, Any], where: Path) -> dict[str, Any]:
    """The ``unet`` backbone section reproducing UNet2DModel ``config``; ImportProblem naming the fields that
    no UNetModel reproduces (another architecture)."""
    from ddpm_kit.components.backbones.unet import UNetSpec

    widths = config.get("block_out_channels") or [0]
    down = config.get("down_block_types") or []
    mc = widths[0]
    section = {"name": "unet", "image_size": config.get("sample_size"), "in_channels": config.get("in_channels"),
               "out_channels": config.get("out_channels"), "model_channels": mc,
               "channel_mult": [w // mc if mc else 0 for w in widths],
               "num_res_blocks": config.get("layers_per_block"),
               "attention_resolutions": [2**i for i, block in enumerate(down) if block == "AttnDownBlock2D"],
               "num_head_channels": config.get("attention_head_dim"), "dropout": config.get("dropout", 0.0),
               "use_scale_shift_norm": config.get("resnet_time_scale_shift") == "scale_shift",
               "num_classes": config.get("num_class_embeds")}
    try:
        expected = unet2d_config(UNetSpec.model_validate(section, context={"warnings": []}))
    except (ValueError, NotRepresentable) as exc:
        raise ImportProblem(f"{where}: a UNet2DModel the built-in unet backbone cannot reproduce ({exc}); "
                            f"import it with --backbone diffusers.unet2d") from None
    differ = sorted(k for k in expected if k not in IGNORED and config.get(k) != expected[k])
    extra = sorted(k for k in set(config) - set(expected) - IGNORED if config[k] is not None)
    if differ or extra:
        fields = ", ".join([f"{k}={config.get(k)!r} (the unet backbone has {expected[k]!r})" for k in differ]
                           + [f"{k}={config[k]!r} (no unet equivalent)" for k in extra])
        raise ImportProblem(f"{where}: another architecture than the built-in unet backbone: {fields}; "
                            f"import it with --backbone diffusers.unet2d")
    return section


def model_section(folder: Path, backbone: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model config section, UNet2DModel config) of a pipeline folder."""
    config = _json(folder / "unet" / "config.json")
    if config.get("_class_name") != "UNet2DModel":
        raise ImportProblem(f"{folder / 'unet' / 'config.json'}: _class_name {config.get('_class_name')!r}; only a "
                            f"UNet2DModel (DDPMPipeline / DDIMPipeline) is imported")
    if backbone == "unet":
        unet = unet_spec(config, folder / "unet" / "config.json")
    else:
        unet = {"name": "diffusers.unet2d", **{k: v for k, v in config.items() if k not in IGNORED}}
    scheduler = _json(folder / "scheduler" / "scheduler_config.json")
    where = folder / "scheduler" / "scheduler_config.json"
    betas = scheduler.get("trained_betas")
    if not isinstance(betas, list):
        raise ImportProblem(f"{where}: trained_betas is missing; only a scheduler with trained_betas is imported")
    inverse = {v: k for k, v in PREDICTION_TYPE.items()}
    variance = {v: k for k, v in VARIANCE_TYPE.items()}
    for field, table in (("prediction_type", inverse), ("variance_type", variance)):
        if scheduler.get(field) not in table:
            raise ImportProblem(f"{where}: {field}={scheduler.get(field)!r}; ddpm-kit takes {sorted(table)}")
    classes = unet.get("num_classes", unet.get("num_class_embeds"))
    side, channels = config.get("sample_size"), config.get("in_channels")
    model = {"unet_config": unet, "timesteps": len(betas), "beta_schedule": {"name": "given_betas", "betas": betas},
             "parameterization": inverse[scheduler["prediction_type"]],
             "v_posterior": variance[scheduler["variance_type"]],
             "clip_denoised": bool(scheduler.get("clip_sample", True)), "image_size": side, "channels": channels,
             "ema": {"name": "lit_ema"}, "sampler": {"name": "ddim", "steps": min(50, len(betas))}}
    if classes is not None:
        model.update(conditioning_key="adm", condition_keys={"labels": "class_label"})
    return model, config


def data_section(model: dict[str, Any]) -> dict[str, Any]:
    """A data section of the model's image shape (the run config needs one; sampling never reads it):
    the built-in digits for 8x8 grey, else an image folder ``data`` of that size."""
    side, channels = model["image_size"], model["channels"]
    if (side, channels) == (8, 1):
        return {"name": "digits"}
    return {"name": "image_folder", "path": "data", "image_size": side, "channels": channels}


def import_diffusers(folder: str | Path, out: str | Path, *, backbone: str = "unet") -> Path:
    """Write ``out`` (a checkpoint ``ddpm-kit sample`` reads) from the pipeline ``folder``; ImportProblem,
    ConfigError or KeyError (unmapped weights) for what does not fit. Nothing is written on error."""
    from safetensors.torch import load_file

    from ddpm_kit.config import ConfigError, validate_source
    from ddpm_kit.config.source import Source
    from ddpm_kit.module import DDPM

    folder = Path(folder)
    section, _ = model_section(folder, backbone)
    weights_file = folder / "unet" / UNET_WEIGHTS
    if not weights_file.is_file():
        raise ImportProblem(f"{weights_file}: missing")
    weights = load_file(str(weights_file))
    report = validate_source(Source({"model": section, "data": data_section(section)}, str(folder)))
    if not report.ok:
        raise ConfigError(report.errors, str(folder))
    config = report.config.model
    module = DDPM(run=report.config)
    network = module.model.diffusion_model
    own = network.state_dict()
    if backbone == "unet":
        state = from_diffusers(config.unet_config, own, weights)
    else:
        state = {f"unet.{k}": v for k, v in weights.items()}
        missing, extra = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or extra:
            raise KeyError(f"the folder's UNet2DModel weights do not fit its config: missing keys {missing}, "
                           f"unexpected keys {extra}")
    network.load_state_dict(state, strict=True)
    for name in module.ema_modules:
        getattr(module, name).reset(module.model)
    out = Path(out)
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams), "global_step": None,
                "imported_from": str(folder)}, out)
    return out
