"""Learning errors."""

from beacon_shared.errors import DomainError, InvalidInput, PayloadTooLarge


class InvalidLabelFile(InvalidInput):
    """The file cannot be imported; `errors` name the rows (header = row 1) and what is wrong."""

    code, title = "invalid_label_file", "The label file is not valid"


class LabelFileTooLarge(PayloadTooLarge):
    code, title = "label_file_too_large", "The label file is too large"


class UnsupportedLabelFileType(DomainError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"
