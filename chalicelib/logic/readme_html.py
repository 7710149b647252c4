"""readme.txt markup to the HTML WordPress' "View details" modal shows, as wordpress.org renders it.

WordPress prints ``plugins_api`` sections as HTML, unescaped: raw readme text would show as run-on
text with its ``= 1.2.0 =`` and ``**`` marks, and anything a readme smuggles in would run in the
admin's browser. So sections go through the steps wordpress.org's readme parser takes, each done
by a maintained library rather than by hand:

* readme conventions first (``= Heading =`` lines become ``<h4>``, a backtick block that starts a
  line becomes a code block, FAQ questions become a ``<dl>``);
* Markdown with ``markdown-it-py`` (CommonMark). Python-Markdown was measured first: 50 000 ``[``
  took ten minutes there and nested lists overflowed the stack, while markdown-it bounds nesting
  (``maxNesting``) and stays linear on the CommonMark pathological inputs;
* an allow-list sanitiser, ``nh3`` (bindings to Rust's ammonia, shipping wheels): the tags and
  attributes wordpress.org's own ``wp_kses`` list allows, only http(s) and mailto links, no
  relative links, script and style dropped with their content, every other tag reduced to its text.

Bare URLs are linked by a small rule of ours (linkify-it-py, markdown-it's own linkifier, took 44 s
on 90 000 characters of ``http://a.``). Input is cut at ``MAX_MARKUP_CHARS`` so no readme costs
more than about a second, and results are memoised: a warm function renders each text once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core.state_core import StateCore
    from markdown_it.token import Token

#: wordpress.org trims a section to a few thousand words; this is that order of size, and keeps
#: rendering plus sanitising under a second on the worst inputs measured.
MAX_MARKUP_CHARS = 30_000

_ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"}
    | {"strong", "em", "b", "i", "a", "code", "pre", "blockquote"}
)
_ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"}), "ol": frozenset({"start"})}
#: Dropped together with everything inside them (other refused tags keep their text).
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "template", "textarea", "title"}
    | {"noscript", "noembed", "noframes"}
)
_SANITISER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes=frozenset({"http", "https", "mailto"}),
    # A relative link would resolve against the admin page the modal sits in.
    url_relative="deny",
    link_rel="nofollow noopener noreferrer",
)
_TEXT_ONLY = nh3.Cleaner(tags=frozenset(), clean_content_tags=_DROPPED_WITH_CONTENT)

#: ``= Heading =`` (any number of ``=``), at most three spaces in: four make it indented code.
_HEADING = re.compile(r" {0,3}=+[ \t]*(?P<text>[^=\s](?:.*[^=\s])?)[ \t]*=+[ \t]*")
_FENCE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})")
#: wordpress.org's "code trick": a backtick that starts a line opens a code block.
_TICK_OPEN = re.compile(r"(?P<indent> {0,3})`(?!`)")
_TICK_CLOSE = re.compile(r"(?P<code>[^`]*)`[ \t]*")
_BARE_URL = re.compile(r"\bhttps?://[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]*_~]", re.IGNORECASE)


def _link_bare_urls(state: StateCore) -> None:
    """Link ``https://…`` in plain text, outside links and code (code spans are not text tokens)."""
    from markdown_it.common.utils import isLinkClose, isLinkOpen  # noqa: PLC0415 - see _markdown

    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open" or (token.type == "html_inline" and isLinkOpen(token.content)):
                in_link += 1
            elif token.type == "link_close" or (token.type == "html_inline" and isLinkClose(token.content)):
                in_link -= 1
            if token.type == "text" and in_link <= 0 and _BARE_URL.search(token.content):
                children.extend(_split_urls(state, token))
            else:
                children.append(token)
        block.children = children


def _split_urls(state: StateCore, token: Token) -> Iterator[Token]:
    from markdown_it.token import Token  # noqa: PLC0415 - see _markdown

    def text(content: str) -> Token:
        return Token("text", "", 0, content=content, level=token.level)

    start = 0
    for match in _BARE_URL.finditer(token.content):
        href = state.md.normalizeLink(match.group())
        if not state.md.validateLink(href):
            continue
        yield text(token.content[start : match.start()])
        yield Token("link_open", "a", 1, attrs={"href": href}, level=token.level, markup="linkify")
        yield text(state.md.normalizeLinkText(match.group()))
        yield Token("link_close", "a", -1, level=token.level, markup="linkify")
        start = match.end()
    yield text(token.content[start:])


def _demote_top_headings(state: StateCore) -> None:
    """``#``/``===`` headings would be page titles inside the modal: sections start at ``<h3>``."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2"):
            token.tag = "h3"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The renderer, built on first use: only ``info`` renders readme sections, so the public
    function's cold start does not import markdown-it for every other route (README: Cold starts)."""
    from markdown_it import MarkdownIt  # noqa: PLC0415

    markdown = MarkdownIt("commonmark", {"html": True})
    markdown.core.ruler.push("bare_urls", _link_bare_urls)
    markdown.core.ruler.push("demote_top_headings", _demote_top_headings)
    return markdown


def _bounded(markup: str) -> str:
    """At most ``MAX_MARKUP_CHARS``, cut at a line break, marked as cut."""
    markup = markup.replace("\r\n", "\n").replace("\r", "\n")
    if len(markup) <= MAX_MARKUP_CHARS:
        return markup
    cut = markup.rfind("\n", 0, MAX_MARKUP_CHARS)
    return markup[: cut if cut > 0 else MAX_MARKUP_CHARS].rstrip() + "\n\n…"


