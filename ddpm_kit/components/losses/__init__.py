"""Element-wise losses.

Call contract: ``impl(spec)`` returns ``(prediction, target) -> Tensor[B]``.

A loss gives one number per sample: the element-wise error averaged over every non-batch axis (CompVis
``get_loss(..., mean=False).mean([1, 2, 3])``, here for any rank); the shared shape check and
reduction are in ``base_impl``.

Layout: ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free: what config and
``validate`` import); ``<name>_impl.py`` is its torch implementation, where the spec's ``impl`` points.
"""
