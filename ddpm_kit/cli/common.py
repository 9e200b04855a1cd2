"""What several commands share: option help texts, the missing-checkpoint error, ``--set model.*`` expectations,
output-path and device checks, export folders and their write errors, and the one-paragraph form of a
ConfigError."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from ddpm_kit.cli.errors import UserError

CKPT_HELP = "a .ckpt written by ddpm-kit train, or a folder written by ddpm-kit export"
EXPECT_HELP = ("assert a model setting of the checkpoint, e.g. --set model.parameterization=eps (value is YAML; "
               "repeatable): a checkpoint with another value is refused")


def sampler_option(default: str) -> Any:
    """``--sampler NAME`` (the same option for every command that samples)."""
    return typer.Option(None, "--sampler", help=f"a registered sampler (`ddpm-kit plugins list` shows them; "
                                                f"default: {default})")


def steps_option() -> Any:
    return typer.Option(None, "--steps", help="sampler steps (every sampler but ddpm)")


def eta_option() -> Any:
    return typer.Option(None, "--eta", help="noise scale of ddim and the ancestral / SDE samplers")


def spacing_option() -> Any:
    return typer.Option(None, "--spacing", help="timestep / sigma spacing: uniform, quad, leading, linspace, "
                                                "trailing, karras (sampler-dependent)")


def sampler_setting_option() -> Any:
    """``--option KEY=VALUE``: any other field of the sampler's spec."""
    return typer.Option([], "--option", help="any other sampler setting, KEY=VALUE (YAML value; repeatable), "
                                             "e.g. --option rho=5 --option order=3")


def sampler_options(option: list[str]) -> dict[str, Any]:
    """``--option rho=5`` -> {"rho": 5} (one plain key each; the sampler's spec validates names and values)."""
    from ddpm_kit.config.overrides import OverrideError, split_override

    options: dict[str, Any] = {}
    for text in option:
        path, value = split_override(text)
        if len(path) != 1 or not isinstance(path[0], str):
            raise OverrideError(f"--option {text!r}: expected a sampler setting KEY=VALUE, e.g. --option rho=5")
        if path[0] in ("name", "steps", "eta", "spacing"):
            raise OverrideError(f"--option {text!r}: use --sampler / --steps / --eta / --spacing for {path[0]}")
        options[path[0]] = value
    return options


def missing_path_error(path: Path) -> UserError:
    """A path that does not exist: exit code 2, as an unreadable config file."""
    error = UserError(f"{path}: no such checkpoint file or export folder")
    error.exit_code = 2
    return error


def expectations(set_: list[str]) -> dict[str, Any]:
    """``--set model.a.b=v`` -> {"a.b": v}; only model settings, and not the sampler (use --sampler)."""
    from ddpm_kit.config.errors import join_path
    from ddpm_kit.config.overrides import OverrideError, split_override

    expect: dict[str, Any] = {}
    for text in set_:
        path, value = split_override(text)
        if path[0] != "model" or len(path) < 2:
            raise OverrideError(f"--set {text!r}: sample only checks model settings (model.KEY=VALUE)")
        if path[1] == "sampler":
            raise OverrideError(f"--set {text!r}: choose the sampler with --sampler, --steps and --eta")
        expect[join_path(path[1:])] = value
    return expect


def check_output(path: Path, suffixes: tuple[str, ...], what: str) -> None:
    """Fail before sampling when an output cannot be written."""
    if path.is_dir():
        raise UserError(f"{what} {path}: is a folder; give a file name")
    if path.suffix.lower() not in suffixes:
        raise UserError(f"{what} {path}: use a file name ending in {' or '.join(suffixes)}")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"{what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise UserError(f"{what} {path}: the folder {parent} is not writable")


def export_folder(checkpoint: Path, out: Path | None, suffix: str) -> Path:
    """The folder an export of ``checkpoint`` is written to (``--out``, else ``<stem><suffix>`` beside it),
    checked: the checkpoint exists, and the folder is neither the checkpoint nor an existing file."""
    if not checkpoint.exists():
        raise missing_path_error(checkpoint)
    out_dir = out or checkpoint.with_name(checkpoint.stem + suffix)
    if out_dir.resolve() == checkpoint.resolve():
        raise UserError(f"--out {out_dir}: is the checkpoint itself; choose another folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir}: exists and is not a folder")
    return out_dir


@contextmanager
def export_errors(out_dir: Path) -> Iterator[None]:
    """A checkpoint that cannot be read, or a folder that cannot be written, as a UserError."""
    from ddpm_kit.checkpoint import CheckpointError

    try:
        yield
    except CheckpointError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {out_dir}: {exc.strerror or exc}") from None


def echo_export(checkpoint: Path, out_dir: Path, written: Sequence[Path], what: str = "") -> None:
    typer.echo(f"exported {checkpoint} -> {out_dir}{what}")
    for path in written:
        typer.echo(f"  {path}")


def one_paragraph(exc: Any) -> str:
    """A ConfigError's problems on one line: ``path: message (got value); hint``."""
    parts = []
    for issue in exc.issues:
        if issue.severity == "error":
            text = f"{issue.path or '(config)'}: {issue.message}"
            text += f" (got {issue.value!r})" if issue.has_value else ""
            parts.append(text + (f"; {issue.hint}" if issue.hint else ""))
    return " | ".join(parts)


def pick_device(name: str) -> Any:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError, ValueError) as exc:
        raise UserError(f"--device {name}: not usable here ({(str(exc).splitlines() or [''])[0]})") from None
    if device.type == "meta":
        raise UserError(f"--device {name}: the meta device holds no data; use cpu or cuda")
    return device
