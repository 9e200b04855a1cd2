"""CompVis' flat schedule arguments folded into the schedule component, before validation.

Upstream passes ``linear_start``, ``linear_end``, ``cosine_s`` and ``given_betas`` beside
``beta_schedule`` and lets each schedule pick what it reads. Here the chosen schedule spec
declares what it reads: an explicitly set flat argument is copied into the spec when the spec
has a field of that name, and reported as a warning when it does not (it would do nothing).
``given_betas`` becomes the ``given_betas`` schedule and conflicts with explicit schedule arguments.
"""

from __future__ import annotations

from typing import Any

from ddpm_kit.config.errors import FieldPath, Issues
from ddpm_kit.config.model import FLAT_SCHEDULE_ARGS
from ddpm_kit.registry import SCHEDULES, PluginError, RegistryError


def normalize_model_section(raw: dict[str, Any], issues: Issues,
                            prefix: str = "model") -> tuple[dict[str, Any], dict[FieldPath, FieldPath]]:
    """Return the section with the schedule folded in, and a map from new paths to the user's paths."""
    section = dict(raw)
    remap: dict[FieldPath, FieldPath] = {}
    given = section.get("given_betas")
    if given is not None:
        given = given.tolist() if hasattr(given, "tolist") else given
        for key in ("beta_schedule", *FLAT_SCHEDULE_ARGS):
            if key in section:
                issues.error(f"{prefix}.{key}", "conflicts with given_betas, which replaces the whole schedule",
                             hint=f"remove {key} or given_betas")
        if isinstance(given, list):
            if "timesteps" in section and section["timesteps"] != len(given):
                issues.error(f"{prefix}.timesteps", f"given_betas has {len(given)} entries, so T = {len(given)}",
                             value=section["timesteps"], hint="remove timesteps or make it match")
            section["timesteps"] = len(given)
        section["beta_schedule"] = {"name": "given_betas", "betas": given}
        del section["given_betas"]
        remap[("beta_schedule", "betas")] = ("given_betas",)
        remap[("beta_schedule",)] = ("given_betas",)
        return section, remap

    schedule = section.get("beta_schedule", "linear")
    if isinstance(schedule, str):
        schedule = {"name": schedule}
    if not (isinstance(schedule, dict) and isinstance(schedule.get("name"), str)):
        return section, remap
    try:
        spec = SCHEDULES.get(schedule["name"])
    except (RegistryError, PluginError):
        return section, remap  # reported by the field's own validation
    schedule = dict(schedule)
    for key in FLAT_SCHEDULE_ARGS:
        if key not in section:
            continue
        if key in spec.model_fields:
            if key in schedule and schedule[key] != section[key]:
                issues.error(f"{prefix}.{key}", f"disagrees with beta_schedule.{key} = {schedule[key]!r}",
                             value=section[key], hint="set it in one place")
                continue
            schedule[key] = section[key]
            remap[("beta_schedule", key)] = (key,)
        else:
            users = [n for n in SCHEDULES.names() if _declares(n, key)]
            issues.warning(f"{prefix}.{key}", f"is ignored by beta_schedule {schedule['name']!r}",
                           value=section[key], hint=f"schedules that read it: {', '.join(users)}" if users else "")
    section["beta_schedule"] = schedule
    return section, remap


def _declares(name: str, key: str) -> bool:
    """Whether the (already importable) schedule ``name`` has a field ``key``; plugins not yet loaded count as no."""
    loaded = SCHEDULES.loaded()
    return name in loaded and key in loaded[name][0].model_fields


def remap_path(path: FieldPath, remap: dict[FieldPath, FieldPath]) -> FieldPath:
    """Translate a path of the normalised section back to the user's wording (longest prefix wins)."""
    for end in range(len(path), 0, -1):
        if path[:end] in remap:
            return remap[path[:end]] + path[end:]
    return path
