"""inception_fid from the command line: a missing or wrong weights file is one clear error (validate, evaluate), a
config naming an existing file validates without torch, and ``ddpm-kit evaluate --extractor`` scores with it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from ddpm_kit.components.feature_extractors.inception_fid import PUBLISHED_FILE
from tests.cli.test_evaluate import assert_clean_error, reference_npz
from tests.conftest import subprocess_env
from tests.training.test_train import digits_config


def eval_config(tmp_path, extractor):
    data = digits_config()
    data["eval"] = {"every_n_steps": 5, "n": 80, "metrics": ["kid", "pr"], "extractor": extractor, "reference": "val"}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def rgb_samples(path, n=3):
    rng = np.random.default_rng(0)
    np.savez(path, samples=rng.uniform(-1, 1, (n, 3, 8, 8)).astype(np.float32))
    return path


@pytest.mark.parametrize("extractor, needles", [
    ({"name": "inception_fid", "weights": "nowhere/pt_inception.pth"},
     ["eval.extractor.weights", "no such file: nowhere/pt_inception.pth", PUBLISHED_FILE, "internet"]),
    ("inception_fid", ["eval.extractor", "needs weights", PUBLISHED_FILE]),
])
def test_validate_refuses_a_missing_weights_file_saying_where_it_comes_from(cli, tmp_path, extractor, needles):
    assert_clean_error(*cli("validate", eval_config(tmp_path, extractor)), *needles)


def test_a_config_naming_an_existing_file_validates_without_importing_torch(tmp_path):
    weights = tmp_path / PUBLISHED_FILE
    weights.write_bytes(b"not read by validate")
    config = eval_config(tmp_path, {"name": "inception_fid", "weights": str(weights)})
    probe = ("import sys\nsys.argv = ['ddpm-kit', 'validate', sys.argv[1]]\nfrom ddpm_kit.cli import console\n"
             "try:\n    console()\nexcept SystemExit as exc:\n    code = exc.code\n"
             "print('HEAVY', [m for m in ('torch', 'numpy') if m in sys.modules], 'CODE', code)\n")
    result = subprocess.run([sys.executable, "-c", probe, str(config)], capture_output=True, text=True,
                            env=subprocess_env(), timeout=60)
    assert "HEAVY [] CODE 0" in result.stdout, (result.stdout, result.stderr)


def test_evaluate_refuses_missing_and_wrong_weights_files(cli, tmp_path):
    reference = reference_npz(tmp_path / "ref.npz", np.zeros((10, 2048)))
    base = ["evaluate", "--samples", rgb_samples(tmp_path / "s.npz"), "--reference", reference, "--metrics", "kid"]
    missing = tmp_path / "missing.pth"
    assert_clean_error(*cli(*base, "--extractor", f"{{name: inception_fid, weights: {missing}}}"),
                       "--extractor.weights", str(missing), PUBLISHED_FILE)
    assert_clean_error(*cli(*base, "--extractor", "inception_fid"), "--extractor", "needs weights")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"no torch file")
    assert_clean_error(*cli(*base, "--extractor", f"{{name: inception_fid, weights: {junk}}}"),
                       str(junk), "weights_only", PUBLISHED_FILE)


@pytest.mark.slow  # three 299x299 Inception passes and a 95 MB weights file: over 20 s on a loaded machine
def test_evaluate_scores_samples_with_inception_features(cli, tmp_path):
    import torch

    from ddpm_kit.components.feature_extractors.inception_blocks_impl import FIDInceptionV3

    torch.manual_seed(0)
    weights = tmp_path / "random_inception.pth"
    torch.save(FIDInceptionV3().state_dict(), weights)
    reference = reference_npz(tmp_path / "ref.npz", np.random.default_rng(1).normal(size=(6, 2048)))
    code, out, err = cli("evaluate", "--samples", rgb_samples(tmp_path / "s.npz"), "--reference", reference,
                         "--metrics", "kid,cs", "--extractor", f"{{name: inception_fid, weights: {weights}}}",
                         "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["extractor"] == "inception_fid" and result["n"] == 3
    assert {"kid", "kid_std", "cs"} <= set(result["metrics"]) and not {"fd", "precision"} & set(result["metrics"])
    assert 1.0 <= result["metrics"]["cs"] <= 1008 and np.isfinite(result["metrics"]["kid"])
