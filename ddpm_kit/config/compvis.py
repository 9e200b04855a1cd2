"""Reading configs written in the CompVis latent-diffusion layout.

``model: {base_learning_rate, target, params: {..., unet_config: {target, params}}}`` plus
``data`` and ``lightning`` sections. Known upstream targets map to registry entries by a fixed
table; any other target is an error that names it. Nothing named in a file is ever imported.
"""

from __future__ import annotations

from typing import Any

from ddpm_kit.config.errors import FieldPath, Issues

DDPM_TARGETS = {"ldm.models.diffusion.ddpm.DDPM"}
BACKBONE_TARGETS = {"ldm.modules.diffusionmodules.openaimodel.UNetModel": "unet"}
LR_TARGETS = {
    "ldm.lr_scheduler.LambdaLinearScheduler": "lambda_linear",
    "ldm.lr_scheduler.LambdaWarmUpCosineScheduler": "lambda_warmup_cosine",
    "ldm.lr_scheduler.LambdaWarmUpCosineScheduler2": "lambda_warmup_cosine2",
}
LOGGER_TARGETS = {"pytorch_lightning.loggers.CSVLogger": "csv",
                  "pytorch_lightning.loggers.TensorBoardLogger": "tensorboard"}
IMAGE_LOGGER_TARGETS = {"main.ImageLogger"}
LATENT_ONLY_PARAMS = (
    "first_stage_config", "cond_stage_config", "num_timesteps_cond", "cond_stage_key", "cond_stage_trainable",
    "concat_mode", "cond_stage_forward", "scale_factor", "scale_by_std", "force_null_conditioning",
)
UNSUPPORTED_MODELS = {
    "ldm.models.autoencoder.AutoencoderKL": "an autoencoder (first stage), not a diffusion model",
    "ldm.models.autoencoder.VQModel": "an autoencoder (first stage), not a diffusion model",
    "ldm.models.autoencoder.VQModelInterface": "an autoencoder (first stage), not a diffusion model",
}


def is_compvis_layout(data: Any) -> bool:
    """A CompVis file has ``model.target`` (ddpm-kit's model section has no target); Karlo files are routed here too."""
    return (isinstance(data, dict) and isinstance(data.get("model"), dict) and "target" in data["model"]) \
        or is_karlo_layout(data)


def is_karlo_layout(data: Any) -> bool:
    """Stability's Karlo (unCLIP) files: ``model: {type, hparams}`` beside a ``diffusion`` section."""
    return (isinstance(data, dict) and isinstance(data.get("model"), dict) and "type" in data["model"]
            and "diffusion" in data)


def _component(block: Any, table: dict[str, str], path: FieldPath, what: str, issues: Issues) -> Any:
    """{target, params} -> {name, **params} through ``table``; unknown targets are errors (never imported)."""
    if not isinstance(block, dict) or "target" not in block:
        return block
    target = block["target"]
    extra = sorted(set(block) - {"target", "params"})
    if extra:
        issues.error(".".join(map(str, path + (extra[0],))), "unknown key beside target/params (upstream ignores it)",
                     hint="did you mean 'params'?" if extra[0].startswith("param") else "")
    if target not in table:
        issues.error(".".join(map(str, path + ("target",))), f"{what} target {target!r} is not supported",
                     hint=f"supported: {', '.join(sorted(table))}" if table else "")
        return None
    params = block.get("params") or {}
    if not isinstance(params, dict):
        issues.error(".".join(map(str, path + ("params",))), "must be a mapping", value=params)
        return None
    return {"name": table[target], **params}


def translate_ddpm_params(params: dict[str, Any], issues: Issues, path: FieldPath = ()) -> dict[str, Any]:
    """Upstream ``DDPM`` arguments (a YAML ``model.params`` or ``DDPM(**kwargs)``) with ``unet_config`` and
    ``scheduler_config`` in upstream's ``{target, params}`` form turned into ``{name, **params}`` through
    ``BACKBONE_TARGETS`` / ``LR_TARGETS``; blocks already in ddpm-kit's form pass unchanged. Unknown targets
    are errors in ``issues`` (the block becomes None); nothing named is imported."""
    section = dict(params)
    if "unet_config" in section:
        section["unet_config"] = _component(section["unet_config"], BACKBONE_TARGETS, path + ("unet_config",),
                                            "backbone", issues)
    if section.get("scheduler_config") is not None:
        section["scheduler_config"] = _component(section["scheduler_config"], LR_TARGETS, path + ("scheduler_config",),
                                                 "LR scheduler", issues)
    return section


