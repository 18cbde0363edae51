"""Contact errors."""

from beacon_shared.errors import InvalidInput, NotFound


class ContactNotFound(NotFound):
    code, title = "contact_not_found", "Contact not found"


class ContactMerged(NotFound):
    code, title = "contact_merged", "The contact was merged into another"


class MergeAcrossBrands(InvalidInput):
    code, title = "contacts_of_other_brands", "Only contacts of one brand merge"


class MergeWithItself(InvalidInput):
    code, title = "merge_with_itself", "A contact merges with another contact"
