"""Plain text of the HTML that Mastodon statuses carry."""

from __future__ import annotations

from html.parser import HTMLParser

_BREAKS = {"br", "p"}


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, paragraphs as blank lines."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()
