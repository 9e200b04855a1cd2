"""`ddpm-kit evaluate` and the `eval` section: every bad input is one clear error with a non-zero exit code."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from tests.training.test_train import digits_config

GOOD_EVAL = {"every_n_steps": 5, "n": 80, "metrics": ["fd", "kid"], "extractor": "digits_cnn", "reference": "val"}


def config_file(tmp_path, **eval_changes):
    data = digits_config()
    data["eval"] = {**GOOD_EVAL, **eval_changes}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def assert_clean_error(code, out, err, *needles, exit_code=1):
    assert code == exit_code, (code, out[-400:], err[-400:])
    assert "Traceback" not in out + err and "unexpected" not in err
    for needle in needles:
        assert needle in err, (needle, err)


def test_a_good_eval_section_validates(cli, tmp_path):
    code, out, err = cli("validate", config_file(tmp_path))
    assert code == 0, err


@pytest.mark.parametrize("changes, needles", [
    ({"metrics": ["fid"]}, ["eval.metrics", "did you mean 'fd'"]),
    ({"extractor": "digit_cnn"}, ["eval.extractor", "digits_cnn"]),
    ({"n": 64}, ["eval.n", "feature dimension 64"]),
    ({"n": 1}, ["eval.n"]),
    ({"metrics": ["fd", "fd"]}, ["eval.metrics", "repeat"]),
    ({"reference": "elsewhere"}, ["eval.reference"]),
    ({"reference": "missing.npz"}, ["eval.reference", "no such file"]),
    ({"sampler": {"name": "ddim", "steps": 5000}}, ["eval.sampler", "exceeds"]),
])
def test_bad_eval_sections_are_validation_errors(cli, tmp_path, changes, needles):
    assert_clean_error(*cli("validate", config_file(tmp_path, **changes)), *needles)


def test_extractor_that_does_not_fit_the_images(cli, tmp_path):
    data = digits_config()
    data["model"]["unet_config"]["image_size"] = data["model"]["image_size"] = 16
    data["data"]["image_size"] = 16
    data["eval"] = GOOD_EVAL
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    assert_clean_error(*cli("validate", path), "eval.extractor", "1x16x16")


def test_monitor_may_name_an_eval_key_only_with_an_eval_section(cli, tmp_path):
    data = digits_config()
    data["model"]["monitor"] = "val/fd_ema"
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    assert_clean_error(*cli("validate", path), "model.monitor")
    data["eval"] = GOOD_EVAL
    path.write_text(yaml.safe_dump(data))
    assert cli("validate", path)[0] == 0


def reference_npz(path, features):
    np.savez(path, features=features)
    return path


def samples_npz(path, n=20):
    rng = np.random.default_rng(0)
    np.savez(path, samples=rng.uniform(-1, 1, (n, 1, 8, 8)).astype(np.float32))
    return path


@pytest.mark.parametrize("features, needle", [
    (np.zeros((10, 32)), "D"),
    (np.full((10, 64), np.nan), "NaN"),
    (np.zeros((1, 64)), "2"),
    (np.zeros((10,)), "features"),
])
def test_bad_reference_files(cli, tmp_path, features, needle):
    reference = reference_npz(tmp_path / "ref.npz", features)
    code, out, err = cli("evaluate", "--samples", samples_npz(tmp_path / "s.npz"), "--reference", reference,
                         "--metrics", "kid")
    assert_clean_error(code, out, err, "ref.npz", needle)


def test_scores_an_npz_of_samples_against_a_reference_file(cli, tmp_path):
    rng = np.random.default_rng(1)
    reference = reference_npz(tmp_path / "ref.npz", rng.normal(size=(50, 64)))
    code, out, err = cli("evaluate", "--samples", samples_npz(tmp_path / "s.npz", 40), "--reference", reference,
                         "--metrics", "kid,pr", "--json")
    assert code == 0, err
    import json

    result = json.loads(out)
    assert set(result["metrics"]) == {"kid", "kid_std", "precision", "recall"} and result["n"] == 40


@pytest.mark.parametrize("args, needles, exit_code", [
    (["--metrics", "fd,kdi"], ["--metrics", "did you mean 'kid'"], 1),
    (["--extractor", "nope"], ["--extractor", "nope"], 1),
    (["--reference", "val"], ["--reference val", "--config"], 1),
    (["--n", "1"], ["--n"], 1),
    (["--spacing", "trailing"], ["--spacing", "not to --samples"], 1),
    (["--option", "rho=5"], ["--option", "not to --samples"], 1),
])
def test_bad_options(cli, tmp_path, args, needles, exit_code):
    reference = reference_npz(tmp_path / "ref.npz", np.zeros((10, 64)))
    base = ["evaluate", "--samples", samples_npz(tmp_path / "s.npz"), "--reference", reference]
    if "--reference" in args:
        base = base[:3]
    assert_clean_error(*cli(*base, *args), *needles, exit_code=exit_code)


def test_missing_files_and_missing_checkpoint(cli, tmp_path):
    assert_clean_error(*cli("evaluate", tmp_path / "none.ckpt"), "none.ckpt", exit_code=2)
    assert_clean_error(*cli("evaluate"), "--samples")
    bad = tmp_path / "bad.npz"
    np.savez(bad, other=np.zeros(3))
    reference = reference_npz(tmp_path / "ref.npz", np.zeros((10, 64)))
    assert_clean_error(*cli("evaluate", "--samples", bad, "--reference", reference, "--metrics", "kid"),
                       "bad.npz", "'samples'")


def test_an_eval_section_on_a_concat_conditioned_model_is_a_validation_error(cli, tmp_path):
    """Evaluation draws unconditional (or label-conditioned) samples; a concat model needs its inputs."""
    import shutil

    from tests.conftest import ROOT

    config = tmp_path / "superres.yaml"
    shutil.copy(ROOT / "examples" / "digits_superres.yaml", config)
    code, out, err = cli("validate", config, "--set", "eval.every_n_steps=100", "--set", "data.val_fraction=0.2")
    assert code == 1 and "Traceback" not in out + err
    assert "eval" in err and "conditioned on its concat input" in err and "--cond" in err


def test_sampler_options_are_those_of_sample(tmp_path):
    """--sampler with --steps / --eta / --spacing / --option builds the eval sampler as ``sample`` does."""
    from ddpm_kit.cli.errors import UserError
    from ddpm_kit.cli.evaluate_setup import resolve_settings

    reference = str(reference_npz(tmp_path / "ref.npz", np.zeros((10, 64))))
    common = dict(n=8, metrics=None, extractor=None, reference=reference, seed=None, batch_size=None)
    settings = resolve_settings(None, sampler="euler", sampler_params={"steps": 4, "eta": None, "spacing": "trailing",
                                                                       "rho": 5}, **common)
    assert (settings.sampler.name, settings.sampler.steps, settings.sampler.spacing, settings.sampler.rho) == \
        ("euler", 4, "trailing", 5)
    with pytest.raises(UserError, match="--spacing need --sampler"):
        resolve_settings(None, sampler=None, sampler_params={"spacing": "trailing"}, **common)
