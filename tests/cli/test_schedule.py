"""``ddpm-kit schedule show|plot``."""

from __future__ import annotations

import math

from PIL import Image


def test_show_prints_the_terminal_numbers(cli):
    code, out, _ = cli("schedule", "show", "linear", "{name: linear, linear_start: 0.00085, linear_end: 0.012}",
                       "-T", "1000")
    assert code == 0
    blocks = out.split("linear (")
    assert "alpha_bar_last       0.000733412" in blocks[0]  # CompVis linear at T=1000, defaults
    assert "linear_start=0.00085" in out and "beta_last            0.012" in out


def test_scaled_linear_is_the_same_schedule_as_compvis_linear(cli):
    _, linear, _ = cli("schedule", "show", "linear")
    _, scaled, _ = cli("schedule", "show", "scaled_linear")
    assert linear.splitlines()[1:] == scaled.splitlines()[1:]


def test_plot_writes_a_png(cli, tmp_path):
    target = tmp_path / "s.png"
    code, out, _ = cli("schedule", "plot", "cosine", "sqrt_linear", "-T", "50", "-o", target)
    assert code == 0 and target.is_file()
    image = Image.open(target)
    assert image.size[0] > image.size[1] > 100
    assert len(image.getcolors(maxcolors=100000) or ()) > 4  # not blank: axes and coloured curves


def test_unknown_schedule_is_a_clean_error(cli):
    code, _, err = cli("schedule", "show", "cosin")
    assert code == 1 and "did you mean 'cosine'" in err and "Traceback" not in err
    code, _, err = cli("schedule", "show", "{name: linear, linear_start: 2}")
    assert code == 1 and "linear_start" in err


def test_numbers_agree_with_the_formula():
    from ddpm_kit.cli.schedule import schedule_numbers
    from ddpm_kit.registry import SCHEDULES

    numbers = schedule_numbers(SCHEDULES.get("sqrt_linear")(), 10)
    betas = [1e-4 + (2e-2 - 1e-4) * i / 9 for i in range(10)]
    alpha_bar = math.prod(1 - b for b in betas)
    assert math.isclose(numbers["alpha_bar_last"], alpha_bar, rel_tol=1e-12)
