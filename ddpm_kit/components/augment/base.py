"""What the augmentation specs share: the implementation package and the probability field type."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

IMPL_PACKAGE = "ddpm_kit.components.augment"

#: a probability in [0, 1]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
