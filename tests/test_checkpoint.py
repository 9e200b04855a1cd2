"""init_from_ckpt with upstream meaning: prefixes, load_only_unet, make_it_fit, reports, refusals."""

from __future__ import annotations

import pickle

import pytest
import torch
from safetensors.torch import save_file

from ddpm_kit import DDPM
from ddpm_kit.checkpoint import CheckpointError, fit_tensor, read_checkpoint

UNET = {"name": "unet", "image_size": 8, "in_channels": 1, "out_channels": 1, "model_channels": 32,
        "num_res_blocks": 1, "attention_resolutions": [], "channel_mult": [1, 2], "num_heads": 1}


def module(**kwargs) -> DDPM:
    return DDPM(unet_config=kwargs.pop("unet_config", UNET), image_size=8, channels=1, learning_rate=1e-3, **kwargs)


def perturbed(m: DDPM) -> DDPM:
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p))
    return m


def test_full_state_dict_loads_and_reports(tmp_path):
    source = perturbed(module())
    path = tmp_path / "full.ckpt"
    torch.save({"state_dict": source.state_dict()}, path)
    target = module(ckpt_path=str(path))
    assert torch.equal(target.model.diffusion_model.out[2].weight, source.model.diffusion_model.out[2].weight)
    assert not target.load_report.missing and not target.load_report.unexpected


def test_ignore_keys_are_prefixes_and_reset_ema(tmp_path):
    source = perturbed(module())
    path = tmp_path / "full.safetensors"
    save_file({k: v.contiguous() for k, v in source.state_dict().items()}, str(path))
    target = module(ckpt_path=str(path), ignore_keys=["model_ema."], reset_ema=True)
    assert target.load_report.ignored and all(k.startswith("model_ema.") for k in target.load_report.ignored)
    assert int(target.model_ema.num_updates) == 0
    shadow = target.model_ema.shadows()["diffusion_model.out.2.weight"]
    assert torch.equal(shadow, source.model.diffusion_model.out[2].weight)  # EMA restarted from loaded weights


def test_load_only_unet(tmp_path):
    source = perturbed(module())
    unet_only = {k.removeprefix("model."): v for k, v in source.state_dict().items() if k.startswith("model.")}
    path = tmp_path / "unet.ckpt"
    torch.save(unet_only, path)
    target = module(ckpt_path=str(path), load_only_unet=True)
    assert torch.equal(target.model.diffusion_model.out[2].weight, source.model.diffusion_model.out[2].weight)
    full = tmp_path / "full.ckpt"
    torch.save({"state_dict": source.state_dict()}, full)
    with pytest.raises(CheckpointError, match="would drop everything.*unset load_only_unet"):
        module(ckpt_path=str(full), load_only_unet=True)  # upstream loads nothing and only prints


def test_shape_mismatch_needs_make_it_fit(tmp_path):
    wider = dict(UNET, in_channels=2)
    source = perturbed(DDPM(unet_config=wider, image_size=8, channels=1, learning_rate=1e-3, use_ema=False,
                            use_positional_encodings=False, conditioning_key="concat",
                            condition_keys={"concat": "mask"}))
    path = tmp_path / "wide.ckpt"
    torch.save(source.state_dict(), path)
    with pytest.raises(CheckpointError, match="other shapes than the model.*make_it_fit"):
        module(ckpt_path=str(path), use_ema=False)
    fitted = module(ckpt_path=str(path), use_ema=False, make_it_fit=True)
    assert "model.diffusion_model.input_blocks.0.0.weight" in fitted.load_report.resized


def test_fit_tensor_matches_upstream_divisor():
    old = torch.arange(2 * 2, dtype=torch.float32).reshape(2, 2)
    new = fit_tensor(old, torch.Size([3, 4]))
    # rows cycle (0, 1, 0); columns cycle (0, 1, 0, 1); each old column is used twice -> divided by 1 + 2 = 3
    expected = torch.tensor([[0, 1, 0, 1], [2, 3, 2, 3], [0, 1, 0, 1]], dtype=torch.float32) / 3
    assert torch.allclose(new, expected)


class Payload:
    def __reduce__(self):
        return (open, ("/tmp/ddpm_kit_pwned", "w"))


def test_malicious_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.ckpt"
    with open(path, "wb") as handle:
        pickle.dump({"state_dict": Payload()}, handle)
    with pytest.raises(CheckpointError, match="refused|not a checkpoint"):
        read_checkpoint(path)


@pytest.mark.parametrize("content", [b"", b"\x00" * 10, b"PK\x03\x04garbage"])
def test_corrupt_files_are_clear_errors(tmp_path, content):
    path = tmp_path / "bad.ckpt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=str(path)):
        read_checkpoint(path)


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / "whole.ckpt"
    torch.save({"state_dict": module().state_dict()}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        read_checkpoint(path)
