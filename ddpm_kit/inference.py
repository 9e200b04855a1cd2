"""A trained model for sampling: load a checkpoint safely and checked, and export it (drawing: ``generation``).

Inputs ``load_checkpoint`` reads (never unpickling code: ``weights_only=True`` or safetensors):

- a Lightning ``.ckpt`` of a ``DDPM`` (what ``ddpm-kit train`` writes): the model is rebuilt from its
  ``hyper_parameters`` (``config``, ``run``, ``learning_rate``, ``input_layout``);
- an export folder (``export_safetensors``): ``config.json`` + ``weights.safetensors`` (training weights)
  + ``weights_ema.safetensors`` (EMA weights under the same keys), one file per EMA.

Each check is a ``CheckpointError`` naming what differs: the checkpoint holds a ddpm-kit config, and its
``config`` and ``run.model`` copies agree; the config still validates (``ddpm_kit.config``, every problem
named); the state dict has exactly the keys and shapes of the model the config builds (strict); the 12
schedule buffers equal what the config derives; and the caller's ``expect`` matches the checkpoint.

The init-only fields (``ckpt_path`` and friends) are cleared before validation: the checkpoint already
holds the trained weights, and the file the run was initialised from need not exist where it is sampled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ddpm_kit.checkpoint import CheckpointError, read_checkpoint, state_dict_of
from ddpm_kit.config import ConfigError
from ddpm_kit.diffusion.buffers import BUFFER_NAMES
from ddpm_kit.stored_config import check_expectations, stored_document, validated_document

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)

EXPORT_FORMAT = "ddpm-kit-safetensors"
EXPORT_VERSION = 1
CONFIG_FILE = "config.json"
RAW_FILE = "weights.safetensors"


def ema_file(index: int) -> str:
    """File of the index-th EMA in an export folder: weights_ema.safetensors, weights_ema_1.safetensors, ..."""
    return "weights_ema.safetensors" if index == 0 else f"weights_ema_{index}.safetensors"


@dataclass
class LoadedCheckpoint:
    """A checked model in eval mode holding every stored weight (training weights in ``model``)."""

    module: DDPM
    path: Path
    kind: str  # "lightning" or "safetensors export"
    has_ema: bool
    global_step: int | None


# ----------------------------------------------------------------------------------------- weight checks
def _check_keys(own: Mapping[str, Tensor], state: Mapping[str, Tensor], where: str) -> None:
    """Strict: the same keys, shapes and kinds of dtype (float / int / bool) as the model the stored config builds."""
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(own[k].shape)}"
              for k in own if k in state and state[k].shape != own[k].shape]
    kinds = [f"{k}: checkpoint {state[k].dtype}, model {own[k].dtype}" for k in own
             if k in state and (state[k].is_floating_point(), state[k].is_complex(), state[k].dtype == torch.bool)
             != (own[k].is_floating_point(), own[k].is_complex(), own[k].dtype == torch.bool)]
    if missing or unexpected or shapes or kinds:
        parts = [f"{len(keys)} {what} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
                 for what, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                                    ("tensors of another shape", shapes), ("tensors of another dtype kind", kinds))
                 if keys]
        raise CheckpointError(f"{where}: the weights do not fit the model its stored config builds: "
                              f"{'; '.join(parts)}")


def describe_schedule(betas: Tensor) -> str:
    """T, first and last beta and terminal alpha_bar, plus a registered schedule (default parameters) that
    gives these betas when there is one."""
    from ddpm_kit.registry import SCHEDULES

    betas = betas.double().flatten()
    text = (f"T={betas.numel()}, beta_1={betas[0].item():.4g}, beta_T={betas[-1].item():.4g}, "
            f"alpha_bar_T={torch.prod(1 - betas).item():.3g}")
    for name in SCHEDULES.names():
        try:
            spec = SCHEDULES.get(name).model_validate({"name": name})
            reference = torch.tensor(spec.reference_betas(betas.numel()), dtype=torch.float64)
        except Exception:  # a schedule that needs parameters, or fails at this T: no match to report
            continue
        if reference.shape == betas.shape and torch.allclose(reference, betas, rtol=1e-5, atol=1e-9):
            return text + f" (as beta_schedule {name!r} with default parameters)"
    return text


def _check_schedule(module: DDPM, state: Mapping[str, Tensor], where: str) -> None:
    """The schedule buffers the weights were trained with must equal those the config derives."""
    differing = [name for name in BUFFER_NAMES if name in state and not (
        state[name].shape == getattr(module, name).shape
        and torch.allclose(state[name].double(), getattr(module, name).double(), rtol=1e-5, atol=1e-8))]
    if differing:
        cfg = module.cfg
        trained = describe_schedule(state["betas"]) if "betas" in state else "without betas"
        raise CheckpointError(
            f"{where}: the weights were trained with another noise schedule than the stored config derives "
            f"({', '.join(differing[:4])}{', ...' if len(differing) > 4 else ''} differ): checkpoint {trained}; "
            f"config beta_schedule {cfg.beta_schedule.name!r} with "
            f"timesteps={cfg.timesteps}, parameterization={cfg.parameterization!r} gives "
            f"{describe_schedule(module.betas)}"
        )


# ----------------------------------------------------------------------------------------- loading
def _build(document: dict[str, Any], has_run: bool, hparams: Mapping[str, Any], where: str,
           expect: Mapping[str, Any] | None) -> Any:
    from ddpm_kit.module import DDPM

    run = validated_document(document, where)
    if expect:
        check_expectations(run, document, expect, where)
    layout = hparams.get("input_layout", "channels_last")
    try:
        if has_run:
            return DDPM(run=run, learning_rate=hparams.get("learning_rate"), input_layout=layout)
        return DDPM(config=run.model, learning_rate=hparams.get("learning_rate"), input_layout=layout)
    except ConfigError as exc:
        raise CheckpointError(f"{where}: cannot rebuild the model: {exc}") from None


def _read_export(folder: Path) -> tuple[dict[str, Any], dict[str, Tensor], list[dict[str, Tensor]]]:
    """config.json, the raw weights and every EMA weights file of an export folder."""
    from ddpm_kit.files import input_file_problem

    if not (folder / CONFIG_FILE).exists():
        raise CheckpointError(f"{folder}: a folder, but no {CONFIG_FILE}: not a ddpm-kit export")
    problem = input_file_problem(folder / CONFIG_FILE, "config")
    if problem:
        raise CheckpointError(f"{folder / CONFIG_FILE}: {problem}")
    try:
        meta = json.loads((folder / CONFIG_FILE).read_text())
    except RecursionError:
        raise CheckpointError(f"{folder / CONFIG_FILE}: nested too deeply to be a ddpm-kit config") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{folder / CONFIG_FILE}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != EXPORT_FORMAT:
        raise CheckpointError(f"{folder / CONFIG_FILE}: not a ddpm-kit export (format should be {EXPORT_FORMAT!r})")
    if not isinstance(meta.get("format_version"), int) or meta["format_version"] > EXPORT_VERSION:
        raise CheckpointError(f"{folder / CONFIG_FILE}: export format_version {meta.get('format_version')!r} is newer "
                              f"than this ddpm-kit reads ({EXPORT_VERSION}); upgrade ddpm-kit")
    files = meta.get("weights") if isinstance(meta.get("weights"), dict) else {}
    raw_name, ema_names = files.get("raw"), files.get("ema", [])
    names = [raw_name, *ema_names] if isinstance(ema_names, list) else [None]
    if not all(isinstance(n, str) and n and Path(n).name == n and n.endswith(".safetensors") for n in names):
        raise CheckpointError(f"{folder / CONFIG_FILE}: 'weights' must name .safetensors files inside the folder, "
                              f"raw: a file name, ema: a list of file names; got {files!r}")
    raw = state_dict_of(_read(folder / raw_name), folder / raw_name)
    emas = [state_dict_of(_read(folder / n), folder / n) for n in ema_names]
    return meta, raw, emas


def _read(path: Path) -> dict[str, Any]:
    """``read_checkpoint`` with an empty file reported as such (torch raises a message-less EOFError)."""
    if path.is_file() and path.stat().st_size == 0:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint (the file is empty)")
    return read_checkpoint(path)


def load_checkpoint(path: str | Path, *, expect: Mapping[str, Any] | None = None) -> LoadedCheckpoint:
    """The model of a ``.ckpt`` or an export folder, rebuilt from its stored config and checked (see module
    docstring); CheckpointError for anything that does not fit, ConfigError for invalid ``expect`` values."""
    path = Path(path)
    if path.is_dir():
        meta, raw, emas = _read_export(path)
        hparams, kind, step, state = meta.get("hyper_parameters"), "safetensors export", meta.get("global_step"), raw
    else:
        obj = _read(path)
        hparams, kind, step = obj.get("hyper_parameters"), "lightning", obj.get("global_step")
        state = state_dict_of(obj, path)
        if not isinstance(hparams, dict) and path.suffix == ".safetensors":
            raise CheckpointError(f"{path}: a bare safetensors file holds no config; pass the export folder that "
                                  f"holds it and its {CONFIG_FILE}")
    document, has_run = stored_document(hparams, str(path))
    module = _build(document, has_run, hparams, str(path), expect)
    _check_schedule(module, state, str(path))
    own = module.state_dict()
    if kind == "lightning":
        _check_keys(own, state, str(path))
        module.load_state_dict(state, strict=True)
        has_ema = bool(module.ema_modules)
    else:
        has_ema = _load_export_weights(module, own, state, emas, path)
    module.eval()
    return LoadedCheckpoint(module, path, kind, has_ema, int(step) if isinstance(step, int) else None)


def _load_export_weights(module: DDPM, own: Mapping[str, Tensor], raw: Mapping[str, Tensor],
                         emas: list[dict[str, Tensor]], folder: Path) -> bool:
    network_keys = {k: v for k, v in own.items() if k.split(".")[0] not in module.ema_modules}
    _check_keys(network_keys, raw, str(folder / RAW_FILE))
    module.load_state_dict(raw, strict=False)
    if emas and len(emas) != len(module.ema_modules):
        raise CheckpointError(f"{folder}: holds {len(emas)} EMA weight files, the config has "
                              f"{len(module.ema_modules)} EMAs")
    for index, name in enumerate(module.ema_modules):
        ema = getattr(module, name)
        if not emas:  # exported without EMA weights: the shadows must not keep their random init
            ema.reset(module.model)
            continue
        _check_keys(network_keys, emas[index], str(folder / ema_file(index)))
        _check_schedule(module, emas[index], str(folder / ema_file(index)))
        with torch.no_grad():
            for param_name, shadow in ema.param_to_shadow.items():
                getattr(ema, shadow).copy_(emas[index][f"model.{param_name}"])
    return bool(emas) and bool(module.ema_modules)


def load_for_sampling(path: str | Path, *, expect: Mapping[str, Any] | None = None,
                      ema: bool | None = None) -> Any:
    """An eval-mode DDPM whose ``model`` holds the weights to sample with.

    ``ema``: None uses the EMA weights when the checkpoint has them (else the training weights; the CLI
    prints a note), True requires them, False takes the training weights. The chosen weights are copied
    into ``model`` and ``use_ema`` is set to False, so ``ema_scope`` no longer swaps anything;
    ``sampling_weights`` says which weights were taken ("ema" or "raw").
    """
    loaded = load_checkpoint(path, expect=expect)
    module = loaded.module
    if ema and not loaded.has_ema:
        raise CheckpointError(f"{path}: EMA weights were asked for, but the checkpoint has none "
                              f"(use_ema: {module.cfg.use_ema}); sample with the training weights instead")
    use = loaded.has_ema if ema is None else ema
    if ema is None and not loaded.has_ema:
        log.debug("%s has no EMA weights: sampling with the training weights", path)
    if use:
        getattr(module, module.ema_modules[0]).copy_to(module.model)
    module.use_ema = False
    module.sampling_weights = "ema" if use else "raw"
    return module


# ----------------------------------------------------------------------------------------- export
def export_safetensors(path: str | Path, out_dir: str | Path, *, expect: Mapping[str, Any] | None = None
                       ) -> list[Path]:
    """Write ``out_dir``/weights.safetensors (the DDPM state dict without its EMA modules: network weights as
    ``model.diffusion_model.*`` and the schedule buffers, upstream's names), one weights_ema*.safetensors
    per EMA (the same keys, network weights replaced by the EMA's), and config.json (validated config,
    ddpm-kit version, which file is which). Returns the written paths."""
    from safetensors.torch import save_file

    from ddpm_kit import __version__

    loaded = load_checkpoint(path, expect=expect)
    module = loaded.module
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()
           if k.split(".")[0] not in module.ema_modules}
    files = {RAW_FILE: (raw, "training (raw) weights")}
    for index, name in enumerate(module.ema_modules if loaded.has_ema else []):
        ema = getattr(module, name)
        weights = dict(raw)
        weights.update({f"model.{p}": s.detach().cpu().contiguous().clone() for p, s in ema.shadows().items()})
        files[ema_file(index)] = (weights, f"EMA weights ({name}: {module.cfg.ema[index].name}) under the same keys")
    written = []
    for filename, (weights, what) in files.items():
        save_file(weights, str(out_dir / filename), metadata={"format": "pt", "ddpm_kit": what})
        written.append(out_dir / filename)
    meta = {
        "format": EXPORT_FORMAT, "format_version": EXPORT_VERSION, "ddpm_kit_version": __version__,
        "weights": {"raw": RAW_FILE, "ema": [f for f in files if f != RAW_FILE]},
        "files": {filename: what for filename, (_, what) in files.items()},
        "source": str(loaded.path), "global_step": loaded.global_step,
        "hyper_parameters": dict(module.hparams),
    }
    (out_dir / CONFIG_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")
    return [*written, out_dir / CONFIG_FILE]
