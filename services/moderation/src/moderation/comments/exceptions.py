"""Comment errors."""

from beacon_shared.errors import NotFound


class CommentNotFound(NotFound):
    code, title = "comment_not_found", "Comment not found"
