"""Request dependencies of the rule-set API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

Version = Annotated[
    int, Path(ge=0, le=2**31 - 1, description="1, 2, … per brand; 0 is the default rules.")
]
