"""Beta schedules. Names are contracts; CompVis names keep their CompVis meaning.

Call contract: ``base_impl.make_betas(spec, T)`` gives the float64 betas [T]; a torch twin ``impl(spec, T)``
returns a 1-D float64 tensor.

| name                | betas                                             | source                              |
|---------------------|---------------------------------------------------|-------------------------------------|
| `linear`            | linear in sqrt(beta)                              | CompVis (diffusers `scaled_linear`) |
| `scaled_linear`     | same as `linear` (diffusers' name)                | diffusers / Stable Diffusion        |
| `sqrt_linear`       | linear in beta                                    | CompVis (diffusers `linear`)        |
| `sqrt`              | sqrt of a linear ramp                             | CompVis                             |
| `cosine`            | alpha_bar = cos^2 with offset `cosine_s`, <= 0.999 | Nichol & Dhariwal 2021 / CompVis   |
| `squaredcos_cap_v2` | the same with s fixed at 0.008                    | diffusers / SD                      |
| `iddpm_linear`      | linear in beta, endpoints scaled by 1000/T        | Nichol & Dhariwal 2021              |
| `sigmoid_alphabar`  | alpha_bar follows a sigmoid in t                  | Jabri et al. 2022 (lucidrains)      |
| `sigmoid_beta`      | beta follows a sigmoid in t                       | diffusers (GeoDiff)                 |
| `given_betas`       | explicit list                                     | CompVis `given_betas`               |

Every schedule but `given_betas` takes `zero_terminal_snr` (Lin et al. 2024). ``reference_betas`` is the
pure-Python float64 formula, what validation checks and ``base_impl.make_betas`` registers. Only
the CompVis schedules that upstream computes with torch (`linear`, `scaled_linear`, `sqrt_linear`, `sqrt`,
`cosine`) keep a torch twin (``impl``), so that their buffers equal CompVis' bitwise.
``check(T)`` reports, in pure Python, the T-dependent problems that validation should refuse.

One module per schedule, named like it; ``base`` holds the shared pure-Python math and base specs. A
config imports only the module of the schedule it names.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
