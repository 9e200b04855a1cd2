"""``ddpm-kit plugins check`` and ``check_component``: every installed component passes, broken ones are named."""

from __future__ import annotations

import pytest

from ddpm_kit.registry import REGISTRIES, ScheduleSpec
from ddpm_kit.testing.conformance import check_component, component_report, run_checks, select
from tests.plugins.broken_specs import BROKEN
from tests.plugins.fixture_plugins import BROKEN_SCHEDULE_IMPL, BROKEN_SCHEDULE_SPECS

PLUGIN_COMPONENTS = {("schedule", "extras.laplace"), ("schedule", "extras.shifted_cosine"),
                     ("weighting", "extras.soft_min_snr"), ("ema", "extras.posthoc_power"),
                     ("backbone", "diffusers.unet2d")}


def test_every_installed_component_conforms():
    """All built-ins of every kind and both plugin packages (diffusers.unet2d only where diffusers is installed)."""
    import importlib.util

    targets = select([])
    assert PLUGIN_COMPONENTS <= set(targets)
    if importlib.util.find_spec("diffusers") is None:
        targets.remove(("backbone", "diffusers.unet2d"))
    assert {kind for kind, _ in targets} == set(REGISTRIES)
    failures = {f"{r.kind}:{r.name}": r.violations for r in run_checks(targets, max_examples=5) if not r.ok}
    assert failures == {}


def test_broken_schedule_plugin_fails_naming_component_and_property(site, cli):
    site.add("acme-broken-schedule", "0.3", {"acme_broken_schedule/__init__.py": "",
                                             "acme_broken_schedule/specs.py": BROKEN_SCHEDULE_SPECS,
                                             "acme_broken_schedule/impl.py": BROKEN_SCHEDULE_IMPL},
             {"ddpm_kit.schedules": {"acme.offset": "acme_broken_schedule.specs:OffsetSchedule"}})
    code, out, err = cli("plugins", "check", "acme-broken-schedule", "linear")
    assert code == 1, out + err
    lines = out.splitlines()
    assert lines[0].startswith("FAIL  schedule    acme.offset") and "acme-broken-schedule==0.3" in lines[0]
    assert "FAIL schedule invariants (hypothesis): OffsetSchedule(" in out
    assert "reference_betas and the torch betas differ" in out
    assert "FAIL schedule invariants:" not in out  # the defaults are right: only the property test sees it
    assert any(line.startswith("PASS  schedule    linear") for line in lines)
    assert lines[-1] == "checked 2 component(s): 1 passed, 1 failed"
    violations = check_component("schedule", "acme.offset")
    assert violations and all(v.startswith("schedule invariants (hypothesis): ") for v in violations)


@pytest.mark.parametrize("spec_cls", list(BROKEN), ids=lambda c: c.spec_name())
def test_each_kind_names_the_violated_property(spec_cls):
    registry = REGISTRIES[spec_cls.kind]
    registry.register(spec_cls)
    try:
        report = component_report(spec_cls.kind, spec_cls.spec_name())
    finally:
        registry.unregister(spec_cls.spec_name())
    status = {r.name: r.status for r in report.results}
    assert status[BROKEN[spec_cls]] == "fail", report.violations
    assert status["spec is torch-free"] == status["documented"] == "pass"
    assert status["implementation imports"] == ("pass" if spec_cls.needs_impl else "skip")


def test_helper_checks_an_uninstalled_spec_class_and_leaves_the_registry_as_it_was():
    from typing import ClassVar, Literal

    from pydantic import Field

    class SqrtLinearDev(ScheduleSpec):
        """Betas linear in beta from linear_start to linear_end (a plugin under development, not installed)."""

        name: Literal["dev.linear"] = "dev.linear"
        impl: ClassVar[str] = "ddpm_kit.components.schedules.sqrt_linear_impl:sqrt_linear_betas"
        linear_start: float = Field(1e-4, ge=1e-5, le=1e-3, description="first beta")
        linear_end: float = Field(2e-2, ge=1e-2, le=3e-2, description="last beta")

        def reference_betas(self, timesteps):
            step = (self.linear_end - self.linear_start) / (timesteps - 1)
            return [self.linear_start + i * step for i in range(timesteps)]

    assert check_component(SqrtLinearDev) == []
    assert "dev.linear" not in REGISTRIES["schedule"]

    class Impostor(SqrtLinearDev):
        """Another class under a registered name."""

        name: Literal["linear"] = "linear"  # type: ignore[assignment]

    with pytest.raises(ValueError, match="'linear' is registered by another class \\(builtin"):
        check_component(Impostor)
    with pytest.raises(TypeError, match="give the component's name"):
        check_component("schedule")
