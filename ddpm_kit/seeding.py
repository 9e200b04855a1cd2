"""Seeds derived from a tuple of parts (torch-free): one blake2b rule for every per-(seed, ...) stream.

``derive_seed(seed, "augment", step, sample)`` = the first 8 bytes of blake2b(repr(parts)), little-endian,
shifted right by one (a non-negative 63-bit int that ``torch.Generator.manual_seed`` takes). The rule is
``ddpm_kit.diffusion.samplers.common._mix``'s, so ``derive_seed(seed, index) == _mix(seed, index)``.
Draws seeded this way depend on where they happen (the parts), never on what ran before.
"""

from __future__ import annotations

import hashlib


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from ``parts`` (ints and strings): blake2b(repr(parts), 8 bytes) >> 1."""
    digest = hashlib.blake2b(repr(tuple(parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1
