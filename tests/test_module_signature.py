"""DDPM's CompVis signature and the model config: the same arguments with the same defaults."""

from __future__ import annotations

import inspect
from typing import get_args

from ddpm_kit import DDPM
from ddpm_kit.config import ModelConfig
from ddpm_kit.config.model import Parameterization
from ddpm_kit.registry import PARAMETERIZATIONS


def test_ddpm_signature_defaults_are_the_model_config_defaults():
    compvis = {name: p.default for name, p in inspect.signature(DDPM.__init__).parameters.items()
               if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and name != "self"}
    assert len(compvis) == 31
    for name, default in compvis.items():
        field = ModelConfig.model_fields[name]
        if name == "unet_config":  # required in a config; None in the signature says "not given"
            assert default is None and field.is_required()
            continue
        expected = field.get_default(call_default_factory=True)
        if isinstance(default, tuple):
            default = list(default)
        assert default == expected and type(default) is type(expected), name


def test_config_parameterizations_are_the_registry_list():
    assert get_args(Parameterization) == PARAMETERIZATIONS
