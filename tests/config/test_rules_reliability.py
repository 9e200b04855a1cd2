"""Silent misconfigurations that are now errors naming the field: runs that take no step, impossible
devices and strategies, fractions that are not fractions, batch and label sizes against the data,
a frozen EMA, an absurd scaled learning rate, extreme counts and typos inside nested mappings."""

from __future__ import annotations

import numpy as np
import pytest


def _errors(cli, write_config, config, *args):
    path = write_config(config)
    code, out, err = cli("validate", path, *args)
    assert "Traceback" not in out + err and "unexpected" not in err
    return code, err, path


CASES = [
    ("trainer", "max_steps", 0, "trainer.max_steps: is 0: the run would take no optimizer step"),
    ("trainer", "max_epochs", 0, "trainer.max_epochs: is 0: the run would take no optimizer step"),
    ("trainer", "limit_train_batches", 0, "trainer.limit_train_batches: is 0: no training batch"),
    ("trainer", "devices", 0, "trainer.devices: must be a count >= 1, -1 (all devices)"),
    ("trainer", "devices", -2, "trainer.devices: must be a count >= 1, -1 (all devices)"),
    ("trainer", "strategy", "fsdp", "trainer.strategy: fsdp shards over GPUs; it does not run with accelerator: cpu"),
    ("trainer", "limit_val_batches", 2.5, "trainer.limit_val_batches: a float is a fraction of the epoch's batches"),
    ("trainer", "val_check_interval", 1.5, "trainer.val_check_interval: a float is a fraction"),
    ("trainer", "val_check_interval", 500, "trainer.val_check_interval: is more batches than an epoch has (102)"),
    ("trainer", "accumulate_grad_batches", 1e9, "trainer.accumulate_grad_batches: Input should be less than or equal"),
    ("trainer", "precision", "17", "trainer.precision: Input should be '64-true', '64', '32-true'"),
    ("data", "num_workers", 1e6, "data.num_workers: Input should be less than or equal to 256"),
    ("data", "batch_size", 5000, "data.batch_size: is larger than the 1617 training items of the digits data"),
]


@pytest.mark.parametrize("section, key, value, message", CASES)
def test_silent_case_is_an_error(section, key, value, message, cli, write_config, base_config):
    base_config[section][key] = value
    code, err, path = _errors(cli, write_config, base_config)
    assert code == 1 and message in err, err
    line = next(m for m in err.splitlines() if message in m)
    assert line.startswith(f"{path}:") and ": error: " in line


def test_frozen_ema_is_an_error(cli, write_config, base_config):
    base_config["model"]["ema"] = {"name": "constant", "decay": 1.0}
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 1 and "model.ema: constant: decay 1 at step 10 freezes the EMA" in err


def test_labels_outside_num_classes(cli, write_config, base_config):
    base_config["model"]["unet_config"]["num_classes"] = 5
    base_config["model"].update(conditioning_key="adm", condition_keys={"labels": "class_label"})
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 1 and "model.unet_config.num_classes: the digits data has labels up to 9, outside the " \
                         "network's 5 classes" in err
    base_config["model"]["unet_config"]["num_classes"] = 10
    code, err, _ = _errors(cli, write_config, base_config)
    assert "num_classes" not in err


def test_scaled_learning_rate_names_its_factors(cli, write_config, base_config):
    base_config["optimizer"] = {"base_learning_rate": 1.0}
    base_config["data"]["batch_size"] = 288
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 1 and ("optimizer.base_learning_rate: the scaled learning rate is 288 = 1 (accumulate_grad_batches)"
                          " x 1 (devices) x 1 (num_nodes) x 288 (batch_size) x 1 (base_learning_rate)") in err


def test_typo_inside_ucg_training_suggests_the_key(cli, write_config, base_config):
    base_config["model"]["ucg_training"] = {"class_label": {"p": 0.1, "vall": 10}}
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 1 and "model.ucg_training.class_label.vall: unknown key (got 10); did you mean 'val'?" in err


def test_one_sample_npz_can_take_no_step(cli, write_config, base_config, tmp_path):
    np.savez(tmp_path / "one.npz", image=np.zeros((1, 1, 8, 8), dtype=np.float32))
    base_config["data"] = {"name": "npz", "path": str(tmp_path / "one.npz"), "layout": "channels_first",
                           "value_range": [0, 1], "batch_size": 4, "val_fraction": 0.0}
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 1 and "data.batch_size: is larger than the 1 training items of the npz data" in err


def test_npz_shape_from_header(tmp_path):
    from ddpm_kit.config.run_rules import npz_shape

    np.savez(tmp_path / "a.npz", image=np.zeros((7, 3, 2)), other=np.zeros(4))
    assert npz_shape(str(tmp_path / "a.npz"), "image") == (7, 3, 2)
    assert npz_shape(str(tmp_path / "a.npz"), "missing") is None
    assert npz_shape(str(tmp_path / "absent.npz"), "image") is None


def test_valid_base_config_has_none_of_these(cli, write_config, base_config):
    code, err, _ = _errors(cli, write_config, base_config)
    assert code == 0, err
