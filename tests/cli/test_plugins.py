"""``ddpm-kit plugins list | show | check``: plugin components with provider and version, the conformance report."""

from __future__ import annotations


def rows(out: str) -> dict[tuple[str, str], str]:
    """(name, kind) -> table row of ``plugins list``."""
    return {tuple(line.split()[:2]): line for line in out.splitlines()[1:]}


def test_list_shows_plugin_components_with_provider_and_version(cli):
    code, out, err = cli("plugins", "list")
    assert code == 0, err
    assert out.splitlines()[0].split() == ["NAME", "KIND", "PROVIDER", "DESCRIPTION"]
    table = rows(out)
    for name, kind, provider in [("extras.laplace", "schedule", "ddpm-kit-extras==0.1.0"),
                                 ("extras.shifted_cosine", "schedule", "ddpm-kit-extras==0.1.0"),
                                 ("extras.soft_min_snr", "weighting", "ddpm-kit-extras==0.1.0"),
                                 ("extras.posthoc_power", "ema", "ddpm-kit-extras==0.1.0"),
                                 ("diffusers.unet2d", "backbone", "ddpm-kit-diffusers==0.1.0")]:
        assert provider in table[(name, kind)]
    assert "builtin==" in table[("cosine", "schedule")]


def test_list_one_kind_and_unknown_kinds(cli):
    code, out, _ = cli("plugins", "list", "weighting")
    assert code == 0 and {kind for _, kind in rows(out)} == {"weighting"}
    code, _, err = cli("plugins", "list", "schedules")
    assert code == 1 and "unknown component kind 'schedules'; did you mean 'schedule'" in err


def test_show_a_plugin_component(cli):
    code, out, err = cli("plugins", "show", "schedule", "extras.laplace")
    assert code == 0, err
    assert out.startswith("schedule 'extras.laplace' from ddpm-kit-extras==0.1.0")
    assert "Hang et al. 2024" in out
    parameters = {line.split()[0] for line in out.splitlines() if line.startswith("  ") and len(line.split()) > 2}
    assert {"mu", "b", "logsnr_min", "logsnr_max", "zero_terminal_snr"} <= parameters


def test_check_selects_by_name_kind_and_distribution(cli):
    code, out, err = cli("plugins", "check", "ddpm-kit-extras", "lr_schedule:constant")
    assert code == 0, out + err
    checked = [line.split()[1:3] for line in out.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert checked == [["schedule", "extras.laplace"], ["schedule", "extras.shifted_cosine"],
                       ["weighting", "extras.soft_min_snr"], ["ema", "extras.posthoc_power"],
                       ["lr_schedule", "constant"]]
    assert out.splitlines()[-1] == "checked 5 component(s): 5 passed, 0 failed"
    code, out, _ = cli("plugins", "check", "constant", "--kind", "ema")
    assert code == 0 and [line.split()[1] for line in out.splitlines() if line.startswith("PASS")] == ["ema"]


def test_check_verbose_lists_every_property(cli):
    code, out, _ = cli("plugins", "check", "-v", "extras.posthoc_power")
    assert code == 0
    listed = [line.split(None, 1)[1] for line in out.splitlines() if line.startswith("      pass ")]
    assert listed == ["loads", "examples validate", "spec is torch-free", "documented", "config round trip",
                      "implementation imports", "EMA interface", "decay bounds", "constant weights are a fixed point",
                      "state round trip", "ema_scope restores the weights"]


def test_check_unknown_names_exit_1_with_a_suggestion(cli):
    code, out, err = cli("plugins", "check", "extras.laplce")
    assert code == 1 and out == ""
    assert err.strip().startswith("error: no component or plugin distribution named 'extras.laplce'; did you "
                                  "mean 'extras.laplace'")
    code, _, err = cli("plugins", "check", "--kind", "schedules")
    assert code == 1 and "unknown component kind 'schedules'" in err
