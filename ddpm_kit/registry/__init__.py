"""Registries of named components (torch-free). See ``kinds`` for the families."""

from ddpm_kit.registry.field import Component
from ddpm_kit.registry.kinds import (
    AUGMENTATIONS, BACKBONES, DATA_SOURCES, EMAS, FEATURE_EXTRACTORS, LOSSES, LR_SCHEDULES, PARAMETERIZATIONS,
    REGISTRIES, SAMPLERS, SCHEDULES, WEIGHTINGS, AugmentSpec, BackboneSpec, DataSpec, EMASpec, FeatureExtractorSpec,
    LossSpec, LRScheduleSpec, SamplerSpec, ScheduleSpec, WeightingSpec, check_parameterization,
)
from ddpm_kit.registry.registry import MissingDependency, Origin, PluginError, Registry, RegistryError, did_you_mean
from ddpm_kit.registry.spec import Spec, SpecWarning, report_warning

__all__ = [
    "AUGMENTATIONS", "AugmentSpec",
    "BACKBONES", "DATA_SOURCES", "EMAS", "FEATURE_EXTRACTORS", "FeatureExtractorSpec", "LOSSES", "LR_SCHEDULES",
    "PARAMETERIZATIONS", "REGISTRIES", "SAMPLERS", "SCHEDULES",
    "WEIGHTINGS", "BackboneSpec", "Component", "DataSpec", "EMASpec", "LRScheduleSpec", "LossSpec", "Origin",
    "MissingDependency", "PluginError", "Registry", "RegistryError", "SamplerSpec", "ScheduleSpec", "Spec",
    "WeightingSpec",
    "check_parameterization", "did_you_mean", "SpecWarning", "report_warning",
]
