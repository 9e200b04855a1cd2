"""The components: one sub-package per registry kind (component family).

In each family ``<name>.py`` is the spec of component ``<name>`` (pydantic, torch-free) and ``<name>_impl.py``
its torch implementation; ``base.py`` / ``base_impl.py`` hold what the family shares. Every module whose name
does not end in ``_impl`` (and is not under an ``nn`` folder) imports without torch
(tests/components/test_torch_free.py).
"""
