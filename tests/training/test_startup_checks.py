"""What a run needs from the machine and the data, checked before anything is written, naming the field."""

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


def test_npz_items_of_another_size_stop_before_training(cli, tmp_path):
    import numpy as np

    np.savez(tmp_path / "v.npz", x=np.random.default_rng(0).uniform(0, 1, (100, 3)).astype(np.float32))
    data = {
        "model": {"unet_config": {"name": "mlp", "data_dim": 2, "hidden": 32, "depth": 2}, "image_size": 1,
                  "channels": 2, "timesteps": 50, "beta_schedule": "iddpm_linear", "parameterization": "v",
                  "clip_denoised": False, "monitor": "train/loss"},
        "data": {"name": "npz", "path": str(tmp_path / "v.npz"), "key": "x", "value_range": [0.0, 1.0],
                 "batch_size": 16, "val_fraction": 0},
        "trainer": {"max_steps": 3, "accelerator": "cpu", "devices": 1},
        "output": {"image_every_n_steps": 0},
    }
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "run"
    code, output, err = cli("train", config, "--out", out)
    assert code == 1, (output, err)
    assert "shape [3]" in err and "takes [2]" in err and "model.channels" in err and "Traceback" not in output + err
    assert not out.exists()


def test_trainer_settings_lightning_refuses_stop_before_anything_is_written(cli, tmp_path):
    from tests.cli.test_run_folders import TOY

    data = {**TOY, "trainer": {**TOY["trainer"], "devices": [0, 1]}}  # ids on a CPU accelerator
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(data))
    out = tmp_path / "run"
    code, output, err = cli("train", config, "--out", out)
    assert code == 1, (output, err)
    assert "refused by Lightning" in err and "devices" in err and "Traceback" not in output + err
    assert not out.exists()


def test_npz_concat_conditions_that_do_not_stack_stop_before_training(cli, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    data_file = tmp_path / "d.npz"
    np.savez(data_file, image=rng.uniform(0, 1, (40, 8, 8)).astype(np.float32),
             low=rng.uniform(0, 1, (40, 4, 4)).astype(np.float32), wide=rng.uniform(0, 1, (40, 2, 8, 8)))
    data = digits_config()
    data["model"]["unet_config"]["in_channels"] = 2
    data["model"].update({"conditioning_key": "concat", "condition_keys": {"concat": "lowres"}})
    data["data"] = {"name": "npz", "path": str(data_file), "value_range": [0.0, 1.0], "batch_size": 8,
                    "extra_keys": {"lowres": {"array": "low", "value_range": [0, 1]}}}
    config = tmp_path / "run.yaml"
    for extra, fragment in (({"array": "low", "value_range": [0, 1]}, "shape [1, 4, 4]"),
                            ({"array": "wide", "value_range": [0, 1], "layout": "channels_first"},
                             "2 channels, so concat conditioning feeds 3 channels")):
        data["data"]["extra_keys"]["lowres"] = extra
        config.write_text(yaml.safe_dump(data))
        out = tmp_path / "run"
        code, output, err = cli("train", config, "--out", out)
        assert code == 1, (output, err)
        assert fragment in err and "'lowres' conditions" in err and "Traceback" not in output + err
        assert not out.exists()
