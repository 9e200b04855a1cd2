"""EMA strategies: how the shadow weights follow the trained weights.

Call contract: ``impl(spec, model, *, batch_size=None) -> EMAModule`` (``base_impl``). Every module holds the
shadows as buffers and offers ``update(step, model)`` (once per optimizer step, ``step`` = steps taken so far),
``copy_to``, ``store``/``restore``, ``reset``; ``base_impl.ema_scope`` swaps the EMA weights in for the
duration of a ``with`` block.

Every strategy is a per-update decay ``beta(step)``; one update is

    shadow <- beta * shadow + (1 - beta) * theta

called once per optimizer step with ``step`` = optimizer steps taken so far (1 on the first
call). ``decay_at(step)`` gives beta in pure Python; ``half_life_steps(step)`` gives the
half-life, in optimizer steps, that a constant EMA with that beta would have:
``h = ln(1/2) / ln(beta)``. ``base`` holds the helpers that convert between decays, half-lives in
steps and half-lives in images (for ``ddpm-kit validate``'s summary).

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
