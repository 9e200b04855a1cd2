"""The spec instances a conformance run checks.

In order of preference: the spec class's own ``conformance_examples`` (a ClassVar tuple of parameter
mappings, or of callables ``(tmp_dir: Path) -> mapping`` for sources that need files), the table below
for built-ins whose fields have no usable defaults, and otherwise the spec with all defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Union

from pydantic import ValidationError

from ddpm_kit.registry import Spec

Example = Union[Mapping[str, Any], Callable[[Path], Mapping[str, Any]]]


def _npz_fixture(tmp: Path) -> dict[str, Any]:
    import numpy as np

    path = tmp / "conformance.npz"
    np.savez(path, image=np.linspace(0.0, 1.0, 40, dtype=np.float32).reshape(20, 2))
    return {"path": str(path), "value_range": (0.0, 1.0), "val_fraction": 0.1}


def _image_folder_fixture(tmp: Path) -> dict[str, Any]:
    from PIL import Image

    folder = tmp / "images"
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for index in range(3):
            shade = 40 * index + (0 if label == "a" else 20)
            Image.new("L", (10, 8), color=shade).save(folder / label / f"{index}.png")
    return {"path": str(folder), "image_size": 8, "channels": 1, "labels": True, "val_fraction": 0.0}


def _inception_fid_fixture(tmp: Path) -> dict[str, Any]:
    """Seeded random FID Inception weights (the published file cannot be shipped or downloaded)."""
    from ddpm_kit.testing.inception import write_random_inception

    return {"weights": str(write_random_inception(tmp / "inception_fid_random.pth"))}


_CYCLE = {"warm_up_steps": [10, 5], "f_min": [0.1, 0.05], "f_max": [1.0, 0.5], "f_start": [1e-3, 0.1],
          "cycle_lengths": [100, 50]}

#: (kind, name) -> examples for built-ins that cannot be built from defaults (or need a small size)
BUILTIN_EXAMPLES: dict[tuple[str, str], tuple[Example, ...]] = {
    ("schedule", "given_betas"): ({"betas": [1e-4 + i * (2e-2 - 1e-4) / 49 for i in range(50)]},),
    ("backbone", "unet"): (
        {"image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32, "num_res_blocks": 1,
         "attention_resolutions": [2], "channel_mult": [1, 2], "num_head_channels": 8},
        {"image_size": 8, "in_channels": 2, "out_channels": 2, "model_channels": 32, "num_res_blocks": 1,
         "attention_resolutions": [], "channel_mult": [1], "num_heads": 1, "num_classes": 3,
         "use_scale_shift_norm": True},
    ),
    ("backbone", "mlp"): ({"hidden": 32, "depth": 2}, {"data_dim": 3, "hidden": 16, "depth": 1, "num_classes": 4}),
    ("ema", "half_life"): ({"half_life_updates": 5.0}, {"half_life_images": 80.0, "batch_size": 16}),
    ("ema", "power"): ({"std": 0.1},),
    ("data", "npz"): (_npz_fixture,),
    ("data", "image_folder"): (_image_folder_fixture,),
    ("data", "toy2d"): ({"n_samples": 200},),
    ("feature_extractor", "inception_fid"): (_inception_fid_fixture,),
    ("lr_schedule", "lambda_warmup_cosine"): (
        {"warm_up_steps": 10, "lr_min": 0.1, "lr_max": 1.0, "lr_start": 1e-3, "max_decay_steps": 100},),
    ("lr_schedule", "lambda_warmup_cosine2"): (_CYCLE,),
    ("lr_schedule", "lambda_linear"): (_CYCLE,),
    ("lr_schedule", "warmup_cosine"): ({"warmup_steps": 10, "total_steps": 100, "min_ratio": 0.1},),
}


def declared_examples(kind: str, name: str, spec_cls: type[Spec]) -> tuple[Example, ...]:
    """The examples to build: the class's ``conformance_examples``, the built-in table, or defaults."""
    own = getattr(spec_cls, "conformance_examples", None)
    if own:
        return tuple(own)
    return BUILTIN_EXAMPLES.get((kind, name), ({},))


def build_examples(kind: str, name: str, spec_cls: type[Spec], tmp: Path) -> tuple[list[Spec], list[str]]:
    """(instances, problems): each example validated by the spec; a failure is a problem, not an exception."""
    instances: list[Spec] = []
    problems: list[str] = []
    for index, example in enumerate(declared_examples(kind, name, spec_cls)):
        where, params = f"example {index}", {}
        try:
            params = dict(example(tmp) if callable(example) else example)
            instances.append(spec_cls.model_validate({**params, "name": name}))
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(spec)'}: {e['msg']}" for e in exc.errors())
            hint = "" if params else " (declare conformance_examples on the spec class)"
            problems.append(f"{where} does not validate: {detail}{hint}")
        except Exception as exc:  # a fixture writer of a plugin can fail in any way
            problems.append(f"{where} could not be built: {type(exc).__name__}: {exc}")
    return instances, problems
