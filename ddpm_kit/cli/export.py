"""``ddpm-kit export CKPT --safetensors [--out DIR] [--force]``: weights without pickle, for other tools.

``DIR/weights.safetensors`` holds the training weights under upstream names (``model.diffusion_model.*``
and the schedule buffers), ``DIR/weights_ema.safetensors`` the EMA weights under the same keys, and
``DIR/config.json`` the validated config, the ddpm-kit version and which file is which. ``ddpm-kit
sample DIR`` and ``ddpm_kit.inference.load_for_sampling(DIR)`` read the folder back.
Exit codes as ``sample``: 1 an unusable checkpoint or folder, 2 a missing checkpoint or usage error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError
from ddpm_kit.cli.common import CKPT_HELP, EXPECT_HELP, echo_export, export_errors, export_folder, expectations


@app.command()
def export(
    checkpoint: Path = typer.Argument(..., help=CKPT_HELP),
    safetensors: bool = typer.Option(False, "--safetensors", help="write safetensors weights + config.json"),
    diffusers: bool = typer.Option(False, "--diffusers", help="write a diffusers DDPMPipeline folder (EMA weights)"),
    no_ema: bool = typer.Option(False, "--no-ema", help="with --diffusers: export the training weights"),
    out: Optional[Path] = typer.Option(None, "--out", help="output folder (default: <checkpoint>_safetensors "
                                                           "beside the checkpoint)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing export in --out"),
    set_: list[str] = typer.Option([], "--set", help=EXPECT_HELP),
) -> None:
    """Export a checkpoint's raw and EMA weights as safetensors, with its validated config."""
    if safetensors == diffusers:
        raise UserError("choose one export format: --safetensors or --diffusers")
    if diffusers:
        from ddpm_kit.cli.interop import run_export

        return run_export(checkpoint, out, force=force, ema=not no_ema, expect=expectations(set_))
    expect = expectations(set_)
    out_dir = export_folder(checkpoint, out, "_safetensors")
    from ddpm_kit.inference import CONFIG_FILE

    existing = [name for name in (CONFIG_FILE, "weights.safetensors", "weights_ema.safetensors")
                if (out_dir / name).exists() or (name != CONFIG_FILE and any(out_dir.glob(name.replace(".", "*."))))]
    if existing and not force:
        raise UserError(f"--out {out_dir}: already holds an export ({', '.join(existing)}); use --force to "
                        f"overwrite, or another --out")
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from ddpm_kit.inference import export_safetensors

    with export_errors(out_dir):
        written = export_safetensors(checkpoint, out_dir, expect=expect)
    echo_export(checkpoint, out_dir, written)
