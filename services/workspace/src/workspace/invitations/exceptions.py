"""Invitation errors."""

from beacon_shared.errors import Conflict, DomainError, Forbidden, NotFound


class InvitationNotFound(NotFound):
    code, title = "invitation_not_found", "Invitation not found"


class InvitationExpired(DomainError):
    status, code, title = 410, "invitation_expired", "This invitation has expired"


class InvitationRevoked(DomainError):
    status, code, title = 410, "invitation_revoked", "This invitation was revoked"


class InvitationUsed(Conflict):
    code, title = "invitation_used", "This invitation was already accepted"


class InvitationForAnotherEmail(Forbidden):
    code, title = "invitation_for_another_email", "This invitation is for another email address"
