"""The conditioning contract of upstream's ``DiffusionWrapper`` (torch-free).

Which condition slots a ``conditioning_key`` consumes, what the backbone then receives and which slot
carries the class labels (``conditioning_slots``). Used by the wrapper, the batch conversion and the config
rules (which check a backbone spec against a key).
"""

from __future__ import annotations

from dataclasses import dataclass

from ddpm_kit.registry import did_you_mean

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

    @property
    def label_slot(self) -> str | None:
        """The wrapper argument that carries the class labels (None when the key passes none): upstream's
        ``adm`` passes them in ``c_crossattn`` as a one-tensor list, the ``-adm`` variants as ``c_adm``."""
        if not self.labels:
            return None
        return "c_crossattn" if self.key == "adm" else "c_adm"


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
