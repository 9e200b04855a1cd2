"""``ddpm-kit sample --init/--strength/--mask/--resample``: SDEdit and inpainting from the command line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_sample import assert_one_paragraph
from tests.test_inference import trained_checkpoints


@pytest.fixture(scope="module")
def ckpts():
    return trained_checkpoints()


@pytest.fixture()
def init_npz(tmp_path):
    images = np.linspace(-0.9, 0.9, 64, dtype=np.float32).reshape(1, 1, 8, 8)
    path = tmp_path / "init.npz"
    np.savez(path, images=images)
    return path, images


def sampled(cli, ckpt, tmp_path, *options, name="out"):
    npz = tmp_path / f"{name}.npz"
    code, out, err = cli("sample", ckpt, "--n", "4", "--seed", "3", "--label", "2", "--out", tmp_path / f"{name}.png",
                         "--npz", npz, *options)
    assert code == 0, err
    return np.load(npz)["samples"]


def test_strength_0_returns_the_input_and_1_is_unconditional(cli, ckpts, tmp_path, init_npz):
    path, images = init_npz
    kept = sampled(cli, ckpts.image, tmp_path, "--init", path, "--strength", "0", name="s0")
    np.testing.assert_allclose(kept, np.repeat(images, 4, axis=0), atol=1e-6)
    full = sampled(cli, ckpts.image, tmp_path, "--init", path, "--strength", "1", name="s1")
    plain = sampled(cli, ckpts.image, tmp_path, name="plain")
    np.testing.assert_array_equal(full, plain)
    half = sampled(cli, ckpts.image, tmp_path, "--init", path, "--strength", "0.5", name="s05")
    assert not np.allclose(half, plain) and not np.allclose(half, kept)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "euler", "dpmpp_2m_sde", "unipc"])
def test_inpainting_keeps_the_masked_in_pixels(cli, ckpts, tmp_path, init_npz, sampler):
    path, images = init_npz
    mask = np.zeros((8, 8), dtype=np.uint8)
    mask[:, :4] = 255
    Image.fromarray(mask, mode="L").save(tmp_path / "mask.png")
    steps = [] if sampler == "ddpm" else ["--steps", "5"]
    out = sampled(cli, ckpts.image, tmp_path, "--init", path, "--mask", tmp_path / "mask.png", "--sampler", sampler,
                  *steps, name=sampler)
    np.testing.assert_array_equal(out[..., :4], np.repeat(images, 4, axis=0)[..., :4])
    assert np.isfinite(out).all() and not np.allclose(out[..., 4:], images[..., 4:])


def test_png_init_and_resample(cli, ckpts, tmp_path):
    pixels = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    Image.fromarray(pixels, mode="L").save(tmp_path / "init.png")
    np.savez(tmp_path / "mask.npz", mask=np.tile(np.array([1, 0], dtype=np.uint8), (8, 4)))
    out = sampled(cli, ckpts.image, tmp_path, "--init", tmp_path / "init.png", "--mask", tmp_path / "mask.npz",
                  "--resample", "2", "--steps", "4")
    np.testing.assert_allclose(out[0, 0, :, ::2], pixels[:, ::2] / 127.5 - 1, atol=1e-6)


def test_bad_editing_inputs(cli, ckpts, tmp_path, init_npz):
    path, images = init_npz
    np.savez(tmp_path / "rgb.npz", images=np.zeros((1, 3, 8, 8), dtype=np.float32))
    np.savez(tmp_path / "range.npz", images=images * 3)
    np.savez(tmp_path / "three.npz", images=np.repeat(images, 3, axis=0))
    np.savez(tmp_path / "other.npz", pictures=images)
    Image.fromarray(np.zeros((9, 9), dtype=np.uint8), mode="L").save(tmp_path / "big.png")
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8), mode="L").save(tmp_path / "small_mask.png")
    cases = [
        (["--init", tmp_path / "rgb.npz", "--strength", "0.5"], "[3, 8, 8]", "[1, 8, 8]"),
        (["--init", tmp_path / "big.png", "--strength", "0.5"], "[1, 9, 9]", "nothing is resized"),
        (["--init", tmp_path / "range.npz", "--strength", "0.5"], "within [-1, 1]"),
        (["--init", tmp_path / "three.npz", "--strength", "0.5"], "holds 3 images", "--n 3"),
        (["--init", tmp_path / "other.npz", "--strength", "0.5"], "'images'", "pictures"),
        (["--init", path, "--mask", tmp_path / "small_mask.png"], "--mask", "[8, 8]"),
        (["--init", path, "--strength", "1.5"], "--strength 1.5", "[0, 1]"),
        (["--init", path], "--strength", "--mask"),
        (["--strength", "0.5"], "--init"),
        (["--init", path, "--strength", "0.5", "--resample", "3"], "--resample", "--mask"),
        (["--init", tmp_path / "missing.png", "--strength", "0.5"], "missing.png", "no such file"),
    ]
    for options, *fragments in cases:
        code, out, err = cli("sample", ckpts.image, "--n", "4", "--out", tmp_path / "x.png", *options)
        assert_one_paragraph(code, out, err, 1, *fragments)
    assert not (tmp_path / "x.png").exists()
