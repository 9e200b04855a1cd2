"""Learning-rate schedules: the LambdaLR multiplier m(n) at optimizer step n, one spec module each.

Call contract: ``impl(spec) -> Callable[[step], multiplier]`` (one function for all, ``base_impl.lr_lambda``).

``multiplier_reference(n)`` *is* the implementation (pure Python float64); the torch side wraps it
for ``LambdaLR`` (``ddpm_kit.components.lr_schedules.base_impl``). The ``lambda_*`` schedules reproduce
CompVis ``ldm/lr_scheduler.py`` value for value, including the operation order of each formula,
wherever upstream is defined. Where upstream crashes they are defined instead:

* ``max_decay_steps == warm_up_steps`` / ``cycle_lengths[k] <= warm_up_steps[k]`` (division by
  zero or a warm-up that never ends) are refused by validation;
* beyond the last cycle (upstream: TypeError) the multiplier holds its value at the end of the
  last cycle.
"""
