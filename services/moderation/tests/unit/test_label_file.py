"""Reading labelled CSVs: accepted spellings, row numbers of bad rows, limits."""

from __future__ import annotations

import pytest

from moderation.learning.exceptions import InvalidLabelFile, LabelFileTooLarge
from moderation.learning.labelfile import LabelRow, parse


def csv_of(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


class TestLabelFile:
    @pytest.mark.parametrize(
        ("label", "remove"),
        [
            ("remove", True),
            ("keep", False),
            ("HIDE", True),
            ("allow", False),
            ("delete", True),
            ("approve", False),
            ("1", True),
            ("0", False),
            ("true", True),
            ("False", False),
            ("spam", True),
            ("ham", False),
            ("offensive", True),
            ("OFF", True),
            ("NOT", False),
            (" keep ", False),
        ],
    )
    def test_every_documented_spelling_reads_as_its_label(self, label, remove):
        assert parse(csv_of("text,label", f"hello,{label}")) == [LabelRow(2, "hello", remove)]

    def test_other_columns_are_ignored_and_columns_found_by_name(self):
        rows = parse(csv_of('"id","Label","TEXT","lang"', '7,1,"a, quoted text",en'))

        assert rows == [LabelRow(2, "a, quoted text", True)]

    def test_semicolons_and_a_byte_order_mark_are_understood(self):
        rows = parse(b"\xef\xbb\xbftext;label\r\nbonjour;keep\r\n")

        assert rows == [LabelRow(2, "bonjour", False)]

    def test_bad_rows_are_all_reported_with_their_row_numbers(self):
        data = csv_of("text,label", "fine,keep", "x,maybe", "ok,0", ",1", "too,many,fields")

        with pytest.raises(InvalidLabelFile) as raised:
            parse(data)

        errors = raised.value.errors
        assert [(e["row"], e["type"]) for e in errors] == [
            (3, "invalid_label"),
            (5, "empty_text"),
            (6, "field_count"),
        ]
        assert errors[0]["column"] == "label"
        assert "'maybe'" in str(errors[0]["message"])

    def test_rows_are_counted_as_records_not_lines(self):
        data = csv_of("text,label", '"two\nlines",keep', "x,nope")

        with pytest.raises(InvalidLabelFile) as raised:
            parse(data)

        assert raised.value.errors[0]["row"] == 3

    @pytest.mark.parametrize(
        ("header", "missing"), [("text", ["label"]), ("id,body", ["text", "label"])]
    )
    def test_a_missing_column_is_named(self, header, missing):
        with pytest.raises(InvalidLabelFile) as raised:
            parse(csv_of(header, "x"))

        assert [(e["row"], e["column"], e["type"]) for e in raised.value.errors] == [
            (1, name, "missing_column") for name in missing
        ]

    @pytest.mark.parametrize("data", [b"", b"\n", csv_of("text,label"), csv_of("text,label", "")])
    def test_a_file_without_rows_is_refused(self, data):
        with pytest.raises(InvalidLabelFile) as raised:
            parse(data)

        assert raised.value.errors[0]["type"] == "empty_file"

    def test_more_rows_than_the_limit_is_too_large(self):
        with pytest.raises(LabelFileTooLarge):
            parse(csv_of("text,label", *["x,1"] * 11), max_rows=10)

    def test_the_row_limit_itself_is_accepted(self):
        assert len(parse(csv_of("text,label", *["x,1"] * 10), max_rows=10)) == 10

    def test_more_bytes_than_the_limit_is_too_large(self):
        with pytest.raises(LabelFileTooLarge):
            parse(csv_of("text,label", "x" * 100 + ",1"), max_bytes=50)

    def test_text_that_is_not_utf8_is_refused_with_its_row(self):
        with pytest.raises(InvalidLabelFile) as raised:
            parse(b"text,label\nok,1\ncaf\xe9,0\n")

        assert raised.value.errors[0]["type"] == "not_utf8"
        assert raised.value.errors[0]["row"] == 3

    def test_a_nul_character_is_a_row_error(self):
        with pytest.raises(InvalidLabelFile) as raised:
            parse(csv_of("text,label", "a\x00b,1"))

        assert raised.value.errors[0]["type"] == "invalid_character"
