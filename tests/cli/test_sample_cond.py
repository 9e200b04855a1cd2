"""``ddpm-kit sample --cond``: concat models sampled from given conditions; bad condition files refused cleanly."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from PIL import Image

from tests.cli.test_sample import assert_one_paragraph
from tests.config.test_condition_rules import superres


@pytest.fixture(scope="module")
def concat_ckpt(tmp_path_factory):
    import sys

    from ddpm_kit.cli import main

    root = tmp_path_factory.mktemp("concat")
    rng = np.random.default_rng(0)
    for folder in ("hi", "lo"):
        (root / folder).mkdir()
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(root / "hi" / f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (8, 8), dtype=np.uint8)).save(root / "lo" / f"{i}.png")
    config = superres()
    config["data"].update({"path": str(root / "hi"), "condition_path": str(root / "lo"), "val_fraction": 0.0,
                           "cache": False})
    config["model"].update({"monitor": "train/loss", "sampler": {"name": "ddim", "steps": 3}, "timesteps": 50})
    config["trainer"]["max_steps"] = 2
    (root / "c.yaml").write_text(yaml.safe_dump(config))
    argv = sys.argv
    sys.argv = ["ddpm-kit", "train", str(root / "c.yaml"), "--out", str(root / "run")]
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
    finally:
        sys.argv = argv
    return root / "run" / "checkpoints" / "last.ckpt"


def write_cond(path, count=5, shape=(1, 8, 8), key="condition", **more):
    np.savez(path, **{key: np.random.default_rng(1).uniform(-1, 1, (count, *shape)).astype(np.float32)}, **more)
    return path


def test_samples_follow_the_conditions_in_order(cli, concat_ckpt, tmp_path):
    cond = write_cond(tmp_path / "c.npz")
    code, out, err = cli("sample", concat_ckpt, "--cond", cond, "--npz", tmp_path / "all.npz", "--out",
                         tmp_path / "all.png")
    assert code == 0, err
    everything = np.load(tmp_path / "all.npz")["samples"]
    assert everything.shape == (5, 1, 8, 8)  # one per condition without --n
    with np.load(cond) as c:
        np.savez(tmp_path / "rev.npz", condition=c["condition"][::-1])
    code, out, err = cli("sample", concat_ckpt, "--cond", tmp_path / "rev.npz", "--n", 2, "--npz",
                         tmp_path / "two.npz", "--out", tmp_path / "two.png")
    assert code == 0, err
    two = np.load(tmp_path / "two.npz")["samples"]
    assert two.shape == (2, 1, 8, 8) and not np.allclose(two[0], everything[0])  # another condition, same noise


def not_an_archive(path):
    path.write_text("not an archive")
    return path


@pytest.mark.parametrize("make, code_, fragment", [
    (None, 1, "give them with --cond FILE.npz"),
    (lambda p: p / "missing.npz", 2, "no such file"),
    (lambda p: write_cond(p / "k.npz", key="lowres"), 1, "no array 'condition'; the model's conditions are "
                                                         "['condition'] and the file holds ['lowres']"),
    (lambda p: write_cond(p / "s.npz", shape=(2, 8, 8)), 1, "has shape [5, 2, 8, 8]; the model's concat "
                                                            "condition is [N, 1, 8, 8]"),
    (lambda p: write_cond(p / "h.npz", shape=(1, 4, 4)), 1, "[N, 1, 8, 8]"),
    (lambda p: not_an_archive(p / "t.npz"), 1, "cannot read it as .npz"),
])
def test_bad_condition_inputs_are_one_paragraph_errors(cli, concat_ckpt, tmp_path, make, code_, fragment):
    args = [] if make is None else ["--cond", make(tmp_path)]
    code, out, err = cli("sample", concat_ckpt, *args, "--out", tmp_path / "s.png")
    assert_one_paragraph(code, out, err, code_, fragment)
    assert not (tmp_path / "s.png").exists()


def test_more_samples_than_conditions_and_labels_are_refused(cli, concat_ckpt, tmp_path):
    cond = write_cond(tmp_path / "c.npz", count=3)
    code, out, err = cli("sample", concat_ckpt, "--cond", cond, "--n", 4, "--out", tmp_path / "s.png")
    assert_one_paragraph(code, out, err, 1, "--n 4", "conditions for 3 samples")
    code, out, err = cli("sample", concat_ckpt, "--cond", cond, "--label", 1, "--out", tmp_path / "s.png")
    assert_one_paragraph(code, out, err, 1, "--label needs a label-conditioned model", "this model is not")


def test_cond_for_an_unconditional_model_is_refused(cli, tmp_path):
    from tests.test_inference import trained_checkpoints

    code, out, err = cli("sample", trained_checkpoints().vector, "--cond", write_cond(tmp_path / "c.npz"),
                         "--out", tmp_path / "s.png")
    assert_one_paragraph(code, out, err, 1, "takes no condition inputs")