def translate(data: dict[str, Any], issues: Issues) -> tuple[dict[str, Any], dict[FieldPath, FieldPath]]:
    """Return the config in ddpm-kit's layout and a map from new paths to the file's paths."""
    out: dict[str, Any] = {}
    remap: dict[FieldPath, FieldPath] = {}
    if is_karlo_layout(data):
        issues.error("model.type", f"a Karlo (unCLIP) {data['model']['type']!r} config is not supported: ddpm-kit "
                     "reads its own layout and CompVis 'model: {target, params}' files", value=data["model"]["type"])
        return out, remap
    model = data["model"]
    target = model.get("target")
    params = model.get("params") or {}
    if target not in DDPM_TARGETS:
        reason = UNSUPPORTED_MODELS.get(target)
        if reason is None and isinstance(params, dict):
            latent = [k for k in LATENT_ONLY_PARAMS if k in params]
            stages = [f"{k} ({_describe(params[k])})"
                      for k in ("first_stage_config", "cond_stage_config") if k in params]
            reason = ("a latent-diffusion model: ddpm-kit trains the pixel-space DDPM and has no "
                      + (" or ".join(stages) if stages else "first/cond stage")
                      + (f"; latent-only arguments: {', '.join(latent)}" if latent else ""))
        issues.error("model.target", f"{target!r} is not supported: it is {reason}",
                     hint="use target ldm.models.diffusion.ddpm.DDPM, or ddpm-kit's own layout")
        return out, remap
    for key in sorted(set(model) - {"target", "params", "base_learning_rate"}):
        issues.error(f"model.{key}", "unknown key in the CompVis model block (upstream ignores it silently)")
    if not isinstance(params, dict):
        issues.error("model.params", "must be a mapping", value=params)
        return out, remap
    section = translate_ddpm_params(params, issues, ("model", "params"))
    remap[("model",)] = ("model", "params")
    if "unet_config" in section:
        remap[("model", "unet_config")] = ("model", "params", "unet_config", "params")
        remap[("model", "unet_config", "name")] = ("model", "params", "unet_config", "target")
    if section.get("scheduler_config") is not None:
        remap[("model", "scheduler_config")] = ("model", "params", "scheduler_config", "params")
    out["model"] = section
    if "base_learning_rate" in model:
        out["optimizer"] = {"base_learning_rate": model["base_learning_rate"], "scale_lr": True}
        remap[("optimizer", "base_learning_rate")] = ("model", "base_learning_rate")
    if "data" in data:
        out["data"] = _translate_data(data["data"], issues, remap)
    for key in sorted(set(data) - {"model", "data", "lightning"}):
        out[key] = data[key]
    if "lightning" in data:
        _translate_lightning(data["lightning"], out, issues, remap)
    return out, remap


def _describe(block: Any) -> str:
    return block.get("target", "?") if isinstance(block, dict) else str(block)


def _translate_data(block: Any, issues: Issues, remap: dict[FieldPath, FieldPath]) -> Any:
    if not isinstance(block, dict) or "target" not in block:
        return block  # ddpm-kit layout ({name: ...}) inside a CompVis file
    params = block.get("params") or {}
    splits = [k for k in ("train", "validation", "test", "predict") if isinstance(params, dict) and k in params]
    for split in splits:
        issues.error(f"data.params.{split}.target", f"{_describe(params[split])!r} is not a ddpm-kit data source",
                     hint="replace the data section with e.g. {name: image_folder, path: ..., batch_size: ...}")
    if not splits:
        issues.error("data.target", f"{block['target']!r} defines no train split ddpm-kit can read")
    remap[("data", "batch_size")] = ("data", "params", "batch_size")
    return {"name": "digits", "batch_size": params.get("batch_size", 128)} if isinstance(params, dict) else block


def _translate_lightning(block: Any, out: dict[str, Any], issues: Issues, remap: dict[FieldPath, FieldPath]) -> None:
    if not isinstance(block, dict):
        issues.error("lightning", "must be a mapping", value=block)
        return
    trainer = dict(block.get("trainer") or {})
    remap[("trainer",)] = ("lightning", "trainer")
    gpus = trainer.pop("gpus", None)
    if gpus is not None:  # upstream counts the entries of a comma-separated string: "0,1," -> 2 GPUs
        ids = [int(g) for g in str(gpus).split(",") if g.strip().isdigit()]
        trainer.update(accelerator="gpu", devices=ids or gpus)
    else:  # upstream main.py drops the accelerator without gpus: a single-process CPU run
        trainer.setdefault("accelerator", "cpu")
        trainer.setdefault("devices", 1)
    if block.get("find_unused_parameters"):
        trainer["strategy"] = "ddp_find_unused_parameters_true"
    out["trainer"] = trainer
    output: dict[str, Any] = {}
    checkpoint = block.get("modelcheckpoint")
    if isinstance(checkpoint, dict):
        steps = (checkpoint.get("params") or {}).get("every_n_train_steps")
        if steps is not None:
            output["checkpoint_every_n_steps"] = steps
            remap[("output", "checkpoint_every_n_steps")] = ("lightning", "modelcheckpoint", "params",
                                                             "every_n_train_steps")
    logger = block.get("logger")
    if isinstance(logger, dict) and "target" in logger:
        if logger["target"] in LOGGER_TARGETS:
            output["logger"] = LOGGER_TARGETS[logger["target"]]
        else:
            issues.error("lightning.logger.target", f"logger {logger['target']!r} is not supported",
                         hint=f"supported: {', '.join(LOGGER_TARGETS)}")
    for name, callback in (block.get("callbacks") or {}).items():
        target = _describe(callback)
        if target in IMAGE_LOGGER_TARGETS:
            frequency = ((callback.get("params") or {}) if isinstance(callback, dict) else {}).get("batch_frequency")
            if frequency is not None:
                output["image_every_n_steps"] = frequency
                remap[("output", "image_every_n_steps")] = ("lightning", "callbacks", name, "params", "batch_frequency")
        else:
            issues.error(f"lightning.callbacks.{name}.target", f"callback {target!r} is not supported")
    for key in sorted(set(block) - {"trainer", "modelcheckpoint", "logger", "callbacks", "find_unused_parameters"}):
        issues.error(f"lightning.{key}", "is not supported")
    if output:
        out["output"] = output
