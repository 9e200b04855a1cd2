"""``ddpm-kit import-diffusers DIR --out CKPT`` and the checks and messages of ``export --diffusers``.

The logic lives in ``ddpm_kit.interop``; exit code 1 for a folder that does not fit (named file, field or keys).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError
from ddpm_kit.cli.common import echo_export, export_errors, export_folder


@app.command("import-diffusers")
def import_diffusers(
    folder: Path = typer.Argument(..., help="a diffusers DDPMPipeline/DDIMPipeline folder (UNet2DModel)"),
    out: Path = typer.Option(..., "--out", help="checkpoint to write"),
    backbone: str = typer.Option("unet", "--backbone", help="unet (CompVis layout, converted) or diffusers.unet2d "
                                                            "(the plugin's backbone, weights as is)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing --out"),
) -> None:
    """Import a diffusers UNet2DModel pipeline folder as a ddpm-kit checkpoint (strict: every key mapped)."""
    if backbone not in ("unet", "diffusers.unet2d"):
        raise UserError(f"--backbone {backbone!r}: choose unet or diffusers.unet2d")
    run_import(folder, out, backbone=backbone, force=force)


def run_export(checkpoint: Path, out: Path | None, *, force: bool, ema: bool, expect: Any) -> None:
    """``export CKPT --diffusers [--out DIR] [--no-ema] [--force]``."""
    from ddpm_kit.interop.diffusers_export import export_diffusers
    from ddpm_kit.interop.unet_keys import NotRepresentable

    out_dir = export_folder(checkpoint, out, "_diffusers")
    if (out_dir / "model_index.json").exists() and not force:
        raise UserError(f"--out {out_dir}: already holds a diffusers export; use --force to overwrite it, "
                        f"or another --out")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with export_errors(out_dir):
        try:
            written = export_diffusers(checkpoint, out_dir, ema=ema, expect=expect)
        except NotRepresentable as exc:
            raise UserError(f"{checkpoint}: cannot export for diffusers: {exc}") from None
    echo_export(checkpoint, out_dir, written, " (diffusers DDPMPipeline)")


def run_import(folder: Path, out: Path, *, backbone: str, force: bool) -> None:
    """``import-diffusers DIR --out CKPT [--backbone unet|diffusers.unet2d] [--force]``."""
    from ddpm_kit.config import ConfigError
    from ddpm_kit.interop.diffusers_import import ImportProblem, import_diffusers

    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder (pass a diffusers pipeline folder holding model_index.json)")
    if out.exists() and not force:
        raise UserError(f"--out {out}: exists; use --force to overwrite it, or another --out")
    try:
        written = import_diffusers(folder, out, backbone=backbone)
    except ImportProblem as exc:
        raise UserError(str(exc)) from None
    except KeyError as exc:
        raise UserError(f"{folder / 'unet'}: {exc.args[0]}") from None
    except ConfigError as exc:
        raise UserError(f"{folder}: the imported model does not validate: {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    typer.echo(f"imported {folder} -> {written}")
