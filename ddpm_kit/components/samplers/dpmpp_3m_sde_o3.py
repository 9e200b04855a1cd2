"""`dpmpp_3m_sde_o3`: DPM-Solver++(3M) SDE with the third-order second-derivative term."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ddpm_kit.components.samplers.base import IMPL_PACKAGE
from ddpm_kit.components.samplers.sigma import NoiseSamplerSpec


class DPMSolverPP3MSDEO3SamplerSpec(NoiseSamplerSpec):
    """Third-order multistep solver of the reverse SDE in lambda = -log sigma, data prediction D.

    As ``dpmpp_3m_sde`` (k-diffusion's update) except d2 = 2 (d1_0 - d1_1) / (r0 + r1) ~ h^2 D'', the term the
    weight -phi_3 = -(phi_2 / h_eta - 1/2) of the Taylor expansion multiplies: with the exact denoiser of
    Gaussian data the error falls at order 3 (tests/components/samplers/test_convergence.py), where k-diffusion's
    d2 ~ h^2 D'' / 2 leaves order 2. Its numbers therefore differ from k-diffusion's ``sample_dpmpp_3m_sde``.
    Source: Lu et al. 2022, "DPM-Solver++" (exponential integrator, Taylor expansion of D in lambda).
    """

    name: Literal["dpmpp_3m_sde_o3"] = "dpmpp_3m_sde_o3"
    impl: ClassVar[str] = f"{IMPL_PACKAGE}.dpmpp_3m_sde_impl:DPMSolverPP3MSDEO3Sampler"
    steps: int = Field(50, ge=1, description="number of noise levels S (<= T); the default keeps the exact-denoiser "
                                          "conformance within 10% of the data std")
