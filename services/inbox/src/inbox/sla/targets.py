"""What each SLA clock measures: the first answer (no answer yet), the next answer (after one),
and resolving the conversation. A conversation names its running response clock by them."""

from __future__ import annotations

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
