"""``ddpm-kit sample CKPT [--n 64] [--sampler ddim --steps 50 --eta 0] [--guidance 3 --label 7] [--seed 0] ...``
(``--cond C.npz`` for concat / cross-attention models).

Exit codes: 0 written, 1 a checkpoint or option that cannot be used (corrupt, mismatching, unsupported),
2 a checkpoint path that does not exist or a malformed option.
Reproducibility: the same checkpoint, options and --seed give the same samples on the same device; the
noise does not depend on --batch-size (see ``ddpm_kit.generation.generate`` for the last-bit caveat).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.common import (
    CKPT_HELP, EXPECT_HELP, check_output, eta_option, expectations, missing_path_error, one_paragraph, pick_device,
    sampler_option, sampler_options, sampler_setting_option, spacing_option, steps_option,
)
from ddpm_kit.cli.errors import UserError

if TYPE_CHECKING:
    from ddpm_kit.module import DDPM

log = logging.getLogger(__name__)


def write_png(samples: Any, path: Path, title: str) -> str:
    """An image grid for [N, C, H, W] samples, a scatter of the first two coordinates for [N, D] vectors."""
    import numpy as np

    from ddpm_kit.plotting import image_grid, scatter_plot

    array = samples.numpy()
    path.parent.mkdir(parents=True, exist_ok=True)
    if array.ndim == 2:
        points = array if array.shape[1] >= 2 else np.concatenate([array, np.zeros_like(array)], axis=1)
        scatter_plot(points, path, title=title)
        return "scatter of the first two coordinates" if array.shape[1] > 2 else "scatter"
    note = "grid"
    if array.shape[1] not in (1, 3):
        array, note = array[:, :1], f"grid of channel 0 of {array.shape[1]}"
    scale = max(1, min(8, 64 // array.shape[-1]))
    image_grid(array, nrow=math.ceil(math.sqrt(len(array))), scale=scale).save(path)
    return note


@app.command()
def sample(
    checkpoint: Path = typer.Argument(..., help=CKPT_HELP),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="number of samples (default: 64, or one per "
                                                            "condition of --cond)"),
    sampler: Optional[str] = sampler_option("the checkpoint's model.sampler"),
    steps: Optional[int] = steps_option(),
    eta: Optional[float] = eta_option(),
    spacing: Optional[str] = spacing_option(),
    option: list[str] = sampler_setting_option(),
    guidance: Optional[float] = typer.Option(None, "--guidance", help="classifier-free guidance scale "
                                                                     "(label-conditioned models)"),
    label: Optional[int] = typer.Option(None, "--label", help="class label of every sample (label-conditioned "
                                                              "models; default: random labels from --seed)"),
    cond: Optional[Path] = typer.Option(None, "--cond", help=".npz of the conditions of a concat / cross-attention "
                                                            "model: one [N, ...] array per model.condition_keys key"),
    seed: int = typer.Option(0, "--seed", min=0, help="seed of the noise (and of random labels)"),
    out: Path = typer.Option(Path("samples.png"), "--out", help="PNG: image grid, or scatter plot for vector data"),
    npz: Optional[Path] = typer.Option(None, "--npz", help="also save the samples (and labels) as .npz"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="network batch (memory); does not "
                                                                              "change the samples (default: --n)"),
    ema: Optional[bool] = typer.Option(None, "--ema/--no-ema", help="EMA weights (default when present) or the "
                                                                   "training weights"),
    set_: list[str] = typer.Option([], "--set", help=EXPECT_HELP),
    device: str = typer.Option("auto", "--device", help="cpu, cuda, cuda:1, ... (auto: cuda when available)"),
    init: Optional[Path] = typer.Option(None, "--init", help="edit this image (.png, .jpg) or .npz of images "
                                                             "instead of sampling from noise"),
    strength: Optional[float] = typer.Option(None, "--strength", help="SDEdit strength in [0, 1] with --init (0: "
                                                                     "the input, 1: ignore it)"),
    mask: Optional[Path] = typer.Option(None, "--mask", help="inpainting mask with --init (grey image or .npz "
                                                             "'mask'; white / 1 keeps the input)"),
    resample: int = typer.Option(1, "--resample", min=1, help="repeat each inpainting step U times (RePaint)"),
) -> None:
    """Draw samples from a trained checkpoint and write a PNG (and optionally an .npz); with --init, edit images."""
    if not checkpoint.exists():
        raise missing_path_error(checkpoint)
    if guidance is not None and not math.isfinite(guidance):
        raise UserError(f"--guidance {guidance}: must be a finite number (1: no guidance)")
    expect, options, target = expectations(set_), sampler_options(option), pick_device(device)
    for path, suffix, flag in ((out, ".png", "--out"), (npz, ".npz", "--npz")):
        if path is not None:
            check_output(path, (suffix,), flag)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    module, spec = load_model_and_sampler(checkpoint, expect, ema, sampler, steps=steps, eta=eta, spacing=spacing,
                                          options=options)
    cond_inputs, n, labels, edit = sampling_inputs(module, n, cond=cond, label=label, guidance=guidance,
                                                   batch_size=batch_size, init=init, strength=strength, mask=mask,
                                                   resample=resample)
    if ema is None and module.sampling_weights == "raw":
        typer.echo(f"note: {checkpoint} has no EMA weights; sampling with the training weights", err=True)
    module.to(target)
    typer.echo(f"sampling {n} from {checkpoint} ({module.sampling_weights} weights) with {spec.name} "
               f"({spec.num_steps(module.num_timesteps)} steps), seed {seed}")
    samples, labels = draw(module, checkpoint, n, spec, seed=seed, batch_size=batch_size, labels=labels,
                           guidance=guidance, edit=edit, conditions=cond_inputs)
    write_outputs(samples, labels, out, npz, f"{spec.name}, seed {seed}")


def sampling_inputs(module: DDPM, n: int | None, *, cond: Path | None, label: int | None, guidance: float | None,
                    batch_size: int | None, init: Path | None, strength: float | None, mask: Path | None,
                    resample: int) -> tuple[Any, int, Any, Any]:
    """What the samples are drawn from, checked against the model: (--cond inputs or None, n, labels or None,
    the SDEdit / inpainting ``Edit`` or None); UserError for inputs that do not fit."""
    from ddpm_kit.cli.edit_inputs import edit_from_options
    from ddpm_kit.cli.sample_conditions import condition_inputs
    from ddpm_kit.module_parts.sampling import sample_shape

    cond_inputs, n = condition_inputs(module, cond, n)
    labels = check_conditions(module, label, guidance, n)
    check_memory(module, n, batch_size)
    edit = edit_from_options(init, strength, mask, resample, tuple(sample_shape(module, 1)[1:]), n)
    return cond_inputs, n, labels, edit


def load_model_and_sampler(checkpoint: Path, expect: dict[str, Any], ema: bool | None, sampler: str | None, *,
                           steps: int | None, eta: float | None, spacing: str | None,
                           options: dict[str, Any]) -> tuple[Any, Any]:
    """The module to sample (EMA weights unless ``ema`` is False) and the sampler spec with the overrides
    (``options``: the sampler's other fields, from --option); UserError for a bad checkpoint or sampler."""
    from ddpm_kit.checkpoint import CheckpointError
    from ddpm_kit.config import ConfigError
    from ddpm_kit.generation import sampler_from
    from ddpm_kit.inference import load_for_sampling
    from ddpm_kit.registry import RegistryError

    try:
        module = load_for_sampling(checkpoint, expect=expect, ema=ema)
        given = {"steps": steps, "eta": eta, "spacing": spacing, **options}
        spec = sampler_from(module, sampler, **given) if sampler is not None or any(
            v is not None for v in given.values()) else module.cfg.sampler
    except (CheckpointError, RegistryError) as exc:
        raise UserError(str(exc)) from None
    except ConfigError as exc:
        raise UserError(f"{exc.source}: {one_paragraph(exc)}") from None
    return module, spec


def draw(module: DDPM, checkpoint: Path, n: int, spec: Any, *, seed: int, batch_size: int | None, labels: Any,
         guidance: float | None, edit: Any = None, conditions: Any = None) -> tuple[Any, Any]:
    """(samples, labels) from ``generate`` with a progress display (``edit``: SDEdit / inpainting); UserError when
    the device runs out of memory, the sampler cannot edit or the samples are not finite (nothing is written)."""
    import torch

    from ddpm_kit.diffusion.sampling.editing import EditUnsupported
    from ddpm_kit.generation import NonFiniteSamples, generate
    from ddpm_kit.progress import CallbackProgress

    progress = CallbackProgress("network evaluations")
    try:
        return generate(module, n, sampler=spec, seed=seed, batch_size=batch_size, labels=labels,
                        guidance_scale=guidance, progress=progress, edit=edit, conditions=conditions)
    except torch.cuda.OutOfMemoryError:
        raise UserError(f"out of device memory at a network batch of {batch_size or n}: use a smaller "
                        f"--batch-size") from None
    except NonFiniteSamples as exc:
        raise UserError(f"{checkpoint}: {exc}; the checkpoint's weights or the sampler settings are broken (a finite "
                        "--guidance, another --sampler); nothing was written") from None
    except EditUnsupported as exc:
        raise UserError(str(exc)) from None
    finally:
        progress.close()


def check_memory(module: DDPM, n: int, batch_size: int | None) -> None:
    """The samples (float32) must fit in half the free host memory; a large network batch needs --batch-size."""
    from ddpm_kit.module_parts.sampling import sample_shape

    per_sample = 4 * math.prod(sample_shape(module, 1))
    needed = n * per_sample
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return
    if needed > free // 2:
        raise UserError(f"--n {n}: the samples alone take {needed / 2**30:.1f} GiB, more than half the free memory "
                        f"({free / 2**30:.1f} GiB); draw fewer (several --seed runs), and keep the network batch "
                        f"small with --batch-size")
    if batch_size is None and n > 4096:
        raise UserError(f"--n {n}: one network batch of {n} samples is likely to exhaust memory; give "
                        f"--batch-size (e.g. 256): the samples do not depend on it")


def check_conditions(module: DDPM, label: int | None, guidance: float | None, n: int) -> Any:
    """The labels tensor for --label (None for random labels); errors for conditions this command cannot give."""
    import torch

    from ddpm_kit.generation import label_conditioned

    if module.conditioning_key is not None and not label_conditioned(module) and module.cfg.condition_keys.labels:
        raise UserError(f"the model is conditioned on {sorted(module.cfg.condition_keys.used())} "
                        f"(conditioning_key {module.conditioning_key!r}); ddpm-kit sample supplies class labels "
                        f"(conditioning_key 'adm') or --cond inputs (concat, crossattn), not both")
    if not label_conditioned(module):
        for option, value in (("--label", label), ("--guidance", guidance)):
            if value is not None:
                raise UserError(f"{option} needs a label-conditioned model (conditioning_key 'adm' with "
                                f"num_classes); this model is "
                                + ("unconditional" if module.conditioning_key is None else "not"))
        return None
    num_classes = module.cfg.unet_config.num_classes
    if not isinstance(num_classes, int):
        raise UserError(f"the network takes num_classes={num_classes!r} labels; ddpm-kit sample supplies integer "
                        f"class labels only")
    if label is not None and not 0 <= label < num_classes:
        raise UserError(f"--label {label}: the model knows labels 0..{num_classes - 1}")
    if guidance is not None:
        if guidance < 0:
            raise UserError(f"--guidance {guidance}: must be >= 0 (1: no guidance)")
        if guidance != 1.0 and module.cfg.condition_keys.labels not in (module.cfg.ucg_training or {}):
            log.warning("note: the model was trained without label dropout (ucg_training): guidance uses label 0 "
                        "as the unconditional label")
    return None if label is None else torch.full((n,), label, dtype=torch.long)


def write_outputs(samples: Any, labels: Any, out: Path, npz: Path | None, title: str) -> None:
    import numpy as np

    try:
        kind = write_png(samples, out, title)
        typer.echo(f"wrote {out} ({kind} of {len(samples)} samples)")
        if npz is not None:
            arrays = {"samples": samples.numpy()}
            if labels is not None:
                arrays["labels"] = labels.cpu().numpy()
            npz.parent.mkdir(parents=True, exist_ok=True)
            np.savez(npz, **arrays)
            typer.echo(f"wrote {npz} ({', '.join(f'{k} {list(v.shape)}' for k, v in arrays.items())})")
    except OSError as exc:
        raise UserError(f"cannot write the output: {exc.strerror or exc} ({exc.filename or out})") from None
