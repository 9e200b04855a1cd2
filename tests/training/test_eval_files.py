"""The files an ``eval`` section names: a bad extractor weights file stops ``train`` before anything is written,
and a checkpoint whose eval files are gone where it is used still loads (its eval section is ignored)."""

from __future__ import annotations

import numpy as np
import torch
import yaml

from tests.training.test_train import digits_config


def _write(tmp_path, data, name="run.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_wrong_weights_file_stops_train_before_anything_is_written(cli, tmp_path):
    weights = tmp_path / "not_inception.pth"
    torch.save({"conv.weight": torch.zeros(3)}, weights)
    data = digits_config(max_steps=2)
    data["eval"] = {"every_n_steps": 100, "n": 3000, "extractor": {"name": "inception_fid", "weights": str(weights)},
                    "metrics": ["kid"], "reference": "val"}
    data["data"]["val_fraction"] = 0.2
    out = tmp_path / "run"
    code, stdout, err = cli("train", _write(tmp_path, data), "--out", out)
    assert code == 1, (stdout, err)
    assert "Traceback" not in stdout + err and str(weights) in err and "error: unexpected" not in err
    assert not out.exists() or not any(out.iterdir())


def test_a_checkpoint_whose_eval_reference_is_gone_still_samples(cli, tmp_path):
    reference = tmp_path / "reference.npz"
    np.savez(reference, features=np.random.default_rng(0).normal(size=(100, 64)))
    data = digits_config(max_steps=2)
    data["eval"] = {"every_n_steps": 100, "n": 80, "reference": str(reference), "metrics": ["fd"]}
    out = tmp_path / "run"
    code, _, err = cli("train", _write(tmp_path, data), "--out", out)
    assert code == 0, err
    reference.unlink()
    code, stdout, err = cli("sample", out / "checkpoints" / "last.ckpt", "--n", "2", "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").is_file()
