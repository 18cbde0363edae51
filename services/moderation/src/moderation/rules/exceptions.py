"""Rule-set errors."""

from beacon_shared.errors import Conflict, InvalidInput, NotFound


class RuleSetNotFound(NotFound):
    code, title = "rule_set_not_found", "Rule set version not found"


class RuleSetNotDraft(Conflict):
    code, title = "rule_set_not_draft", "Only a draft rule set can be changed"


class RuleSetAlreadyActive(Conflict):
    code, title = "rule_set_already_active", "This rule set version is already active"


class BuiltinRuleSet(Conflict):
    code, title = "rule_set_builtin", "The default rules (version 0) cannot be changed"


class UnknownSavedReply(InvalidInput):
    code, title = "unknown_saved_reply", "A rule replies with a saved reply that does not exist"
