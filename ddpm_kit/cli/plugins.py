"""``ddpm-kit plugins list|show|check``: what each registry holds, where it comes from, and whether it conforms."""

from __future__ import annotations

from typing import Optional

import typer

from ddpm_kit.cli.app import app
from ddpm_kit.cli.errors import UserError

plugins_app = typer.Typer(no_args_is_help=True, help="List and inspect registered components (built-ins and plugins).")
app.add_typer(plugins_app, name="plugins")


def _registry(kind: str):
    from ddpm_kit.registry import REGISTRIES, did_you_mean

    if kind not in REGISTRIES:
        raise UserError(f"unknown component kind {kind!r}{did_you_mean(kind, REGISTRIES)}; "
                        f"kinds: {', '.join(REGISTRIES)}")
    return REGISTRIES[kind]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


@plugins_app.command("list")
def list_components(kind: Optional[str] = typer.Argument(None, help="schedule, loss, weighting, backbone, ema, "
                                                                     "sampler, data or lr_schedule")) -> None:
    """A table of components: name, kind, provider and version, description."""
    from ddpm_kit.registry import REGISTRIES

    registries = [_registry(kind)] if kind else list(REGISTRIES.values())
    rows = [["NAME", "KIND", "PROVIDER", "DESCRIPTION"]]
    problems = []
    for registry in registries:
        for name in registry.names():
            try:
                spec = registry.get(name)
                origin = registry.origin(name)
                rows.append([name, registry.kind, str(origin), spec.summary()])
            except Exception as exc:  # a broken plugin is listed, not fatal
                rows.append([name, registry.kind, "?", "FAILED TO LOAD"])
                problems.append(str(exc))
    for line in _table(rows):
        typer.echo(line)
    for problem in problems:
        typer.echo(f"warning: {problem}", err=True)


@plugins_app.command("show")
def show(kind: str = typer.Argument(..., help="component kind"),
         name: str = typer.Argument(..., help="its name")) -> None:
    """Parameters of one component: type, default, constraints and description."""
    from pydantic_core import PydanticUndefined

    from ddpm_kit.registry import RegistryError

    registry = _registry(kind)
    try:
        spec = registry.get(name)
    except RegistryError as exc:
        raise UserError(str(exc).strip("\"'")) from None
    typer.echo(f"{registry.kind} {name!r} from {registry.origin(name)}")
    typer.echo("")
    for line in (spec.__doc__ or "").strip().splitlines():
        typer.echo("  " + line.strip())
    typer.echo("")
    rows = [["PARAMETER", "TYPE", "DEFAULT", "CONSTRAINTS", "DESCRIPTION"]]
    for field_name, info in spec.model_fields.items():
        if field_name == "name":
            continue
        default = "required" if info.default is PydanticUndefined and info.default_factory is None else (
            repr(info.default_factory()) if info.default_factory is not None else repr(info.default))
        constraints = " ".join(str(m) for m in info.metadata)
        annotation = getattr(info.annotation, "__name__", None) or str(info.annotation).replace("typing.", "")
        rows.append([field_name, annotation, default, constraints, info.description or ""])
    if len(rows) == 1:
        typer.echo("  (no parameters)")
    else:
        for line in _table(rows):
            typer.echo("  " + line)


@plugins_app.command("check")
def check(
    names: Optional[list[str]] = typer.Argument(None, help="component names, KIND:NAME, or plugin distribution names "
                                                           "(default: every installed component)"),
    kind: list[str] = typer.Option([], "--kind", "-k", help="only this kind (repeatable)"),
    examples: int = typer.Option(10, "--examples", min=1, help="hypothesis examples per schedule family"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="list every property, not only failures"),
    strict: bool = typer.Option(False, "--strict", help="a component whose optional dependency is missing fails "
                                                        "(default: SKIP, with the install command)"),
) -> None:
    """Run the conformance suite on installed components; exit 1 when one fails.

    A component whose optional dependency is not installed is reported as SKIP with the command that
    installs it (exit 0); ``--strict`` counts it as a failure.

    Every kind: spec module imports no torch (checked in a fresh interpreter), docs, config round trip.
    Then per kind: schedule invariants (hypothesis), loss shape and gradients, weighting finite at SNR 0
    and inf, backbone shape / determinism / state-dict round trip, EMA decay bounds and state round trip,
    sampler on exact denoisers, data keys and shapes, LR multipliers finite and >= 0.
    """
    import warnings

    from ddpm_kit.registry import RegistryError
    from ddpm_kit.testing.conformance import run_checks, select

    try:
        targets = select(names or [], kind)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    failed = skipped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # components' own warnings (ignored options) are not the question here
        for report in run_checks(targets, max_examples=examples):
            missing = report.ok and report.missing_dependency is not None
            failed += not report.ok or (missing and strict)
            skipped += missing and not strict
            for line in _report_lines(report, verbose, strict):
                typer.echo(line)
    passed = len(targets) - failed - skipped
    typer.echo(f"checked {len(targets)} component(s): {passed} passed, {failed} failed"
               + (f", {skipped} skipped (optional dependency missing)" if skipped else ""))
    if failed:
        raise typer.Exit(1)


def _report_lines(report, verbose: bool, strict: bool = False) -> list[str]:
    """``PASS  kind  name  origin  (N properties, s)`` and, below it, failures, skips (and passes with -v);
    ``SKIP ... missing optional dependency: <install hint>`` (FAIL with ``strict``) when one is missing."""
    counted = [r for r in report.results if r.status != "skip"]
    status = "PASS" if report.ok else "FAIL"
    if report.ok and report.missing_dependency is not None:
        status = "FAIL" if strict else "SKIP"
    head = (f"{status}  {report.kind:<11} {report.name:<24} {report.origin}  "
            f"({len(counted)} properties, {report.seconds:.1f} s)")
    lines = [head]
    if report.missing_dependency is not None:
        lines.append(f"      missing optional dependency: {report.missing_dependency}")
        if not verbose:
            return lines + [f"      FAIL {r.name}: {d}"
                            for r in report.results if r.status == "fail" for d in r.details]
    for result in report.results:
        if result.status == "fail":
            lines += [f"      FAIL {result.name}: {detail}" for detail in result.details]
        elif result.status == "skip":
            lines.append(f"      SKIP {result.name}: {'; '.join(result.details)}")
        elif verbose:
            lines.append(f"      pass {result.name}")
    return lines
