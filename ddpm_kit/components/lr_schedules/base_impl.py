"""``impl(spec) -> Callable[[step], multiplier]`` for every learning-rate schedule spec.

The spec's pure-Python ``multiplier_reference`` is the implementation; this wraps it for
``torch.optim.lr_scheduler.LambdaLR`` and adds upstream's ``verbosity_interval`` logging.
The wrapper is a plain function on purpose: ``LambdaLR.state_dict()`` stores the ``__dict__`` of
callable objects (which would pickle the spec into checkpoints) but skips functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ddpm_kit.registry import LRScheduleSpec

log = logging.getLogger(__name__)


def lr_lambda(spec: LRScheduleSpec) -> Callable[[int], float]:
    """A LambdaLR-ready multiplier m(step) = spec.multiplier_reference(step)."""
    interval = int(getattr(spec, "verbosity_interval", 0) or 0)
    reference = spec.multiplier_reference
    if interval <= 0:
        def multiplier(step: int) -> float:
            return reference(step)
    else:
        def multiplier(step: int) -> float:
            value = reference(step)
            if step % interval == 0:
                log.info("%s: step %d, lr multiplier %.6g", spec.name, step, value)
            return value
    multiplier.__qualname__ = f"lr_lambda[{spec.name}]"
    return multiplier
