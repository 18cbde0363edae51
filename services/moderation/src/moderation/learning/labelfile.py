"""Reading a labelled CSV: columns `text` and `label`, every row checked before any is kept.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first label row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from moderation.learning.exceptions import InvalidLabelFile, LabelFileTooLarge

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_TEXT_CHARS = 10_000
MAX_REPORTED_ERRORS = 100

# Accepted spellings, compared casefolded and stripped: the review queue's actions and the usual
# dataset conventions (1/0, true/false, spam/ham, OLID's OFF/NOT).
REMOVE = frozenset({"remove", "hide", "delete", "1", "true", "yes", "spam", "offensive", "off"})
KEEP = frozenset({"keep", "allow", "approve", "0", "false", "no", "ham", "not", "not_offensive"})
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class LabelRow:
    """One labelled text; `row` is its row number in the file."""

    row: int
    text: str
    remove: bool


def parse(data: bytes, *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> list[LabelRow]:
    """Every row of the file, or InvalidLabelFile listing the bad rows, or LabelFileTooLarge."""
    if len(data) > max_bytes:
        raise LabelFileTooLarge(f"The file exceeds {max_bytes} bytes.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise InvalidLabelFile(
            "The file is not UTF-8 text.",
            errors=[_error(row, None, "not_utf8", f"invalid UTF-8 at byte {exc.start}")],
        ) from None
    header_line = content.split("\n", 1)[0]
    delimiter = next((d for d in DELIMITERS if d in header_line), ",")
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InvalidLabelFile(errors=[_error(1, None, "malformed_csv", str(exc))]) from None
    if not header:  # nothing, or a blank first line
        raise InvalidLabelFile(
            "The file is empty.", errors=[_error(1, None, "empty_file", "no header and no rows")]
        )
    columns = [name.strip().casefold() for name in header]
    missing = [name for name in ("text", "label") if name not in columns]
    if missing:
        raise InvalidLabelFile(
            f"The header must name the columns text and label; missing: {', '.join(missing)}.",
            errors=[
                _error(1, name, "missing_column", f"no column named {name!r}") for name in missing
            ],
        )
    text_at, label_at = columns.index("text"), columns.index("label")
    rows: list[LabelRow] = []
    errors: list[dict[str, object]] = []
    number = 1
    try:
        for number, fields in enumerate(reader, start=2):
            if not fields:  # a blank line
                continue
            if len(rows) + len(errors) >= max_rows:
                raise LabelFileTooLarge(f"The file has more than {max_rows} rows.")
            parsed = _row(number, fields, len(columns), text_at, label_at)
            if isinstance(parsed, LabelRow):
                rows.append(parsed)
            else:
                errors.append(parsed)
    except csv.Error as exc:
        errors.append(_error(number + 1, None, "malformed_csv", str(exc)))
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        raise InvalidLabelFile(
            f"{len(errors)} row(s) are not valid; nothing was imported"
            + (f" (the first {len(shown)} are listed)." if len(shown) < len(errors) else "."),
            errors=shown,
        )
    if not rows:
        raise InvalidLabelFile(
            "The file has a header but no rows.",
            errors=[_error(2, None, "empty_file", "no labelled rows after the header")],
        )
    return rows


def _row(
    number: int, fields: list[str], width: int, text_at: int, label_at: int
) -> LabelRow | dict[str, object]:
    if len(fields) != width:
        return _error(
            number,
            None,
            "field_count",
            f"{len(fields)} field(s) where the header has {width}; "
            "quote texts that hold the delimiter",
        )
    text, label = fields[text_at], fields[label_at].strip().casefold()
    if not text.strip():
        return _error(number, "text", "empty_text", "the text is empty")
    if len(text) > MAX_TEXT_CHARS:
        return _error(number, "text", "text_too_long", f"over {MAX_TEXT_CHARS} characters")
    if "\x00" in text:
        return _error(number, "text", "invalid_character", "the text contains U+0000 (NUL)")
    if label in REMOVE:
        return LabelRow(number, text, remove=True)
    if label in KEEP:
        return LabelRow(number, text, remove=False)
    return _error(
        number,
        "label",
        "invalid_label",
        f"{fields[label_at][:40]!r} is not a label; use remove/keep, hide/allow, 1/0, "
        "true/false, spam/ham or offensive/not",
    )


def _error(row: int, column: str | None, kind: str, message: str) -> dict[str, object]:
    error: dict[str, object] = {"row": row, "type": kind, "message": message}
    if column is not None:
        error["column"] = column
    return error
