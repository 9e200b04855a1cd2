"""EMA strategy specs (torch-free), one module each: how the shadow weights follow the trained weights.

Every strategy is a per-update decay ``beta(step)``; one update is

    shadow <- beta * shadow + (1 - beta) * theta

called once per optimizer step with ``step`` = optimizer steps taken so far (1 on the first
call). ``decay_at(step)`` gives beta in pure Python; ``half_life_steps(step)`` gives the
half-life, in optimizer steps, that a constant EMA with that beta would have:
``h = ln(1/2) / ln(beta)``. ``base`` holds the helpers that convert between decays, half-lives in
steps and half-lives in images (for ``ddpm-kit validate``'s summary).
"""
