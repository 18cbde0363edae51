"""Reply errors."""

from beacon_shared.errors import InvalidInput


class NothingToReplyTo(InvalidInput):
    code, title = (
        "nothing_to_reply_to",
        "The conversation has no message of the community to answer",
    )


class PrivateReplyUnsupported(InvalidInput):
    code, title = (
        "private_reply_unsupported",
        "Beacon cannot send a private message on this network",
    )


class MessagingWindowClosed(InvalidInput):
    code, title = "messaging_window_closed", "The network's messaging window has closed"
