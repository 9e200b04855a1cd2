"""``ddpm-kit evaluate``'s options merged with a config's ``eval`` section into one validated request.

Precedence: a command-line option, then the ``eval`` section of ``--config`` (or of the checkpoint's stored run), then
the defaults of ``EvalConfig``. Problems are reported under the option's name (``--metrics``), one paragraph.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddpm_kit.cli.errors import UserError

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

#: EvalConfig field -> the evaluate option that sets it
OPTION_OF = {"n": "--n", "sampler": "--sampler", "metrics": "--metrics", "extractor": "--extractor",
             "reference": "--reference", "seed": "--seed", "batch_size": "--batch-size"}
DEFAULT_METRICS = ["fd", "kid", "pr", "mem"]


def run_config_of(config: Path | None, module: DDPM) -> Any:
    """The run whose data and eval sections apply: ``--config`` (validated as ``ddpm-kit validate`` does), else
    the run stored in the checkpoint (None with ``--samples`` and no ``--config``)."""
    if config is not None:
        from ddpm_kit.config import validate_file

        return validate_file(config).raise_for_errors()
    return None if module is None else module.run_config


def resolve_settings(run: Any, *, n: int | None, sampler: str | None, sampler_params: dict[str, Any],
                     metrics: str | None, extractor: str | None, reference: str | None, seed: int | None,
                     batch_size: int | None) -> Any:
    """The validated ``EvalConfig`` of this evaluation (``every_n_steps`` unused)."""
    from ddpm_kit.config.evaluation import parse_metrics

    base = run.eval.model_dump(mode="json", exclude_unset=True) if run is not None and run.eval else {}
    base.pop("every_n_steps", None)
    given: dict[str, Any] = {"n": n, "reference": reference, "seed": seed, "batch_size": batch_size,
                             "metrics": parse_metrics(metrics) if metrics is not None else None,
                             "extractor": _yaml_value(extractor, "--extractor") if extractor is not None else None}
    data = {"metrics": DEFAULT_METRICS, **base, **{k: v for k, v in given.items() if v is not None}}
    sampler_data = _sampler_data(base.get("sampler"), sampler, sampler_params)
    if sampler_data is not None:
        data["sampler"] = sampler_data
    settings = _validated(data)
    if settings.reference in ("train", "val") and run is None:
        raise UserError(f"--reference {settings.reference}: needs the data section of a run; give --config RUN.yaml "
                        "or a checkpoint (or --reference FILE.npz)")
    if run is not None:
        _check_against_run(run, settings)
    return settings


def _sampler_data(base: Any, name: str | None, given: dict[str, Any]) -> dict | None:
    """The eval sampler: ``--sampler`` with the given settings, else eval.sampler with them changed."""
    params = {k: v for k, v in given.items() if v is not None}
    if name is not None:
        return {"name": name, **params}
    if base is not None:
        base = {"name": base} if isinstance(base, str) else dict(base)
        return {**base, **params}
    if params:
        raise UserError(f"{', '.join('--' + k for k in params)} need --sampler (or an eval.sampler in the config) to "
                        "apply to")
    return None


def _yaml_value(text: str, option: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{option} {text!r}: not a name or a YAML mapping ({str(exc).splitlines()[0]})") from None


def _validated(data: dict) -> Any:
    from pydantic import ValidationError

    from ddpm_kit.config.evaluation import EvalConfig
    from ddpm_kit.config.validate import pydantic_issues

    try:
        return EvalConfig.model_validate({"every_n_steps": 1, **data})
    except ValidationError as exc:
        parts = []
        for issue in pydantic_issues(exc, data, EvalConfig):
            head = str(issue.path).split(".")[0]
            where = OPTION_OF.get(head, head) + (str(issue.path)[len(head):] if head in OPTION_OF else "")
            text = f"{where}: {issue.message}" + (f" (got {issue.value!r})" if issue.has_value else "")
            parts.append(text + (f"; {issue.hint}" if issue.hint else ""))
        raise UserError(" | ".join(parts)) from None


def _check_against_run(run: Any, settings: Any) -> None:
    """The same rules as the ``eval`` section of a config: extractor vs images, n vs feature dimension, ..."""
    from ddpm_kit.config.errors import Issues
    from ddpm_kit.config.eval_rules import check_eval
    from ddpm_kit.config.rules import effective_timesteps

    issues = Issues()
    check_eval(run.model_copy(update={"eval": settings}), effective_timesteps(run.model), issues)
    if issues.errors:
        raise UserError(" | ".join(f"{_option_path(i.path)}: {i.message}" + (f" (got {i.value!r})" if i.has_value
                                   else "") + (f"; {i.hint}" if i.hint else "") for i in issues.errors))


def _option_path(path: str) -> str:
    field = path.removeprefix("eval.").split(".")[0]
    return OPTION_OF.get(field, path)
