"""``ddpm-kit import-diffusers DIR --out CKPT``: a diffusers pipeline folder as a ddpm-kit checkpoint.

The logic lives in ``ddpm_kit.interop``; exit code 1 for a folder that does not fit (named file, field or keys).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.entry import UserError


@app.command("import-diffusers")
def import_diffusers(
    folder: Path = typer.Argument(..., help="a diffusers DDPMPipeline/DDIMPipeline folder (UNet2DModel)"),
    out: Path = typer.Option(..., "--out", help="checkpoint to write"),
    backbone: str = typer.Option("unet", "--backbone", help="unet (CompVis layout, converted) or diffusers.unet2d "
                                                            "(the plugin's backbone, weights as is)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing --out"),
) -> None:
    """Import a diffusers UNet2DModel pipeline folder as a ddpm-kit checkpoint (strict: every key mapped)."""
    from ddpm_kit.interop.diffusers_cli import run_import

    if backbone not in ("unet", "diffusers.unet2d"):
        raise UserError(f"--backbone {backbone!r}: choose unet or diffusers.unet2d")
    run_import(folder, out, backbone=backbone, force=force)
