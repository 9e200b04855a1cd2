"""Scale-out through Lightning: DDP with 2 CPU processes (gloo), then resuming that run in one process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import torch

from tests.conftest import subprocess_env
from tests.training.test_train import digits_config

SCRIPT = textwrap.dedent('''
    import json, sys
    import pytorch_lightning as pl
    from ddpm_kit.config import validate_source
    from ddpm_kit.config.source import Source
    from ddpm_kit.training.run import train

    config, out = json.loads(sys.argv[1]), sys.argv[2]

    class DumpEma(pl.Callback):
        def on_train_end(self, trainer, module):
            sums = {k: v.double().sum().item() for k, v in module.model_ema.state_dict().items()}
            weights = {k: v.double().sum().item() for k, v in module.model.state_dict().items()}
            metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
            with open(f"{out}/rank{trainer.global_rank}.json", "w") as handle:
                json.dump({"ema": sums, "weights": weights, "world": trainer.world_size, "metrics": metrics}, handle)

    run = validate_source(Source(config, "test")).raise_for_errors()
    result = train(run, out, callbacks=[DumpEma()])
    print("STEP", result.global_step)
''')


def _run(tmp_path, config, out):
    script = tmp_path / "train_script.py"
    script.write_text(SCRIPT)
    env = subprocess_env(OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(script), json.dumps(config), str(out)], capture_output=True,
                          text=True, timeout=300, env=env, cwd=tmp_path)


def test_ddp_two_cpu_processes_then_resume_on_one(tmp_path):
    out = tmp_path / "ddp"
    out.mkdir()
    config = digits_config(max_steps=4)
    config["trainer"].update(strategy="ddp", devices=2, accelerator="cpu")
    result = _run(tmp_path, config, out)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["world"] == ranks[1]["world"] == 2
    assert ranks[0]["ema"] == ranks[1]["ema"]  # EMA weights identical across ranks
    assert ranks[0]["weights"] == ranks[1]["weights"]
    # each rank draws its own t and noise (seeded by rank), so only a reduction makes the logged values equal
    for key in ("val/loss_simple", "val/loss_simple_ema", "train/loss_simple_epoch"):
        assert ranks[0]["metrics"][key] == ranks[1]["metrics"][key], key
    assert sorted(p.name for p in (out / "images").glob("step000004_*.png"))  # grids written once, by rank 0
    checkpoints = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert "last.ckpt" in checkpoints and len(list(out.glob("logs/metrics.csv"))) == 1
    assert torch.load(out / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4

    single = digits_config(max_steps=6)  # the same run continued in a single process
    resumed = _run(tmp_path, single, out)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "STEP 6" in resumed.stdout


def test_validate_reports_the_effective_batch_size(cli, write_config):
    config = digits_config()
    config["trainer"].update(strategy="ddp", devices=4, num_nodes=2, accumulate_grad_batches=3)
    code, out, _ = cli("validate", write_config(config), "--json")
    assert code == 0 and json.loads(out)["summary"]["effective_batch_size"] == 16 * 4 * 2 * 3
