"""Image sizes in configs (torch-free): one int for a square side, or ``[H, W]``.

``ImageSize`` is the field type; ``as_hw`` turns either form into ``(H, W)``, ``size_text`` writes it back
for messages (``32`` or ``24x40``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Side = Annotated[int, Field(ge=1, le=16384)]
#: a square side, or (height, width)
ImageSize = Side | tuple[Side, Side]


def as_hw(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """(H, W) of an image size: ``s`` -> (s, s), ``[h, w]`` -> (h, w)."""
    if isinstance(size, int):
        return (size, size)
    height, width = size
    return (int(height), int(width))


def size_text(size: int | tuple[int, int] | list[int]) -> str:
    """``"32"`` for a square side given as an int, ``"24x40"`` (H x W) otherwise."""
    if isinstance(size, int):
        return str(size)
    height, width = as_hw(size)
    return f"{height}x{width}"
