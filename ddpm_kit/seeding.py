"""Derived seeds: independent, reproducible random streams from a seed and the place they are drawn (torch-free)."""

from __future__ import annotations

import hashlib


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from ``parts`` (a seed and what the stream is for: a purpose, a rank, counters, an index).

    seed = int_le(blake2b(repr(parts), 8 bytes)) >> 1. The parts' ``repr`` fixes the stream, so equal parts
    give equal draws wherever and whenever they are made, and different parts independent ones.
    """
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1
