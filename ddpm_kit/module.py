"""``DDPM``: the CompVis pixel-space DDPM as a LightningModule, assembled from validated config.

The module orchestrates only: the schedule buffers, losses and samplers come from
``ddpm_kit.diffusion`` and the registries, the network from the backbone registry. Every argument
of the CompVis constructor is accepted under its name and validated by ``ddpm_kit.config`` before
anything is built, so ``DDPM(**kwargs)`` gets the same errors as a YAML file.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from ddpm_kit.components.augment.base_impl import Augmentations
from ddpm_kit.config import ModelConfig, RunConfig
from ddpm_kit.config.errors import ConfigError, Issue
from ddpm_kit.diffusion.buffers import BUFFER_NAMES
from ddpm_kit.diffusion.forward import q_sample
from ddpm_kit.diffusion.objective import compose_loss
from ddpm_kit.diffusion.parameterization import training_target
from ddpm_kit.module_parts import batches, build, optim, sampling
from ddpm_kit.module_parts.arguments import explicit_arguments, resolve
from ddpm_kit.module_parts.augment import augment_batch
from ddpm_kit.module_parts.buckets import TimestepBuckets
from ddpm_kit.module_parts.settings import TrainingSettings
from ddpm_kit.module_parts.steps import StepLosses, check_finite
from ddpm_kit.module_parts.upstream import UpstreamMethods
from ddpm_kit.seeding import derive_seed

#: The CompVis attribute names the module carries (copied from its config), for code written against upstream.
COMPVIS_ATTRIBUTES = ("parameterization", "clip_denoised", "log_every_t", "first_stage_key", "image_size", "channels",
                      "use_positional_encodings", "v_posterior", "original_elbo_weight", "l_simple_weight", "use_ema",
                      "learn_logvar", "conditioning_key")


class DDPM(UpstreamMethods, pl.LightningModule):
    """Denoising diffusion probabilistic model (Ho et al. 2020) with CompVis' arguments and numbers;
    upstream's methods (``p_sample``, ``q_posterior``, ...) come from ``UpstreamMethods``."""

    def __init__(  # CompVis' arguments, in upstream's order, with ModelConfig's defaults
        self, unet_config: Any = None, timesteps: int = 1000, beta_schedule: Any = "linear", loss_type: Any = "l2",
        ckpt_path: str | None = None, ignore_keys: Any = (), load_only_unet: bool = False,
        monitor: str | None = "val/loss", use_ema: bool = True, first_stage_key: str = "image",
        image_size: int | tuple[int, int] = 256, channels: int = 3, log_every_t: int = 100, clip_denoised: bool = True,
        linear_start: float = 1e-4, linear_end: float = 2e-2, cosine_s: float = 8e-3, given_betas: Any = None,
        original_elbo_weight: float = 0.0, v_posterior: float = 0.0, l_simple_weight: float = 1.0,
        conditioning_key: str | None = None, parameterization: str = "eps", scheduler_config: Any = None,
        use_positional_encodings: bool = False, learn_logvar: bool = False, logvar_init: float = 0.0,
        make_it_fit: bool = False, ucg_training: Any = None, reset_ema: bool = False,
        reset_num_ema_updates: bool = False,
        *,
        config: dict[str, Any] | ModelConfig | None = None,
        run: dict[str, Any] | RunConfig | None = None,
        learning_rate: float | None = None,
        input_layout: str = "channels_last",
        **ddpm_kit_options: Any,
    ) -> None:
        super().__init__()
        arguments = {name: value for name, value in locals().items() if name in COMPVIS_ARGUMENTS}
        self.cfg, self.run_config = resolve({**explicit_arguments(arguments), **ddpm_kit_options}, config, run)
        #: what the steps take from the run (``run_config`` is kept for checkpoints and ``ddpm-kit evaluate``)
        self.settings = TrainingSettings.of(self.run_config)
        self._set_attributes(learning_rate, input_layout)
        self.model = build.network(self.cfg)
        emas = build.ema_modules(self.cfg, self.model, self.settings.effective_batch_size)
        for name, ema in emas.items():
            setattr(self, name, ema)
        self.ema_modules: list[str] = list(emas)
        self._register_tables(build.tables(self.cfg))
        self._build_objective()
        self.load_report = build.load_weights(self, self.model, self.cfg, list(emas.values()))

    # ------------------------------------------------------------------ build steps
    def _set_attributes(self, learning_rate: float | None, input_layout: str) -> None:
        """Input layout, learning rate, hyper-parameters (what a checkpoint stores) and the CompVis attributes."""
        cfg = self.cfg
        if input_layout not in batches.LAYOUTS:
            raise ConfigError([Issue("input_layout", f"must be one of {', '.join(batches.LAYOUTS)}", value=input_layout,
                                     has_value=True)], "DDPM arguments")
        self.input_layout = input_layout
        self.learning_rate = learning_rate if learning_rate is not None else (
            self.run_config.learning_rate() if self.run_config is not None else None)
        self.save_hyperparameters({
            "config": cfg.model_dump(mode="json"),
            "run": self.run_config.model_dump(mode="json") if self.run_config is not None else None,
            "learning_rate": self.learning_rate,
            "input_layout": input_layout,
        })
        for name in COMPVIS_ATTRIBUTES:
            setattr(self, name, getattr(cfg, name))
        if cfg.monitor is not None:
            self.monitor = cfg.monitor
        self.use_scheduler = cfg.scheduler_config is not None
        self.linear_start, self.linear_end = cfg.linear_start, cfg.linear_end

    def _register_tables(self, tables: build.Tables) -> None:
        """The schedule buffers (persistent, upstream's names), the lvlb and loss weights, and logvar."""
        for name in BUFFER_NAMES:
            self.register_buffer(name, tables.buffers[name])
        self.register_buffer("lvlb_weights", tables.lvlb_weights, persistent=False)
        self.register_buffer("loss_weights", tables.loss_weights, persistent=False)  # [T] float64, w(SNR(t))
        self.num_timesteps = tables.num_timesteps
        logvar = torch.full((self.num_timesteps,), float(self.cfg.logvar_init))
        if self.cfg.learn_logvar:
            self.logvar = nn.Parameter(logvar)
        else:
            self.register_buffer("logvar", logvar, persistent=False)

    def _build_objective(self) -> None:
        """The loss, the sampler, condition dropout, and the per-step state (generator, EMA step, buckets)."""
        cfg = self.cfg
        self.loss_fn = cfg.loss_type.load_impl()(cfg.loss_type)
        self.sampler = cfg.sampler.load_impl()(cfg.sampler)
        augment = self.settings.augment  # data.augment, applied to the training batches (``batch_losses``)
        self.augmentations = Augmentations(list(augment), self.settings.seed) if augment else None
        self.ucg = batches.ConditionDropout(cfg.ucg_training)
        self._generator: torch.Generator | None = None  # set per step: t, noise and dropout draws
        self._last_ema_step = 0
        self._buckets = TimestepBuckets(self.num_timesteps)

    # ------------------------------------------------------------------ schedule access
    @property
    def buffers_dict(self) -> dict[str, Tensor]:
        """The schedule buffers by upstream name (what the diffusion functions take)."""
        return {name: getattr(self, name) for name in BUFFER_NAMES}

    # ------------------------------------------------------------------ EMA
    @contextmanager
    def ema_scope(self, context: str | None = None, index: int = 0) -> Iterator[None]:
        """Swap the EMA weights in for the body (no-op without EMA), restore the training weights after."""
        if not self.use_ema:
            yield
            return
        from ddpm_kit.components.ema.base_impl import ema_scope

        with ema_scope(self.model, getattr(self, self.ema_modules[index]), context):
            yield

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        """The optimizer step, then the EMA update: once per optimizer step (upstream updates per micro-batch),
        so the EMA averages the weights the optimizer produced and its half-life does not depend on
        accumulate_grad_batches; and before any checkpoint of that step is written."""
        super().optimizer_step(*args, **kwargs)
        step = int(self.global_step) + 1  # Lightning counts this step once the hook has returned
        if self.use_ema and step > self._last_ema_step:
            for name in self.ema_modules:
                getattr(self, name).update(step, self.model)
            self._last_ema_step = step

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._last_ema_step = int(checkpoint.get("global_step", 0))
        for name in self.ema_modules:
            getattr(self, name).last_step = self._last_ema_step

    # ------------------------------------------------------------------ forward process and loss
    def _randn_like(self, x: Tensor) -> Tensor:
        if self._generator is None:
            return torch.randn_like(x)
        return torch.randn(x.shape, generator=self._generator, dtype=x.dtype, device=x.device)

    def q_sample(self, x_start: Tensor, t: Tensor, noise: Tensor | None = None) -> Tensor:
        noise = self._randn_like(x_start) if noise is None else noise
        return q_sample(x_start, t, noise, self.buffers_dict)

    def apply_model(self, x: Tensor, t: Tensor, cond: dict[str, Any] | None = None) -> Tensor:
        """The network output for x_t (conditions as DiffusionWrapper slots; coordinates appended if asked)."""
        if self.use_positional_encodings:
            x = batches.with_coordinates(x)
        return self.model(x, t, **(cond or {}))

    def losses(self, x_start: Tensor, t: Tensor, noise: Tensor | None = None,
               cond: dict[str, Any] | None = None) -> StepLosses:
        """The loss of x_0 at timesteps t (``compose_loss`` of the per-sample loss, weighted by ``loss_weights[t]``)."""
        noise = self._randn_like(x_start) if noise is None else noise
        buffers = self.buffers_dict
        x_noisy = q_sample(x_start, t, noise, buffers)
        model_output = self.apply_model(x_noisy, t, cond)
        target = training_target(self.parameterization, x_start, noise, t, buffers)
        per_sample = self.loss_fn(model_output, target)  # [B]
        loss, logged = compose_loss(per_sample, t, lvlb_weights=self.lvlb_weights, weights=self.loss_weights[t],
                                    l_simple_weight=self.l_simple_weight,
                                    original_elbo_weight=self.original_elbo_weight, logvar=self.logvar,
                                    learn_logvar=self.learn_logvar, prefix="train" if self.training else "val")
        return StepLosses(loss, logged, per_sample.detach(), t)

    def p_losses(self, x_start: Tensor, t: Tensor, noise: Tensor | None = None,
                 cond: dict[str, Any] | None = None) -> tuple[Tensor, dict[str, Tensor]]:
        """Upstream's ``p_losses``: (loss, loss_dict) of ``losses``."""
        terms = self.losses(x_start, t, noise, cond)
        return terms.loss, terms.log

    def _draw_timesteps(self, batch_size: int) -> Tensor:
        """t ~ U{0..T-1} per sample [B] (from the step's generator when one is set)."""
        if self._generator is None:
            return torch.randint(0, self.num_timesteps, (batch_size,), device=self.device).long()
        return torch.randint(0, self.num_timesteps, (batch_size,), generator=self._generator, device=self.device)

    def forward(self, x: Tensor, *args: Any, **kwargs: Any) -> tuple[Tensor, dict[str, Tensor]]:
        """t ~ U{0..T-1} per sample, then ``p_losses`` (draws from the step's generator when training)."""
        return self.p_losses(x, self._draw_timesteps(x.shape[0]), *args, **kwargs)

    def step_generator(self, purpose: str, *counters: int) -> torch.Generator:
        """A generator on the module's device seeded from (seed, purpose, rank, counters): draws depend on where
        they happen, never on what ran before, so resumed and DDP runs draw exactly what an uninterrupted run
        draws. Drawing on the device keeps host-device copies (and the waits they imply) out of the step; a
        GPU run therefore draws other numbers than a CPU run of the same seed, each reproducible."""
        seed = derive_seed(self.settings.seed, purpose, int(self.global_rank), *counters)
        return torch.Generator(device=self.device).manual_seed(seed)

    def get_input(self, batch: dict[str, Any], key: str) -> Tensor:
        return batches.get_input(batch, key, self.input_layout, self.channels)

    def batch_losses(self, batch: dict[str, Any], micro: int | None = None) -> StepLosses:
        """``losses`` of a batch: its input and conditions, t drawn per sample; with ``micro`` (training) the images
        are augmented first (``data.augment``) and an augmentation's parameters join the conditions as
        ``augment_labels``."""
        x = self.get_input(batch, self.first_stage_key)
        cond = batches.conditions(batch, self.cfg.condition_keys, self.conditioning_key)
        if micro is not None and self.augmentations is not None:
            world_size = int(self._trainer.world_size) if self._trainer is not None else 1
            x, labels = augment_batch(self.augmentations, x, int(self.global_step), micro, world_size,
                                      int(self.global_rank), self.settings.per_device_batch or x.shape[0])
            if labels is not None:
                cond = {**cond, "augment_labels": labels}
        return self.losses(x, self._draw_timesteps(x.shape[0]), cond=cond)

    def shared_step(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Tensor]]:
        """Upstream's ``shared_step``: (loss, loss_dict) of a batch."""
        terms = self.batch_losses(batch)
        return terms.loss, terms.log

    # ------------------------------------------------------------------ Lightning steps
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        accumulate = self.trainer.accumulate_grad_batches if self._trainer is not None else 1
        self._generator = self.step_generator("train", int(self.global_step), batch_idx % accumulate)
        batch = self.ucg(batch, self._generator)  # seeded, on a copy of the batch
        terms = self.batch_losses(batch, micro=batch_idx % accumulate)
        self._generator = None
        if not check_finite(terms, int(self.global_step), self.settings.stop_on_nonfinite_loss):
            return None
        self._buckets.add(terms.per_sample, terms.t)
        self.log_dict(terms.log, prog_bar=True, logger=True, on_step=True, on_epoch=True, sync_dist=True)
        self.log("global_step", float(self.global_step), prog_bar=True, logger=True, on_step=True, on_epoch=False)
        if self.use_scheduler:
            self.log("lr_abs", self.optimizers().param_groups[0]["lr"], prog_bar=True, logger=True, on_step=True,
                     on_epoch=False)
        return terms.loss

    def on_train_epoch_start(self) -> None:
        self._buckets.reset()

    def on_train_epoch_end(self) -> None:
        means = self._buckets.means(lambda x: self.trainer.strategy.reduce(x, reduce_op="sum"))
        self.log_dict(means, logger=True, on_step=False, on_epoch=True, sync_dist=True)  # equal on all ranks

    @torch.no_grad()
    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        """val/* with the training weights and val/*_ema with the EMA weights, on the same t and noise
        (upstream draws them independently), seeded per batch so validations are comparable over time."""
        for suffix, scope in (("", nullcontext), *((("_ema", self.ema_scope),) if self.use_ema else ())):
            self._generator = self.step_generator("val", batch_idx)
            with scope():
                _, loss_dict = self.shared_step(batch)
            self._generator = None
            self.log_dict({f"{k}{suffix}": v for k, v in loss_dict.items()}, prog_bar=False, logger=True,
                          on_step=False, on_epoch=True, sync_dist=True)

    def configure_optimizers(self) -> Any:
        parameters = [*self.model.parameters(), *([self.logvar] if self.learn_logvar else [])]
        return optim.configure(parameters, self.learning_rate, self.settings, self.cfg.scheduler_config)

    # ------------------------------------------------------------------ sampling
    @torch.no_grad()
    def sample(self, batch_size: int = 16, return_intermediates: bool = False, **kwargs: Any) -> Any:
        """Samples from the configured sampler; with ``return_intermediates`` also every ``log_every_t``-th
        step (the module's, as upstream, unless given)."""
        if return_intermediates:
            kwargs.setdefault("log_every_t", self.log_every_t)
        samples, intermediates = sampling.sample(self, batch_size, **kwargs)
        return (samples, intermediates) if return_intermediates else samples

    @torch.no_grad()
    def log_images(self, batch: dict[str, Any], N: int = 8, n_row: int = 2, sample: bool = True,
                   return_keys: list[str] | None = None, **kwargs: Any) -> dict[str, Tensor]:
        return sampling.log_images(self, batch, N=N, n_row=n_row, sample=sample, return_keys=return_keys, **kwargs)


#: The CompVis constructor arguments, by name (their defaults are ``ModelConfig``'s).
COMPVIS_ARGUMENTS = frozenset(
    name for name, parameter in inspect.signature(DDPM.__init__).parameters.items()
    if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and name != "self"
)
