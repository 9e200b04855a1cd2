"""The quality metric of ``benchmarks/digits_quality`` and its re-implemented lucidrains baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from benchmarks import digits_quality as dq
from benchmarks import digits_quality_baseline as base
from benchmarks import digits_quality_report as report
from tests.conftest import DATA


def load_digits_tensor() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 8.0 - 1.0, torch.as_tensor(bunch.target)

GOLDEN = json.loads((DATA / "benchmarks" / "lucidrains_unet_golden.json").read_text())


def test_both_contestants_train_on_one_half_and_the_reference_is_the_other():
    from ddpm_kit.config import load_config
    from ddpm_kit.evaluation.quality import split_images

    run = load_config(dq.PRESET, dq.protocol_overrides(seed=1, minutes=dq.BUDGET_MINUTES))
    train, val = split_images(run, "train"), split_images(run, "val")
    assert (len(train), len(val)) == (899, 898)
    everything, _ = load_digits_tensor()
    key = lambda images: sorted(map(tuple, images.flatten(1).tolist()))  # noqa: E731
    assert key(torch.cat([train, val])) == key(everything)  # a partition of the 1,797 digits
    assert run.seed == 1 and run.trainer.max_steps == load_config(dq.PRESET).trainer.max_steps
    # the split does not move with the training seed
    other = load_config(dq.PRESET, dq.protocol_overrides(seed=2, minutes=dq.BUDGET_MINUTES))
    assert torch.equal(split_images(other, "val"), val)


def _row(model, sampler, seed, fd, **extra):
    return {"model": model, "sampler": sampler, "seed": seed, "n": 10, "fd": fd, **extra}


def test_table_gives_mean_and_spread_over_seeds():
    rows = [_row("ddpm-kit default", "DDIM 50", 0, 2.0, kid=0.001),
            _row("ddpm-kit default", "DDIM 50", 1, 4.0, kid=0.003),
            _row("lucidrains, equal time", "DDIM 50", 0, 8.0), _row("lucidrains, equal time", "DDIM 50", 1, 8.0),
            _row(report.FLOOR, "", 0, 1.0), _row(report.FLOOR, "", 1, 1.0)]
    entries = report.aggregate(rows)
    assert entries[0]["fd"] == pytest.approx((3.0, 2 ** 0.5))
    assert entries[0]["kid"] == pytest.approx((0.002, 0.001 * 2 ** 0.5))
    table = "\n".join(report.format_table(rows))
    assert "| ddpm-kit default | DDIM 50 |" in table and "3.00 ± 1.41" in table and "0.002 ± 0.00141" in table
    summary = {row["measure"]: row for row in report.summary_rows(rows)}
    assert summary["FD DDIM 50, equal time"]["ratio"] == pytest.approx(3.0 / 8.0)
    assert summary["best ddpm-kit FD vs real-vs-real floor"]["ratio"] == pytest.approx(3.0)


def test_baseline_keeps_an_ema_copy_at_each_budget():
    images = torch.rand(20, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    run = base.train_baseline(images, 0.0, batch_size=8, max_steps=12, both=True)  # the EMA copies at calls 0, 10
    assert run.snapshots["time"].steps == 1 and run.snapshots["steps"].steps == 12 and run.steps == 12
    at_time, at_steps = (run.snapshots[b].ema_model.state_dict() for b in ("time", "steps"))
    assert any(not torch.equal(at_time[k], at_steps[k]) for k in at_time)  # a copy, not the live EMA model
    assert all(torch.equal(at_steps[k], v) for k, v in run.ema_model.state_dict().items())


def test_baseline_unet_matches_the_package_golden_output():
    torch.manual_seed(0)  # the package and the re-implementation create their parameters in the same order
    unet = base.Unet(dim=32, dim_mults=(1, 2), channels=1)
    assert sum(p.numel() for p in unet.parameters()) == GOLDEN["num_params"]
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 1, 8, 8, generator=g)
    t = torch.tensor(GOLDEN["t"])
    with torch.no_grad():
        out = unet(x, t)
    np.testing.assert_allclose(out.flatten().numpy(), GOLDEN["output"], atol=2e-5)
    x0 = torch.rand(3, 1, 8, 8, generator=g) * 2 - 1
    noise = torch.randn(3, 1, 8, 8, generator=g)
    diffusion = base.VDiffusion(1000)
    for index, value in GOLDEN["alphas_cumprod_at"].items():
        assert diffusion.alphas_cumprod[int(index)].item() == pytest.approx(value, rel=1e-6)
    for index, value in GOLDEN["loss_weight_at"].items():
        assert diffusion.loss_weight[int(index)].item() == pytest.approx(value, rel=1e-6)
    x_t = base._at(diffusion.sqrt_abar, t) * x0 + base._at(diffusion.sqrt_one_minus_abar, t) * noise
    v = base._at(diffusion.sqrt_abar, t) * noise - base._at(diffusion.sqrt_one_minus_abar, t) * x0
    with torch.no_grad():
        loss = ((unet(x_t, t) - v).pow(2).mean(dim=(1, 2, 3)) * diffusion.loss_weight[t]).mean()
    assert loss.item() == pytest.approx(GOLDEN["p_losses"], rel=1e-5)


def test_baseline_schedule_equals_ddpm_kit_sigmoid_alphabar():
    from ddpm_kit.components.schedules.base_impl import make_betas
    from ddpm_kit.registry import SCHEDULES

    spec = SCHEDULES.get("sigmoid_alphabar").model_validate({"name": "sigmoid_alphabar"})
    betas = make_betas(spec, 1000)
    np.testing.assert_allclose(torch.cumprod(1 - betas, 0).numpy(), base.sigmoid_alphas_cumprod(1000).numpy(),
                               rtol=0, atol=1e-8)  # the package rounds its sigmoid endpoints to float32


def test_package_ema_warm_up_and_cadence():
    net = torch.nn.Linear(2, 1)
    ema = base.PackageEMA(net, beta=0.995, update_every=10, update_after_step=100)
    decays = []
    for call in range(400):
        with torch.no_grad():
            net.weight.fill_(float(call))
        before = ema.model.weight.clone()
        decays.append(ema.decay())
        ema.update(net)
        changed = not torch.equal(before, ema.model.weight)
        if call == 0 or (call % 10 == 0 and call <= 100):
            assert torch.equal(ema.model.weight, net.weight)  # copies during the warm-up
        elif call % 10:
            assert not changed  # only every 10th call does anything
    assert decays[110] == pytest.approx(1 - 11 ** (-2 / 3))  # e = 10
    assert decays[399] == pytest.approx(min(0.995, 1 - 300 ** (-2 / 3)))


def test_step_overrides_scale_the_default_and_still_validate():
    from ddpm_kit.config import load_config

    overrides = dq.step_overrides(dq.PRESET, 0.1)
    default, scaled = load_config(dq.PRESET), load_config(dq.PRESET, overrides)
    assert scaled.trainer.max_steps == round(default.trainer.max_steps * 0.1)
    assert scaled.model.scheduler_config.total_steps == scaled.trainer.max_steps  # the cosine still ends at the end
    assert scaled.output.image_every_n_steps == round(default.output.image_every_n_steps * 0.1)
    assert dq.step_overrides(dq.PRESET, 1.0) == []


def test_example_digits_is_the_builtin_default():
    assert (dq.ROOT / "examples" / "digits.yaml").read_text() == dq.PRESET.read_text()
