"""Mastodon's HTML statuses become plain text."""

from __future__ import annotations

from ingest.pollers.html_text import html_to_text


def test_tags_are_dropped_and_entities_decoded():
    html = '<p>Hi <a href="https://x.example/@brand" class="u-url mention">@<span>brand</span></a>'
    html += " &lt;3 &amp; 🎉 שלום</p>"
    assert html_to_text(html) == "Hi @brand <3 & 🎉 שלום"


def test_paragraphs_and_line_breaks_are_kept_as_newlines():
    assert html_to_text("<p>one</p><p>two<br>three</p>") == "one\n\ntwo\nthree"


def test_empty_content_is_empty_text():
    assert html_to_text("") == ""
