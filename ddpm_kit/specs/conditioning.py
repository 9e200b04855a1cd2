"""The conditioning contract of upstream's ``DiffusionWrapper`` (torch-free).

Which condition slots a ``conditioning_key`` consumes and what the backbone then receives
(``conditioning_slots``), and the cross-checks between a backbone spec and a key
(``backbone_conditioning_problems``). Used by the wrapper, the backbone specs and the config rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from ddpm_kit.registry import BackboneSpec, did_you_mean

#: conditioning keys of upstream's DiffusionWrapper (LD + SD)
CONDITIONING_KEYS: tuple[str | None, ...] = (
    None, "concat", "crossattn", "hybrid", "adm", "hybrid-adm", "crossattn-adm",
)


@dataclass(frozen=True)
class ConditioningSlots:
    """What one ``conditioning_key`` consumes (wrapper slots) and hands the backbone.

    ``c_concat``/``c_crossattn``/``c_adm``: the wrapper's forward needs that argument.
    ``context``: the backbone receives ``context=`` (cross-attention); ``labels``: it receives ``y=``.
    """

    key: str | None
    c_concat: bool
    c_crossattn: bool
    c_adm: bool
    context: bool
    labels: bool

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the wrapper arguments this key needs."""
        return tuple(n for n in ("c_concat", "c_crossattn", "c_adm") if getattr(self, n))


_SLOTS = {
    # key: (c_concat, c_crossattn, c_adm, context, labels)   -- upstream DiffusionWrapper.forward
    None: (False, False, False, False, False),
    "concat": (True, False, False, False, False),
    "crossattn": (False, True, False, True, False),
    "hybrid": (True, True, False, True, False),
    "adm": (False, True, False, False, True),  # the class vector travels in the crossattn slot
    "hybrid-adm": (True, True, True, True, True),
    "crossattn-adm": (False, True, True, True, True),
}


def conditioning_slots(conditioning_key: str | None) -> ConditioningSlots:
    """The condition slots of a DiffusionWrapper ``conditioning_key`` (ValueError on unknown keys)."""
    if conditioning_key not in _SLOTS:
        known = [k for k in CONDITIONING_KEYS if k is not None]
        hint = did_you_mean(conditioning_key, known) if isinstance(conditioning_key, str) else ""
        raise ValueError(f"unknown conditioning_key {conditioning_key!r}{hint} (known: None, {', '.join(known)})")
    return ConditioningSlots(conditioning_key, *_SLOTS[conditioning_key])


def backbone_conditioning_problems(
    spec: BackboneSpec,
    conditioning_key: str | None,
    data_channels: int | None = None,
    concat_channels: int | None = None,
) -> list[str]:
    """Mismatches between a backbone and a conditioning key (empty when they fit).

    labels iff ``accepts_labels()`` (``num_classes`` set), context iff ``accepts_context()``
    (``context_dim`` / spatial transformer), and, when the channel counts are given,
    ``in_channels == data_channels + concat_channels`` for concat modes (``== data_channels`` otherwise).
    """
    slots = conditioning_slots(conditioning_key)
    problems = []
    if slots.labels and not spec.accepts_labels():
        problems.append(f"conditioning_key {conditioning_key!r} passes class labels (y) but the {spec.name} "
                        "backbone takes none: set num_classes")
    if spec.accepts_labels() and not slots.labels:
        problems.append(f"the {spec.name} backbone is class-conditional (num_classes is set) but conditioning_key "
                        f"{conditioning_key!r} passes no labels: use 'adm', 'hybrid-adm' or 'crossattn-adm'")
    if slots.context and not spec.accepts_context():
        problems.append(f"conditioning_key {conditioning_key!r} passes cross-attention context but the {spec.name} "
                        "backbone has none: set use_spatial_transformer and context_dim")
    if spec.accepts_context() and not slots.context:
        problems.append(f"the {spec.name} backbone has cross-attention (context_dim) but conditioning_key "
                        f"{conditioning_key!r} passes no context: use 'crossattn', 'hybrid' or an '-adm' variant")
    expected = spec.data_channels()
    if data_channels is not None and expected is not None:
        if slots.c_concat and concat_channels is not None and expected != data_channels + concat_channels:
            problems.append(f"in_channels={expected} but concat conditioning feeds {data_channels} data + "
                            f"{concat_channels} concatenated = {data_channels + concat_channels} channels")
        if not slots.c_concat and expected != data_channels:
            problems.append(f"in_channels={expected} but the data has {data_channels} channels")
    return problems
