"""Per-network content rules: what one post variant must meet before a network will take it."""

from publisher.content.rules import (
    ContentProblem,
    ErrorItem,
    MediaKind,
    check_variant,
)

__all__ = ["ContentProblem", "ErrorItem", "MediaKind", "check_variant"]
