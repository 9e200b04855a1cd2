"""The shared EMA module: shadow weights as buffers, the update loop and the weight swap.

A strategy subclasses ``EMAModule`` and says how a parameter name becomes a buffer name
(``shadow_name``) and which decay an update uses (``decay_at``). The module checks, at every
update and copy, that the model still matches what it tracks (same trainable names, shapes and
dtypes) and raises ``EMAError`` otherwise: nothing is skipped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)


class EMAError(RuntimeError):
    """The EMA and the model it follows disagree (names, shapes, dtypes, store/restore order)."""


class EMAModule(nn.Module):
    """Shadow copies of a model's trainable parameters, updated once per optimizer step.

    Subclasses register their counter buffers in ``__init__`` and then call ``track(model)``.
    """

    #: buffer names a shadow may not take (the strategies' counters)
    reserved_names: tuple[str, ...] = ("decay", "num_updates")

    def __init__(self) -> None:
        super().__init__()
        self.param_to_shadow: dict[str, str] = {}
        self.collected_params: list[Tensor] | None = None
        self.last_step = 0

    # ------------------------------------------------------------------ naming
    @staticmethod
    def shadow_name(param_name: str) -> str:
        """Buffer name of a parameter's shadow (buffers may not contain dots): ``a.b.c`` -> ``a__b__c``."""
        return param_name.replace(".", "__")

    def track(self, model: nn.Module) -> None:
        """Register one shadow per parameter that requires grad, a detached copy of its current value."""
        owner: dict[str, str] = {}
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            shadow = self.shadow_name(name)
            if shadow in owner:
                raise EMAError(
                    f"{type(self).__name__}: parameters {owner[shadow]!r} and {name!r} both map to the shadow "
                    f"buffer {shadow!r}, so one of them would not be averaged (upstream LitEma drops one "
                    f"silently). Rename a submodule, or use an EMA strategy with collision-free names "
                    f"(constant, half_life, power)."
                )
            if shadow in self.reserved_names:
                raise EMAError(f"{type(self).__name__}: parameter {name!r} would shadow the counter buffer {shadow!r}")
            try:
                self.register_buffer(shadow, param.detach().clone())
            except KeyError as exc:  # the name of an existing attribute of the module
                raise EMAError(f"{type(self).__name__}: parameter {name!r} cannot be shadowed as {shadow!r}: {exc}")
            owner[shadow] = name
            self.param_to_shadow[name] = shadow

    def shadows(self) -> dict[str, Tensor]:
        """Parameter name -> its shadow buffer."""
        return {name: getattr(self, shadow) for name, shadow in self.param_to_shadow.items()}

    def _pairs(self, model: nn.Module) -> list[tuple[str, Tensor, Tensor]]:
        """(name, parameter, shadow) for every tracked parameter, after checking the model still matches."""
        pairs: list[tuple[str, Tensor, Tensor]] = []
        seen: set[str] = set()
        for name, param in model.named_parameters():
            shadow_key = self.param_to_shadow.get(name)
            if shadow_key is None:
                if param.requires_grad:
                    raise EMAError(
                        f"parameter {name!r} requires grad but has no EMA shadow: it was frozen or absent when "
                        f"the EMA was created. Create the EMA after the final requires_grad settings."
                    )
                continue
            if not param.requires_grad:
                raise EMAError(
                    f"parameter {name!r} has an EMA shadow but no longer requires grad; freeze parameters "
                    f"before creating the EMA"
                )
            shadow = getattr(self, shadow_key)
            if shadow.shape != param.shape:
                raise EMAError(f"EMA shadow of {name!r} has shape {tuple(shadow.shape)}, the parameter "
                               f"{tuple(param.shape)}")
            if shadow.dtype != param.dtype:
                raise EMAError(
                    f"EMA shadow of {name!r} is {shadow.dtype} but the parameter is {param.dtype} (upstream "
                    f"LitEma then silently stops updating it). Convert the model and the EMA together, "
                    f"e.g. make the EMA a submodule, or create the EMA after the dtype change."
                )
            seen.add(name)
            pairs.append((name, param, shadow))
        missing = sorted(set(self.param_to_shadow) - seen)
        if missing:
            raise EMAError(f"the model lacks {len(missing)} parameter(s) the EMA tracks: {', '.join(missing[:5])}")
        return pairs

    # ------------------------------------------------------------------ update
    def decay_at(self, step: int) -> float:
        """Per-update decay beta for the update at ``step``."""
        raise NotImplementedError

    def _check_step(self, step: int) -> None:
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"step must be an int (optimizer steps taken so far), got {type(step).__name__}")
        if step < 1:
            raise ValueError(f"step counts optimizer steps taken so far and is >= 1 on the first update, got {step}")
        if step <= self.last_step:
            raise EMAError(
                f"update(step={step}) after update(step={self.last_step}): call update once per optimizer step, "
                f"with a step that increases"
            )

    @torch.no_grad()
    def update(self, step: int, model: nn.Module) -> float:
        """shadow <- beta * shadow + (1 - beta) * theta with beta = decay_at(step); returns beta."""
        self._check_step(step)
        beta = self.decay_at(step)
        for _, param, shadow in self._pairs(model):
            shadow.lerp_(param, 1.0 - beta)
        self.num_updates += 1
        self.last_step = step
        return beta

    def forward(self, model: nn.Module) -> float:
        """Upstream's way to step an EMA, ``model_ema(model)`` (``LitEma.forward``): one ``update`` at the
        step after the last one; returns the decay used."""
        return self.update(self.last_step + 1, model)

    # ------------------------------------------------------------------ swapping
    @torch.no_grad()
    def copy_to(self, model: nn.Module) -> None:
        """Write the shadows into the model's trainable parameters."""
        for _, param, shadow in self._pairs(model):
            param.copy_(shadow)

    @torch.no_grad()
    def reset(self, model: nn.Module) -> None:
        """Restart from the model's current weights (SD ``reset_ema``): shadows <- params, counters reset."""
        for _, param, shadow in self._pairs(model):
            shadow.copy_(param)
        self.reset_num_updates()
        self.last_step = 0

    def reset_num_updates(self) -> None:
        """Counter back to its initial value."""
        self.num_updates.zero_()

    def store(self, parameters: Iterable[Tensor]) -> None:
        """Keep clones of ``parameters`` for ``restore`` (order matters)."""
        if self.collected_params is not None:
            raise EMAError("store() called twice without restore(); the first stored weights would be lost")
        self.collected_params = [param.detach().clone() for param in parameters]

    @torch.no_grad()
    def restore(self, parameters: Iterable[Tensor]) -> None:
        """Copy the stored clones back, in the order they were stored."""
        if self.collected_params is None:
            raise EMAError("restore() called without a matching store()")
        params = list(parameters)
        stored, self.collected_params = self.collected_params, None
        if len(params) != len(stored):
            raise EMAError(f"restore() got {len(params)} parameters, store() kept {len(stored)}")
        for param, saved in zip(params, stored):
            if param.shape != saved.shape:
                raise EMAError(f"restore(): shape {tuple(param.shape)} != stored {tuple(saved.shape)} (order changed?)")
            param.copy_(saved)

    def extra_repr(self) -> str:
        return f"tracked={len(self.param_to_shadow)}"


@contextmanager
def ema_scope(model: nn.Module, ema: EMAModule, context: str | None = None) -> Iterator[nn.Module]:
    """Run the body with the EMA weights in ``model``; the original weights come back on exit, always."""
    params = list(model.parameters())
    ema.store(params)
    try:
        ema.copy_to(model)
        if context:
            log.info("%s: switched to EMA weights", context)
        yield model
    finally:
        ema.restore(params)
        if context:
            log.info("%s: restored training weights", context)


class StepEma(EMAModule):
    """An EMA whose decay depends only on the optimizer step (constant, EDM half-life, EDM2 power).

    Shadows are named ``a__b__c`` for parameter ``a.b.c`` (collision-free unlike upstream's dot
    deletion) and ``num_updates`` (int64) counts the updates. The decay of each update comes from
    the spec's pure-Python ``decay_at(step)``, so the module holds no state that decides the decay.
    """

    def _start(self, model: nn.Module) -> None:
        self.register_buffer("num_updates", torch.tensor(0, dtype=torch.int64))
        self.track(model)
