"""diffusers.unet2d: spec validation without diffusers, the missing-package error, parity with UNet2DModel."""

from __future__ import annotations

import sys

import pytest
import torch
from pydantic import ValidationError

from ddpm_kit.registry import PluginError
from ddpm_kit.testing.conformance.isolation import heavy_imports
from ddpm_kit_diffusers.specs import UNet2DSpec

TINY = UNet2DSpec.conformance_examples[0]


def test_spec_module_imports_neither_torch_nor_diffusers():
    assert heavy_imports(["ddpm_kit_diffusers.specs"]) == {"ddpm_kit_diffusers.specs": []}


@pytest.mark.parametrize("change, message", [
    ({"block_out_channels": (8, 16, 32)}, "one entry per level"),
    ({"norm_num_groups": 3}, "must divide every block_out_channels"),
    ({"sample_size": 9}, r"downsamples by 2, which does not divide H = 9 and W = 9; use H and W divisible by "
                         r"2\*\*\(levels-1\) = 2, or fewer block_out_channels levels"),
    ({"attention_head_dim": 5}, "attention_head_dim=5 must divide"),
    ({"down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D")}, "down_block_types"),
])
def test_inconsistent_specs_are_refused(change, message):
    with pytest.raises(ValidationError, match=message):
        UNet2DSpec(**{**TINY, **change})


def test_missing_diffusers_is_a_warning_at_validation_and_an_error_naming_it_at_build(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # `import diffusers` now fails as if not installed
    found: list = []
    spec = UNet2DSpec.model_validate(TINY, context={"warnings": found})
    assert found and "the diffusers package is not installed" in found[0][1]
    with pytest.raises(PluginError, match="'diffusers.unet2d' .*ddpm-kit-diffusers.* needs the 'diffusers' package, "
                                          "which is not installed: pip install 'ddpm-kit-diffusers\\[diffusers\\]'"):
        spec.load_impl()(spec)


def test_forward_is_unet2dmodel_with_the_labels_as_class_labels():
    diffusers = pytest.importorskip("diffusers")
    spec = UNet2DSpec(**TINY)
    torch.manual_seed(0)
    net = spec.load_impl()(spec).eval()
    reference = diffusers.UNet2DModel(**spec.diffusers_kwargs()).eval()
    reference.load_state_dict({k.removeprefix("unet."): v for k, v in net.state_dict().items()}, strict=True)
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([3, 900]), torch.tensor([0, 2])
    with torch.no_grad():
        torch.testing.assert_close(net(x, t, y=y), reference(x, t, class_labels=y).sample, rtol=0, atol=0)
    with pytest.raises(ValueError, match="class-conditional .* pass y"):
        net(x, t)
    with pytest.raises(ValueError, match="no cross-attention context"):
        net(x, t, context=torch.zeros(2, 3, 4), y=y)


def test_conforms():
    pytest.importorskip("diffusers")
    from ddpm_kit.testing.conformance import check_component

    assert check_component("backbone", "diffusers.unet2d") == []
