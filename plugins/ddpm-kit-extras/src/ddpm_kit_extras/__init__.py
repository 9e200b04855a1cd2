"""ddpm-kit-extras: components ddpm-kit does not ship, registered through entry points.

| name                    | kind      | spec module                  |
|-------------------------|-----------|------------------------------|
| `extras.laplace`        | schedule  | ``ddpm_kit_extras.schedules``  |
| `extras.shifted_cosine` | schedule  | ``ddpm_kit_extras.schedules``  |
| `extras.soft_min_snr`   | weighting | ``ddpm_kit_extras.weightings`` |
| `extras.posthoc_power`  | ema       | ``ddpm_kit_extras.ema``        |

Importing this package (or any spec module) does not import torch; the implementations live in
``ddpm_kit_extras.impl`` and are imported by ddpm-kit only when a component is built.
"""

__version__ = "0.1.0"
