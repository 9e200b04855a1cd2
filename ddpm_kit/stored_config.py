"""The config a checkpoint stores: read from its hyper-parameters, its two copies compared, the init-only fields
cleared, validated again, and checked against what the caller expects."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from ddpm_kit.checkpoint import CheckpointError
from ddpm_kit.config import ConfigError, RunConfig, validate_source
from ddpm_kit.config.source import Source

log = logging.getLogger(__name__)

#: model fields that only say how training was initialised; cleared (to these values) before loading
INIT_ONLY = {"ckpt_path": None, "ignore_keys": [], "load_only_unet": False, "make_it_fit": False,
             "reset_ema": False, "reset_num_ema_updates": False}

def _diff(a: Any, b: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Leaf paths where two JSON-like values differ: [(dotted path, a value, b value)]; two components of
    different names differ by their names."""
    if isinstance(a, dict) and isinstance(b, dict) and a.get("name") != b.get("name"):
        return [(prefix or "(config)", a.get("name"), b.get("name"))]  # another component altogether
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _diff(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if a == b else [(prefix or "(config)", a, b)]


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def stored_document(hparams: Any, where: str) -> tuple[dict[str, Any], bool]:
    """The stored run config (or ``{"model": config}`` when the DDPM was built from a model config alone)
    with the init-only fields cleared, and whether a run config was stored."""
    config = hparams.get("config") if isinstance(hparams, dict) else None
    run = hparams.get("run") if isinstance(hparams, dict) else None
    if not isinstance(config, dict) and not isinstance(run, dict):
        raise CheckpointError(f"{where}: holds no ddpm-kit config (hyper_parameters.config / .run): it was not "
                              f"written by ddpm-kit train or export; to start from its weights, set model.ckpt_path "
                              f"in a config instead")
    if isinstance(run, dict) and isinstance(config, dict) and isinstance(run.get("model"), dict):
        differing = _diff(config, run["model"])
        if differing:
            listed = "; ".join(f"{p}: config {_short(a)}, run {_short(b)}" for p, a, b in differing[:5])
            raise CheckpointError(f"{where}: its two stored copies of the model config disagree ({listed}): the "
                                  f"checkpoint was edited or is corrupt, so it is unknown what the weights were "
                                  f"trained with")
    document = json.loads(json.dumps(run if isinstance(run, dict) else {"model": config}))  # a deep copy
    if isinstance(document.get("model"), dict):
        cleared = [k for k, v in INIT_ONLY.items() if document["model"].get(k, v) != v]
        if cleared:
            log.info("%s: ignoring the init-only settings %s (the checkpoint holds the trained weights)", where,
                     ", ".join(cleared))
        document["model"].update({k: v for k, v in INIT_ONLY.items() if k in document["model"]})
    return document, isinstance(run, dict)


def validated_document(document: dict[str, Any], where: str) -> RunConfig:
    report = validate_source(Source(document, where))
    if not report.ok and "eval" in document and all(str(i.path).startswith("eval") for i in report.errors):
        # the in-loop evaluation's files (extractor weights, a reference .npz) may not exist where the checkpoint
        # is used; the model does not depend on them, so the section is dropped rather than the checkpoint refused
        log.warning("%s: the stored eval section does not validate here (%s); it is ignored (give evaluate its "
                    "settings as options)", where, "; ".join(f"{i.path}: {i.message}" for i in report.errors[:3]))
        document.pop("eval")
        report = validate_source(Source(document, where))
    if not report.ok:
        lines = "; ".join(f"{i.path or '(config)'}: {i.message}" + (f" (got {_short(i.value)})" if i.has_value else "")
                          for i in report.errors[:8])
        raise CheckpointError(f"{where}: the stored config no longer validates ({len(report.errors)} problem"
                              f"{'s' if len(report.errors) != 1 else ''}: {lines}); it was edited, or written by "
                              f"another ddpm-kit version or with a plugin that is missing or changed here")
    assert report.config is not None
    return report.config


def check_expectations(stored: RunConfig, document: dict[str, Any], expect: Mapping[str, Any], where: str) -> None:
    """``expect`` maps model paths ("parameterization", "unet_config.model_channels") to values as a user
    writes them; each is applied to the stored config, which is validated again, and any model setting that
    then differs from the checkpoint's is an error naming the field, the checkpoint's and the expected value."""
    overrides = [f"model.{key}={json.dumps(value, default=str)}" for key, value in expect.items()]
    report = validate_source(Source(document, "expected settings"), overrides)
    if not report.ok:
        raise ConfigError(report.errors, "the expected model settings")
    assert report.config is not None
    differing = _diff(stored.model.model_dump(mode="json"), report.config.model.model_dump(mode="json"))
    if differing:
        listed = "; ".join(f"{p}: checkpoint {_short(a)}, expected {_short(b)}" for p, a, b in differing)
        raise CheckpointError(f"{where}: does not match the expected model settings ({listed})")
