"""``ddpm-kit plugins list|show``: what each registry holds and where it comes from."""

from __future__ import annotations

from typing import Optional

import typer

from ddpm_kit.cli.app import UserError, app

plugins_app = typer.Typer(no_args_is_help=True, help="List and inspect registered components (built-ins and plugins).")
app.add_typer(plugins_app, name="plugins")


def _registry(kind: str):
    from ddpm_kit.registry import REGISTRIES, did_you_mean

    if kind not in REGISTRIES:
        raise UserError(f"unknown component kind {kind!r}{did_you_mean(kind, REGISTRIES)}; kinds: {', '.join(REGISTRIES)}")
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
def show(kind: str = typer.Argument(..., help="component kind"), name: str = typer.Argument(..., help="its name")) -> None:
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
