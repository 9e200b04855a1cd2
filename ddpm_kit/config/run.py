"""The whole run: ``model``, ``data``, ``trainer`` (Lightning's own argument names), ``optimizer``, ``output``,
``seed``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ddpm_kit.config.evaluation import EvalConfig
from ddpm_kit.config.model import ModelConfig, StrictModel
from ddpm_kit.registry import DATA_SOURCES, Component, DataSpec

Precision = Literal[
    "64-true", "64", "32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "transformer-engine"
]


class TrainerConfig(StrictModel):
    """Arguments passed to ``lightning.Trainer`` under Lightning's names."""

    max_steps: int = Field(-1, ge=-1, description="optimizer steps to train (-1: use max_epochs)")
    max_epochs: int | None = Field(None, ge=-1, description="epochs to train (None: Lightning's default)")
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps", "tpu", "xpu"] = "auto"
    devices: int | list[int] | Literal["auto"] = Field("auto", description="device count, ids, or auto")
    num_nodes: int = Field(1, ge=1)
    strategy: Literal[
        "auto", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook", "ddp_find_unused_parameters_true", "fsdp",
        "single_device"
    ] = "auto"
    precision: Precision = Field("32-true", description="Lightning precision, e.g. bf16-mixed on recent GPUs")
    accumulate_grad_batches: int = Field(1, ge=1, le=65_536, description="batches per optimizer step (at most 65536)")
    gradient_clip_val: float | None = Field(None, ge=0)
    gradient_clip_algorithm: Literal["norm", "value"] = "norm"
    val_check_interval: int | float | None = Field(None, gt=0)
    check_val_every_n_epoch: int | None = Field(1, ge=1)
    limit_train_batches: int | float | None = Field(None, ge=0)
    limit_val_batches: int | float | None = Field(None, ge=0)
    num_sanity_val_steps: int = Field(0, ge=-1)
    log_every_n_steps: int = Field(10, ge=1)
    deterministic: bool | Literal["warn"] | None = None
    benchmark: bool | None = None
    enable_progress_bar: bool = True
    detect_anomaly: bool = False

    @model_validator(mode="after")
    def _has_an_end(self) -> TrainerConfig:
        if self.max_steps == -1 and self.max_epochs is None:
            raise ValueError("set trainer.max_steps or trainer.max_epochs: a run needs an end")
        return self

    def device_count(self) -> int | None:
        """Devices per node when known from the config alone (None for 'auto' on an accelerator)."""
        if isinstance(self.devices, list):
            return len(self.devices)
        if isinstance(self.devices, int):
            return self.devices if self.devices > 0 else None
        return 1 if self.accelerator == "cpu" else None


class OptimizerConfig(StrictModel):
    """AdamW, as upstream (torch defaults, weight decay 0.01); the LR schedule is ``model.scheduler_config``."""

    lr: float | None = Field(None, gt=0, lt=10, description="absolute learning rate")
    base_learning_rate: float | None = Field(
        None, gt=0, lt=10, description="upstream's base LR, multiplied by the batch size etc. when scale_lr"
    )
    scale_lr: bool = Field(True, description="lr = accumulate * devices * nodes * batch_size * base_learning_rate")
    weight_decay: float = Field(0.01, ge=0, lt=1)
    betas: list[Annotated[float, Field(ge=0, lt=1)]] = Field(default_factory=lambda: [0.9, 0.999], min_length=2,
                                                             max_length=2)
    eps: float = Field(1e-8, gt=0, lt=1)

    @model_validator(mode="after")
    def _one_lr(self) -> OptimizerConfig:
        if (self.lr is None) == (self.base_learning_rate is None):
            raise ValueError("set exactly one of optimizer.lr and optimizer.base_learning_rate")
        return self


class OutputConfig(StrictModel):
    """Where a run writes, and how often."""

    dir: str = Field("runs/ddpm", min_length=1, description="output directory (checkpoints, logs, grids)")
    logger: Literal["csv", "tensorboard"] = "csv"
    image_every_n_steps: int = Field(500, ge=0, description="write sample grids every N steps (0: only at the end)")
    checkpoint_every_n_steps: int = Field(500, ge=1, description="refresh last.ckpt every N steps")
    save_top_k: int = Field(3, ge=-1, description="best checkpoints kept by monitor")
    num_samples: int = Field(64, ge=1, le=4096, description="samples per grid")


class RunConfig(StrictModel):
    """A complete training run."""

    model: ModelConfig
    data: Annotated[DataSpec, Component(DATA_SOURCES)] = Field("digits", description="data source")
    trainer: TrainerConfig = Field(default_factory=lambda: TrainerConfig(max_steps=1000))
    optimizer: OptimizerConfig = Field(default_factory=lambda: OptimizerConfig(lr=1e-4))
    output: OutputConfig = Field(default_factory=OutputConfig)
    seed: int = Field(23, ge=0, lt=2**32, description="seed for everything (upstream main.py default 23)")
    eval: EvalConfig | None = Field(None, description="sample-quality evaluation during training (val/fd_ema, ...)")
    on_nonfinite_loss: Literal["stop", "skip"] = Field(
        "stop", description="a NaN/inf loss stops the run naming the step and the last good checkpoint, or skips "
                            "that optimizer step (single process only)"
    )
    require_plugins: list[str] = Field(default_factory=list,
                                       description="distributions this config needs, e.g. ['acme-ddpm>=1.2']")

    def effective_batch_size(self) -> int | None:
        devices = self.trainer.device_count()
        if devices is None:
            return None
        return self.data.batch_size * self.trainer.accumulate_grad_batches * devices * self.trainer.num_nodes

    def learning_rate(self) -> float | None:
        """The absolute LR (upstream main.py's scaling when base_learning_rate + scale_lr)."""
        opt = self.optimizer
        if opt.lr is not None:
            return opt.lr
        assert opt.base_learning_rate is not None
        if not opt.scale_lr:
            return opt.base_learning_rate
        effective = self.effective_batch_size()
        return None if effective is None else effective * opt.base_learning_rate
