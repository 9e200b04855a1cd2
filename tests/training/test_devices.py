"""A trainer section asking for hardware this machine lacks stops before anything is written, naming the field."""

from __future__ import annotations

import pytest
import torch
import yaml

from tests.training.test_train import digits_config


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize("accelerator", ["gpu", "cuda"])
def test_gpu_accelerator_without_a_gpu(cli, tmp_path, accelerator):
    data = digits_config()
    data["trainer"]["accelerator"] = accelerator
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "run"
    code, output, err = cli("train", config, "--out", out)
    assert code == 1, (output, err)
    assert "trainer.accelerator" in err and "no usable CUDA GPU" in err and "Traceback" not in output + err
    assert not out.exists()


def test_npz_labels_beyond_num_classes_stop_before_training(cli, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    data_file = tmp_path / "d.npz"
    np.savez(data_file, image=rng.uniform(0, 1, (40, 1, 8, 8)).astype(np.float32),
             label=np.full(40, 12))
    data = digits_config()
    data["model"]["unet_config"]["num_classes"] = 10
    data["model"].update({"conditioning_key": "adm", "condition_keys": {"labels": "class_label"}})
    data["data"] = {"name": "npz", "path": str(data_file), "labels_key": "label", "layout": "channels_first",
                    "value_range": [0.0, 1.0], "batch_size": 8, "val_fraction": 0.1}
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "run"
    code, output, err = cli("train", config, "--out", out)
    assert code == 1, (output, err)
    assert "num_classes = 10" in err and "reach 12" in err and "Traceback" not in output + err
    assert not out.exists()
