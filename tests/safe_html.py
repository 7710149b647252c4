"""What "safe HTML" means for the sections WordPress prints unescaped, checked the way a browser's
tokenizer reads the markup: only allowed tags and attributes, links only to http(s) and mailto."""

from __future__ import annotations

from html.parser import HTMLParser

ALLOWED = {
    "p": set(),
    "br": set(),
    "hr": set(),
    "h3": set(),
    "h4": set(),
    "h5": set(),
    "h6": set(),
    "ul": set(),
    "ol": {"start"},
    "li": set(),
    "dl": set(),
    "dt": set(),
    "dd": set(),
    "strong": set(),
    "em": set(),
    "b": set(),
    "i": set(),
    "a": {"href", "title", "rel"},
    "code": set(),
    "pre": set(),
    "blockquote": set(),
}


class Tags(HTMLParser):
    """Every tag, attribute and link of an HTML fragment, as a browser's tokenizer sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def assert_safe(html: str) -> None:
    for tag, attrs in Tags(html).tags:
        assert tag in ALLOWED, (tag, html)
        assert set(attrs) <= ALLOWED[tag], (tag, attrs, html)
        href = attrs.get("href")
        if href is not None:
            assert href.lower().startswith(("http://", "https://", "mailto:")), html
