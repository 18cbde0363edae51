"""Review queue errors."""

from beacon_shared.errors import Conflict, Forbidden, InvalidInput, NotFound


class ReviewItemNotFound(NotFound):
    code, title = "review_item_not_found", "Review item not found"


class ReviewItemClaimed(Conflict):
    code, title = "review_item_claimed", "Someone else has claimed this item"


class ReviewItemResolved(Conflict):
    code, title = "review_item_resolved", "This item is already resolved"


class ReplyMissing(InvalidInput):
    code, title = "reply_missing", "A reply needs reply_text or saved_reply_id"


class AssigneeNotAllowed(InvalidInput):
    code, title = "assignee_not_allowed", "The assignee may not moderate this brand"


class PersonRequired(Forbidden):
    code, title = "person_required", "Only a member has review items of their own"
