"""``ddpm-kit sample``: outputs, reproducibility, weight choice, refusals with one-paragraph messages."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import pytest
import torch
from PIL import Image

from ddpm_kit.registry import SAMPLERS, SamplerSpec
from tests.test_inference import NULL_LABEL, WritesAFile, edited, trained_checkpoints


@pytest.fixture(scope="module")
def ckpts():
    return trained_checkpoints()


def assert_one_paragraph(code: int, out: str, err: str, expected_code: int, *fragments: str) -> None:
    assert code == expected_code, (out, err)
    assert "Traceback" not in out + err
    message = err.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_writes_a_grid_and_an_npz_with_labels(cli, ckpts, tmp_path):
    png, npz = tmp_path / "grid.png", tmp_path / "out" / "samples.npz"
    code, out, err = cli("sample", ckpts.image, "--n", "5", "--seed", "1", "--out", png, "--npz", npz)
    assert code == 0, err
    assert f"wrote {png}" in out and f"wrote {npz}" in out and "ema weights" in out and "ddim (5 steps)" in out
    data = np.load(npz)
    assert data["samples"].shape == (5, 1, 8, 8) and data["labels"].shape == (5,)
    assert data["labels"].max() < NULL_LABEL
    width, height = Image.open(png).size
    assert width > height > 0  # 3 + 2 images in two rows


def test_same_seed_same_samples_whatever_the_batch_size(cli, ckpts, tmp_path):
    runs = {}
    for name, batch in (("a", "8"), ("b", "8"), ("c", "3")):
        code, _, err = cli("sample", ckpts.image, "--n", "8", "--batch-size", batch, "--seed", "4",
                           "--out", tmp_path / f"{name}.png", "--npz", tmp_path / f"{name}.npz")
        assert code == 0, err
        runs[name] = np.load(tmp_path / f"{name}.npz")
    assert np.array_equal(runs["a"]["samples"], runs["b"]["samples"])
    assert np.array_equal(runs["a"]["labels"], runs["c"]["labels"])
    np.testing.assert_allclose(runs["a"]["samples"], runs["c"]["samples"], rtol=0, atol=1e-5)  # last-bit GEMM rounding


def test_ema_is_the_default_and_no_ema_differs(cli, ckpts, tmp_path):
    arrays = {}
    for flag in ("--ema", "--no-ema"):
        code, out, err = cli("sample", ckpts.image, "--n", "3", flag, "--out", tmp_path / "g.png",
                             "--npz", tmp_path / f"{flag}.npz")
        assert code == 0, err
        assert ("ema weights" if flag == "--ema" else "raw weights") in out
        arrays[flag] = np.load(tmp_path / f"{flag}.npz")["samples"]
    assert not np.allclose(arrays["--ema"], arrays["--no-ema"], atol=1e-4)


def test_guidance_and_label(cli, ckpts, tmp_path):
    code, out, err = cli("sample", ckpts.image, "--n", "3", "--guidance", "3", "--label", "7", "--sampler", "ddpm",
                         "--out", tmp_path / "g.png", "--npz", tmp_path / "g.npz")
    assert code == 0, err
    assert "ddpm (20 steps)" in out
    assert np.load(tmp_path / "g.npz")["labels"].tolist() == [7, 7, 7]
    assert_one_paragraph(*cli("sample", ckpts.image, "--label", "11"), 1, "--label 11", "0..10")


def test_vector_data_gives_a_scatter_and_notes_the_missing_ema(cli, ckpts, tmp_path):
    code, out, err = cli("sample", ckpts.vector, "--n", "16", "--out", tmp_path / "points.png",
                         "--npz", tmp_path / "points.npz")
    assert code == 0, err
    assert "scatter" in out and "has no EMA weights" in err and "raw weights" in out
    assert np.load(tmp_path / "points.npz")["samples"].shape == (16, 2)
    assert "labels" not in np.load(tmp_path / "points.npz")
    assert Image.open(tmp_path / "points.png").size == (400, 400)
    assert_one_paragraph(*cli("sample", ckpts.vector, "--ema"), 1, "EMA weights were asked for")
    assert_one_paragraph(*cli("sample", ckpts.vector, "--guidance", "3"), 1, "--guidance", "label-conditioned")
    assert_one_paragraph(*cli("sample", ckpts.vector, "--label", "1"), 1, "--label", "unconditional")


def test_mismatching_expectations_and_edited_checkpoints_are_refused(cli, ckpts, tmp_path):
    assert_one_paragraph(*cli("sample", ckpts.image, "--set", "model.parameterization=x0"), 1,
                         'parameterization: checkpoint "v", expected "x0"')
    code, _, err = cli("sample", ckpts.image, "--n", "1", "--set", "model.parameterization=v",
                       "--set", "model.beta_schedule=cosine", "--out", tmp_path / "ok.png")
    assert code == 0, err
    code, _, err = cli("sample", ckpts.image, "--set", "trainer.max_steps=3")
    assert code == 2 and "only checks model settings" in err
    betas = edited(ckpts.image, tmp_path / "betas.ckpt", lambda c: c["state_dict"]["betas"].mul_(1.01))
    assert_one_paragraph(*cli("sample", betas), 1, "another noise schedule", "betas")
    x0 = edited(ckpts.image, tmp_path / "x0.ckpt",
                lambda c: c["hyper_parameters"]["config"].update(parameterization="x0"))
    assert_one_paragraph(*cli("sample", x0), 1, 'parameterization: config "x0", run "v"')


class EpsOnlySampler(SamplerSpec):
    """A test sampler that supports eps-prediction only."""

    name: Literal["eps_only_test"] = "eps_only_test"
    impl: ClassVar[str] = "ddpm_kit.components.samplers.ddpm_impl:AncestralSampler"
    parameterizations: ClassVar[tuple[str, ...]] = ("eps",)

    def num_steps(self, timesteps: int) -> int:
        return timesteps


def test_sampler_overrides_are_validated(cli, ckpts, tmp_path):
    assert_one_paragraph(*cli("sample", ckpts.image, "--sampler", "dpmpp_2m", "--eta", "0.5"), 1,
                         "sampler.eta: unknown key")
    assert_one_paragraph(*cli("sample", ckpts.image, "--sampler", "nope"), 1, "unknown sampler 'nope'")
    assert_one_paragraph(*cli("sample", ckpts.image, "--steps", "50"), 1, "steps=50 exceeds T=20")
    SAMPLERS.register(EpsOnlySampler)
    try:
        assert_one_paragraph(*cli("sample", ckpts.image, "--sampler", "eps_only_test"), 1,
                             "'eps_only_test' does not support parameterization 'v'")
        code, _, err = cli("sample", ckpts.vector, "--sampler", "eps_only_test", "--n", "2",
                           "--out", tmp_path / "eps.png")
        assert code == 0, err
    finally:
        SAMPLERS.unregister("eps_only_test")


def test_bad_files_never_give_a_traceback(cli, ckpts, tmp_path):
    code, out, err = cli("sample", tmp_path / "missing.ckpt")
    assert_one_paragraph(code, out, err, 2, "no such checkpoint file")
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"\x00" * 100)
    assert_one_paragraph(*cli("sample", garbage), 1, str(garbage))
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(ckpts.image.read_bytes()[:10_000])
    assert_one_paragraph(*cli("sample", truncated), 1, "corrupt or truncated")
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    assert_one_paragraph(*cli("sample", empty), 1, "the file is empty")
    assert_one_paragraph(*cli("sample", ckpts.image, "--out", tmp_path / "grid.jpgx"), 1, "ending in .png")
    assert_one_paragraph(*cli("sample", ckpts.image, "--out", tmp_path), 1, "is a folder")


def test_a_malicious_pickle_is_refused_without_running(cli, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "hyper_parameters": WritesAFile(marker)}, evil)
    assert_one_paragraph(*cli("sample", evil), 1, "refused", "never runs code")
    assert not marker.exists()


def test_plms_from_the_command_line(cli, ckpts, tmp_path):
    code, out, err = cli("sample", ckpts.image, "--n", "2", "--sampler", "plms", "--steps", "5",
                         "--out", tmp_path / "g.png", "--npz", tmp_path / "g.npz")
    assert code == 0, err
    assert "plms (6 steps)" in out  # 5 steps + the warm-up's second network evaluation
    assert np.isfinite(np.load(tmp_path / "g.npz")["samples"]).all()
    assert_one_paragraph(*cli("sample", ckpts.image, "--sampler", "plms", "--eta", "0.5"), 1,
                         "sampler.eta: unknown key")
