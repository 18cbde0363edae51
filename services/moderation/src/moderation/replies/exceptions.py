"""Saved reply errors."""

from beacon_shared.errors import Conflict, InvalidInput, NotFound


class SavedReplyNotFound(NotFound):
    code, title = "saved_reply_not_found", "Saved reply not found"


class SavedReplyNameTaken(Conflict):
    code, title = "saved_reply_name_taken", "A saved reply already has this name"


class UnknownReplyVariable(InvalidInput):
    code, title = "unknown_reply_variable", "The reply uses a variable that does not exist"
