"""``ddpm-kit sample`` with the k-diffusion family: each sampler's options, and bad sampler input."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli.test_sample import assert_one_paragraph
from tests.test_inference import trained_checkpoints


@pytest.fixture(scope="module")
def ckpts():
    return trained_checkpoints()


RUNS = {  # sampler -> (extra options, network evaluations printed)
    "euler": (["--steps", "4", "--spacing", "trailing"], 4),
    "euler_ancestral": (["--steps", "4", "--eta", "0.5", "--option", "s_noise=0.9"], 4),
    "heun": (["--steps", "4", "--option", "s_churn=1", "--option", "s_tmax=50"], 7),
    "dpmpp_2s_ancestral": (["--steps", "3", "--option", "rho=5"], 5),
    "dpmpp_2m_sde": (["--steps", "4", "--option", "solver_type=heun", "--eta", "0.7"], 4),
    "dpmpp_3m_sde": (["--steps", "4", "--option", "sigma_max=20"], 4),
    "dpmpp_3m_sde_o3": (["--steps", "5", "--eta", "0"], 5),
    "unipc": (["--steps", "4", "--option", "order=3", "--spacing", "linspace"], 4),
}


@pytest.mark.parametrize("name", list(RUNS))
def test_each_sampler_and_its_options(cli, ckpts, tmp_path, name):
    options, evaluations = RUNS[name]
    code, out, err = cli("sample", ckpts.image, "--n", "2", "--sampler", name, *options,
                         "--out", tmp_path / "g.png", "--npz", tmp_path / "g.npz")
    assert code == 0, err
    assert f"{name} ({evaluations} steps)" in out
    assert np.isfinite(np.load(tmp_path / "g.npz")["samples"]).all()


BAD = {  # arguments -> fragments of the one-paragraph error (exit 1)
    ("--sampler", "eulr"): ("unknown sampler 'eulr'", "euler"),
    ("--sampler", "euler", "--spacing", "karas"): ("sampler.spacing", "karras"),
    ("--sampler", "euler", "--steps", "100000"): ("exceeds T",),
    ("--sampler", "heun", "--eta", "0.5"): ("sampler.eta: unknown key",),
    ("--sampler", "unipc", "--option", "order=5"): ("sampler.order",),
    ("--sampler", "euler", "--option", "rhoo=5"): ("sampler.rhoo: unknown key", "rho"),
}


@pytest.mark.parametrize("arguments", list(BAD), ids=lambda a: " ".join(a))
def test_bad_sampler_input_is_one_paragraph(cli, ckpts, tmp_path, arguments):
    assert_one_paragraph(*cli("sample", ckpts.image, *arguments, "--out", tmp_path / "g.png"), 1, *BAD[arguments])
    assert not (tmp_path / "g.png").exists()


def test_malformed_option_exits_2(cli, ckpts, tmp_path):
    code, out, err = cli("sample", ckpts.image, "--sampler", "euler", "--option", "rho", "--out", tmp_path / "g.png")
    assert code == 2 and "Traceback" not in out + err and "KEY=VALUE" in err
