"""Interaction errors."""

from beacon_shared.errors import NotFound


class InteractionNotFound(NotFound):
    code, title = "interaction_not_found", "Interaction not found"


class ConversationNotFound(NotFound):
    code, title = "conversation_not_found", "Conversation not found"
