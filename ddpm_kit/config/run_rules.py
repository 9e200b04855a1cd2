"""Rules on the trainer, the data size and the learning rate that Lightning and upstream accept silently.

What can be known without starting a ``lightning.Trainer`` or reading more than a file header: a run
that can take no optimizer step, device counts and strategies that cannot run, fractions that are not
fractions, a batch larger than the training split, labels outside the network's classes, a frozen EMA
and a scaled learning rate far outside any that trains. Each names the field to change.
"""

from __future__ import annotations

import ast
import math
import zipfile
from typing import Any

from ddpm_kit.config.errors import Issues
from ddpm_kit.config.run import RunConfig

#: a scaled learning rate (optimizer.base_learning_rate x effective batch) at or above this is an error,
#: above SCALED_LR_WARN a warning; the absolute optimizer.lr has the same upper bound.
SCALED_LR_MAX = 10.0
SCALED_LR_WARN = 0.1
NPY_MAGIC = b"\x93NUMPY"


def check_trainer(run: RunConfig, issues: Issues) -> None:
    """The trainer section: an end that is a step, devices, strategy and the batch fractions."""
    t = run.trainer
    if t.max_steps == 0:
        issues.error("trainer.max_steps", "is 0: the run would take no optimizer step", value=0,
                     hint="use a positive count, or -1 to train for max_epochs")
    if t.max_epochs == 0:
        issues.error("trainer.max_epochs", "is 0: the run would take no optimizer step", value=0)
    if isinstance(t.devices, int) and t.devices < -1 or t.devices == 0:
        issues.error("trainer.devices", "must be a count >= 1, -1 (all devices), 'auto' or a list of ids",
                     value=t.devices)
    if isinstance(t.devices, list) and (not t.devices or any(d < 0 for d in t.devices)):
        issues.error("trainer.devices", "a list of device ids needs at least one id, each >= 0", value=t.devices)
    if t.strategy == "fsdp" and t.accelerator == "cpu":
        issues.error("trainer.strategy", "fsdp shards over GPUs; it does not run with accelerator: cpu",
                     value=t.strategy, hint="use strategy: ddp (or auto) on CPU")
    for key in ("limit_train_batches", "limit_val_batches", "val_check_interval"):
        value = getattr(t, key)
        if isinstance(value, float) and value > 1:
            issues.error(f"trainer.{key}", "a float is a fraction of the epoch's batches, in (0, 1]; an integer "
                         "counts batches", value=value, hint="give a whole number of batches, or a fraction")
    if t.limit_train_batches == 0:
        issues.error("trainer.limit_train_batches", "is 0: no training batch, the run would take no step",
                     value=t.limit_train_batches)
    batches = train_batches(run)
    if batches is not None and isinstance(t.val_check_interval, int) and t.val_check_interval > batches:
        issues.error("trainer.val_check_interval", f"is more batches than an epoch has ({batches}): validation "
                     "would never run", value=t.val_check_interval,
                     hint="use at most the epoch's batches, or a fraction")


def check_data(run: RunConfig, issues: Issues) -> None:
    """The data against the batch size and the network's classes."""
    data, net = run.data, run.model.unet_config
    items = train_items(data)
    if items is not None and data.batch_size > items:
        issues.error("data.batch_size", f"is larger than the {items} training items of the {data.name} data "
                     f"(after val_fraction {getattr(data, 'val_fraction', 0):g})", value=data.batch_size,
                     hint=f"use at most {items}")
    if items is not None and items < 1:
        issues.error("data", f"the {data.name} data has no training item: the run would take no step")
    classes = getattr(net, "num_classes", None)
    labels = _label_count(data)
    if isinstance(classes, int) and not isinstance(classes, bool) and labels is not None and labels > classes:
        issues.error("model.unet_config.num_classes", f"the {data.name} data has labels up to {labels - 1}, outside "
                     f"the network's {classes} classes [0, {classes})", value=classes)


def check_ema(run: RunConfig, issues: Issues) -> None:
    """A decay of 1 at the last step: the EMA copy never moves from the initial weights."""
    if not run.model.use_ema:
        return
    last = run.trainer.max_steps if run.trainer.max_steps > 0 else 1
    for index, spec in enumerate(run.model.ema):
        try:
            decay = spec.decay_at(last)
        except (ValueError, TypeError):  # a strategy defined in images needs the batch size; not decidable here
            continue
        if decay >= 1.0:
            issues.error(f"model.ema[{index}]" if len(run.model.ema) > 1 else "model.ema",
                         f"{spec.name}: decay 1 at step {last} freezes the EMA at the initial weights "
                         "(samples and val/*_ema come from an untrained network)",
                         hint="use a decay below 1, e.g. 0.9999")


def check_learning_rate(run: RunConfig, issues: Issues) -> None:
    """Upstream's lr = accumulate x devices x nodes x batch_size x base_learning_rate, bounded like optimizer.lr."""
    opt, t = run.optimizer, run.trainer
    if opt.base_learning_rate is None or not opt.scale_lr:
        return
    lr = run.learning_rate()
    if lr is None:
        return
    how = (f"{t.accumulate_grad_batches} (accumulate_grad_batches) x {run.trainer.device_count()} (devices) x "
           f"{t.num_nodes} (num_nodes) x {run.data.batch_size} (batch_size) x {opt.base_learning_rate:g} "
           "(base_learning_rate)")
    if lr >= SCALED_LR_MAX:
        issues.error("optimizer.base_learning_rate", f"the scaled learning rate is {lr:g} = {how}, at or above "
                     f"{SCALED_LR_MAX:g}", value=opt.base_learning_rate, hint="lower it, or set scale_lr: false")
    elif lr > SCALED_LR_WARN:
        issues.warning("optimizer.base_learning_rate", f"the scaled learning rate is {lr:g} = {how}, above "
                       f"{SCALED_LR_WARN:g}", value=opt.base_learning_rate, hint="lower it, or set scale_lr: false")


def train_items(data: Any) -> int | None:
    """Items in the training split when the source knows its size without loading it (else None)."""
    total = data.num_items() if hasattr(data, "num_items") else None
    if total is None and data.name == "npz":
        shape = npz_shape(data.path, data.key)
        total = shape[0] if shape else None
    if total is None:
        return None
    return total - round(total * getattr(data, "val_fraction", 0.0))


def train_batches(run: RunConfig) -> int | None:
    items = train_items(run.data)
    return None if items is None else max(1, math.ceil(items / run.data.batch_size))


def _label_count(data: Any) -> int | None:
    if not data.has_labels():
        return None
    classes = getattr(data, "classes", None)  # digits keeps the digit values of a subset
    return max(classes) + 1 if classes else data.num_classes()


def npz_shape(path: str, key: str) -> tuple[int, ...] | None:
    """Shape of array ``key`` in a .npz from its .npy header (pure Python, no numpy); None if not readable."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(f"{key}.npy") as handle:
            head = handle.read(10)
            if not head.startswith(NPY_MAGIC):
                return None
            length = int.from_bytes(head[8:10], "little") if head[6] == 1 else \
                int.from_bytes(head[8:10] + handle.read(2), "little")
            header = ast.literal_eval(handle.read(length).decode("latin-1"))
    except (OSError, KeyError, zipfile.BadZipFile, ValueError, SyntaxError, UnicodeDecodeError):
        return None
    shape = header.get("shape") if isinstance(header, dict) else None
    return tuple(shape) if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape) else None
