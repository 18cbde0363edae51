"""Conversation errors."""

from beacon_shared.errors import Conflict, Forbidden, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    code, title = "conversation_not_found", "Conversation not found"


class AssigneeNotAllowed(InvalidInput):
    code, title = "assignee_not_allowed", "The assignee may not answer on this brand"


class SnoozeInPast(InvalidInput):
    code, title = "snooze_in_past", "A snooze ends in the future"


class SnoozeWithoutTime(InvalidInput):
    code, title = "snooze_until_required", "A snooze says until when, and only a snooze does"


class PersonRequired(Forbidden):
    code, title = "person_required", "Only a member has conversations of their own"


class UnknownTeam(InvalidInput):
    code, title = "unknown_team", "The organization has no such team"


class TeamExists(Conflict):
    code, title = "team_exists", "The organization has a team of that name"


class TooManyLabels(InvalidInput):
    code, title = "too_many_labels", "A conversation has at most 20 labels"


class NothingToChange(InvalidInput):
    code, title = "nothing_to_change", "A bulk change changes something"
