"""Problems of erasure requests."""

from __future__ import annotations

from beacon_shared.errors import NotFound


class ErasureNotFound(NotFound):
    code, title = "erasure_not_found", "Erasure request not found"