def _scan(markup: str) -> Iterator[tuple[str | None, str]]:
    """The readme's lines as CommonMark lines, each with its ``= Heading =`` text if it is one.

    Fenced code passes untouched; a backtick block that starts a line and closes at the end of a
    line (the same one or a later one, no backtick in between) becomes a fenced block.
    """
    lines = markup.split("\n")
    index = 0
    fence = ""
    while index < len(lines):
        line = lines[index]
        index += 1
        opening = _FENCE.match(line)
        if fence:
            fence = "" if opening and opening["fence"].startswith(fence) else fence
            yield None, line
            continue
        if opening:
            fence = opening["fence"]
            yield None, line
            continue
        heading = _HEADING.fullmatch(line)
        if heading:
            yield heading["text"], line
            continue
        tick = _TICK_OPEN.match(line)
        block = _tick_block(line[tick.end() :], lines[index:]) if tick else None
        if tick is None or block is None:
            yield None, line
            continue
        indent = tick["indent"]
        yield None, f"{indent}```"
        for code in _trim_blank_ends(block):
            yield None, indent + code
        yield None, f"{indent}```"
        index += len(block) - 1


def _tick_block(first: str, following: list[str]) -> list[str] | None:
    """The code lines of a backtick block whose first line (after the backtick) is ``first``, or
    None when it is an inline code span instead (text follows its closing backtick)."""
    if "`" in first:
        closed = _TICK_CLOSE.fullmatch(first)
        return [closed["code"]] if closed else None
    block = [first]
    for line in following:
        closed = _TICK_CLOSE.fullmatch(line)
        if closed:
            return [*block, closed["code"]]
        if "`" in line:
            return None
        block.append(line)
    return None


def _trim_blank_ends(lines: list[str]) -> list[str]:
    """A backtick block's code without the blank lines its backticks stood on."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _markdown_html(markup: str) -> str:
    """Unsanitised HTML of readme markup: callers sanitise once, over everything they assemble."""
    lines = (
        f"#### {_escape_closing_hashes(heading)}" if heading else line for heading, line in _scan(markup)
    )
    return str(_markdown().render("\n".join(lines)))


def _escape_closing_hashes(text: str) -> str:
    """``= Issue # =`` must keep its ``#``: CommonMark drops a heading's trailing ``#`` run."""
    return text[:-1] + "\\#" if text.endswith("#") else text


def _entries(markup: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first ``= Heading =``, and each heading with the markup under it."""
    preamble: list[str] = []
    entries: list[tuple[str, list[str]]] = []
    for heading, line in _scan(markup):
        if heading is not None:
            entries.append((heading, []))
        else:
            (entries[-1][1] if entries else preamble).append(line)
    return "\n".join(preamble).strip(), [(heading, "\n".join(body).strip()) for heading, body in entries]


@lru_cache(maxsize=256)
def render(markup: str) -> str:
    """One readme section as safe HTML (``""`` for an empty one)."""
    return _SANITISER.clean(_markdown_html(_bounded(markup))).strip()


@lru_cache(maxsize=64)
def render_faq(markup: str) -> str:
    """The FAQ as wordpress.org shows it: each ``= Question =`` a ``<dt>`` and its answer a ``<dd>``
    of one ``<dl>``, after any text that precedes the first question."""
    preamble, entries = _entries(_bounded(markup))
    if not entries:
        return render(markup)
    items = "".join(
        f"<dt><h3>{_markdown().renderInline(question)}</h3></dt>\n<dd>{_markdown_html(answer)}</dd>\n"
        for question, answer in entries
    )
    return _SANITISER.clean(f"{_markdown_html(preamble)}<dl>\n{items}</dl>").strip()


@lru_cache(maxsize=64)
def render_changelog(version: str, release_notes: str, readme_changelog: str) -> str:
    """The changelog section: this release's own notes (given at upload) first, under its version
    unless they carry its heading already, then the readme's changelog without its entry for this
    version, so it is not shown twice.

    Notes equal to the readme's whole changelog are what ingest falls back to when the readme has no
    entry for the version: they are the readme's changelog, shown once and as it is.
    """
    notes = release_notes.strip()
    if not notes or notes == readme_changelog.strip():
        return render(readme_changelog)
    notes_preamble, notes_entries = _entries(notes)
    headed = not notes_preamble and _is_entry_of(notes_entries[0][0], version)
    preamble, entries = _entries(readme_changelog)
    parts = ["" if headed else f"= {version} =", notes, preamble]
    parts += (f"= {heading} =\n{body}" for heading, body in entries if not _is_entry_of(heading, version))
    return render("\n\n".join(part for part in parts if part))


def _is_entry_of(heading: str, version: str) -> bool:
    """``= 1.2.0 =``, ``= v1.2.0 =`` and ``= 1.2.0 - 2024-05-01 =`` head 1.2.0's entry; ``= 1.2.0-beta1 =`` does not."""
    return re.match(rf"[vV]?{re.escape(version)}(?![\w.+-])", heading.strip()) is not None


def plain_text(markup: str) -> str:
    """Markup as one line of text, markup and tags gone, still HTML-escaped: WordPress prints an
    upgrade notice into its pages after only ``strip_tags()``."""
    return " ".join(_TEXT_ONLY.clean(render(markup)).split())
