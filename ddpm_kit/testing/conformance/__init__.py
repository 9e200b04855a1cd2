"""The conformance suite: the guarantees of the built-in components, checked for any registered component.

Plugin authors run it from pytest::

    from ddpm_kit.testing.conformance import check_component

    def test_my_schedule_conforms():
        assert check_component("schedule", "acme.laplace") == []   # or check_component(LaplaceSchedule)

and from the shell: ``ddpm-kit plugins check acme.laplace`` (or the distribution name, or nothing for
everything installed). ``check_component`` returns ``"<property>: <problem>"`` strings, empty when the
component conforms. Properties per kind (``ddpm-kit plugins check -v`` lists them):

* every kind: spec module imports no torch/numpy/Lightning/diffusers (fresh interpreter); docstring and
  field descriptions; ``model_dump`` -> ``model_validate`` round trip and JSON schema; ``impl`` imports;
* schedule: ``ddpm_kit.testing.schedules.check_schedule`` at T = 10, 100, 1000 and
  ``check_schedule_family`` (hypothesis over the field constraints);
* loss: per-sample shape, >= 0, 0 at equality, finite gradients, per-sample independence, shape errors;
* weighting: finite and >= 0 at SNR 0 ... inf for each parameterization, equal to ``weight_reference``;
* backbone: output shape, finite gradients, seeded builds, repeatable and batch-independent eval
  outputs, ``load_state_dict(strict=True)`` round trip;
* ema: the EMA interface, decay in [0, 1], shadows within the range of the weights seen, constant
  weights a fixed point, state-dict round trip (same next update), ``ema_scope`` restores;
* sampler: exact denoisers of a point mass and of N(0, 0.5^2) give the point / the Gaussian, with
  ``num_steps(T)`` network calls and seeded repeatability;
* data: items hold the declared keys, the first the declared shape, float32, layout;
* lr_schedule: finite, >= 0, equal to ``multiplier_reference``, drives ``LambdaLR``.

The instances checked are the spec's defaults, or the mappings in a ``conformance_examples`` ClassVar on
the spec class (callables ``(tmp_dir) -> mapping`` for sources that need files).
"""

from __future__ import annotations

from ddpm_kit.registry import REGISTRIES, Spec
from ddpm_kit.testing.conformance.runner import (
    ComponentReport, PropertyResult, component_report, run_checks, select,
)


def check_component(kind: str | type[Spec], name: str | None = None, *, max_examples: int = 10) -> list[str]:
    """Violations (``"<property>: <problem>"``) of one component; ``[]`` when it conforms.

    ``check_component("schedule", "acme.laplace")`` checks the registered component. A spec class
    (``check_component(LaplaceSchedule)``) is checked under its own kind and name; if that name is not
    registered (a plugin under development, not installed yet) it is registered for the duration.
    """
    if isinstance(kind, str):
        if name is None:
            raise TypeError("check_component(kind, name): give the component's name")
        return component_report(kind, name, max_examples=max_examples).violations
    spec_cls, name = kind, kind.spec_name()
    registry = REGISTRIES[spec_cls.kind]
    if name in registry:
        if registry.get(name) is not spec_cls:
            raise ValueError(f"{spec_cls.kind} {name!r} is registered by another class ({registry.origin(name)})")
        return component_report(spec_cls.kind, name, max_examples=max_examples).violations
    registry.register(spec_cls)
    try:
        return component_report(spec_cls.kind, name, max_examples=max_examples).violations
    finally:
        registry.unregister(name)


__all__ = ["ComponentReport", "PropertyResult", "check_component", "component_report", "run_checks", "select"]
