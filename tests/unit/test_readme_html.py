"""readme.txt markup to the sanitised HTML of the "View details" modal, as wordpress.org renders it."""

from __future__ import annotations

import time

import pytest

from chalicelib.logic.readme_html import (
    MAX_MARKUP_CHARS,
    plain_text,
    render,
    render_changelog,
    render_faq,
)
from tests.safe_html import assert_safe

# readme conventions ---------------------------------------------------------------------------


def test_equals_headings_are_h4_as_on_wordpress_org() -> None:
    assert render("= 2.0.0 =\n* Faster sync.") == "<h4>2.0.0</h4>\n<ul>\n<li>Faster sync.</li>\n</ul>"
    assert render("== Also ==\ntext").startswith("<h4>Also</h4>")
    assert render("= Issue # =") == "<h4>Issue #</h4>"


@pytest.mark.parametrize("markup", ["    = indented code =", "```\n= fenced =\n```", "a = b = c", "==="])
def test_equals_signs_that_are_not_headings_stay_text(markup: str) -> None:
    assert "<h4>" not in render(markup)


def test_top_level_headings_become_h3_inside_a_section() -> None:
    assert render("# Title\n\nSub\n---") == "<h3>Title</h3>\n<h3>Sub</h3>"
    assert render("### Three\n#### Four") == "<h3>Three</h3>\n<h4>Four</h4>"


def test_lists_even_right_under_a_paragraph() -> None:
    assert render("Features:\n* one\n- two") == (
        "<p>Features:</p>\n<ul>\n<li>one</li>\n</ul>\n<ul>\n<li>two</li>\n</ul>"
    )
    assert render("1. Upload.\n2. Activate.") == "<ol>\n<li>Upload.</li>\n<li>Activate.</li>\n</ol>"
    assert render("3. Third.") == '<ol start="3">\n<li>Third.</li>\n</ol>'


def test_emphasis_and_paragraphs() -> None:
    assert render("**bold** and *em* and _em_\nsame paragraph\n\nnext") == (
        "<p><strong>bold</strong> and <em>em</em> and <em>em</em>\nsame paragraph</p>\n<p>next</p>"
    )


def test_markdown_links_and_bare_urls_are_links_with_a_safe_rel() -> None:
    html = render('[Docs](https://igny8.com/docs "The docs"), see https://igny8.com/faq?a=1&b=2.')

    assert html == (
        '<p><a href="https://igny8.com/docs" title="The docs" rel="nofollow noopener noreferrer">Docs</a>, '
        'see <a href="https://igny8.com/faq?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        "https://igny8.com/faq?a=1&amp;b=2</a>.</p>"
    )


def test_bare_urls_in_code_or_inside_links_are_not_linked_again() -> None:
    assert render("`https://x.test/a`") == "<pre><code>https://x.test/a\n</code></pre>"
    assert render("run `curl https://x.test/a` now") == "<p>run <code>curl https://x.test/a</code> now</p>"
    assert render("[https://x.test](https://x.test)").count("<a ") == 1
    assert render('<a href="https://x.test">https://x.test</a>').count("<a ") == 1
    assert render("<https://x.test>").count("<a ") == 1


def test_mailto_links_survive() -> None:
    assert 'href="mailto:help@igny8.com"' in render("[Mail us](mailto:help@igny8.com)")


def test_inline_code_and_the_three_kinds_of_code_block() -> None:
    assert render("Put it in `wp-content/plugins/`.") == "<p>Put it in <code>wp-content/plugins/</code>.</p>"
    # wordpress.org's "code trick": a backtick that starts a line opens a block, over several lines.
    assert render("`\ndefine( 'X', '<b>' );\n$a = 1;\n`") == (
        "<pre><code>define( 'X', '&lt;b&gt;' );\n$a = 1;\n</code></pre>"
    )
    assert render("    $indented = true;") == "<pre><code>$indented = true;\n</code></pre>"
    assert render("```php\necho '<b>';\n```") == "<pre><code>echo '&lt;b&gt;';\n</code></pre>"


def test_a_backtick_span_that_starts_a_line_but_continues_stays_inline() -> None:
    assert render("`wp-config.php` holds it.") == "<p><code>wp-config.php</code> holds it.</p>"


def test_text_is_escaped() -> None:
    assert render('a < b & c > d "q"') == '<p>a &lt; b &amp; c &gt; d "q"</p>'


def test_empty_markup_is_empty_html() -> None:
    assert render("") == render("  \n\n ") == ""


# FAQ ----------------------------------------------------------------------------------------------


def test_faq_questions_are_a_definition_list() -> None:
    html = render_faq(
        "Read this first.\n\n= Where is my **key**? =\nIn the dashboard.\n\n= Does it work offline? =\n* No.\n* Never."
    )

    assert html == (
        "<p>Read this first.</p>\n<dl>\n"
        "<dt><h3>Where is my <strong>key</strong>?</h3></dt>\n<dd><p>In the dashboard.</p>\n</dd>\n"
        "<dt><h3>Does it work offline?</h3></dt>\n<dd><ul>\n<li>No.</li>\n<li>Never.</li>\n</ul>\n</dd>\n"
        "</dl>"
    )


def test_a_faq_without_questions_is_plain_text() -> None:
    assert render_faq("Just **ask** us.") == "<p>Just <strong>ask</strong> us.</p>"


def test_a_hostile_faq_question_is_sanitised() -> None:
    html = render_faq('= <img src=x onerror="alert(1)">Q<script>alert(2)</script> =\nA.')

    assert_safe(html)
    assert "onerror" not in html and "alert" not in html and "<dt><h3>Q</h3></dt>" in html


# changelog ---------------------------------------------------------------------------------------

README_CHANGELOG = "= 2.0.0 =\n* Readme's words on 2.0.0.\n\n= 1.0.0 =\n* First release."


def test_the_release_notes_come_first_under_their_version_and_the_readme_entry_is_not_repeated() -> None:
    html = render_changelog("2.0.0", "**Faster** sync.", README_CHANGELOG)

    assert html == (
        "<h4>2.0.0</h4>\n<p><strong>Faster</strong> sync.</p>\n<h4>1.0.0</h4>\n<ul>\n<li>First release.</li>\n</ul>"
    )


@pytest.mark.parametrize("heading", ["v2.0.0", "2.0.0 - 2024-05-01", "2.0.0 (security)"])
def test_the_readme_entry_of_the_release_is_recognised_in_its_usual_spellings(heading: str) -> None:
    html = render_changelog("2.0.0", "Notes.", f"= {heading} =\n* Old words.\n\n= 1.0.0 =\n* First.")

    assert "Old words" not in html and html.startswith("<h4>2.0.0</h4>\n<p>Notes.</p>")


def test_a_prerelease_entry_is_another_version() -> None:
    html = render_changelog("2.0.0", "Notes.", "= 2.0.0-beta1 =\n* Beta.")

    assert html == "<h4>2.0.0</h4>\n<p>Notes.</p>\n<h4>2.0.0-beta1</h4>\n<ul>\n<li>Beta.</li>\n</ul>"


def test_without_release_notes_the_readme_changelog_is_shown_as_it_is() -> None:
    assert render_changelog("2.0.0", "", README_CHANGELOG) == render(README_CHANGELOG)
    # Ingest keeps the readme's whole changelog as the notes when it has no entry for the version.
    assert render_changelog("3.0.0", README_CHANGELOG, README_CHANGELOG) == render(README_CHANGELOG)


def test_notes_that_carry_their_own_heading_get_no_second_one() -> None:
    html = render_changelog("2.0.0", "= 2.0.0 =\n* Notes.", README_CHANGELOG)

    assert html.count("<h4>2.0.0</h4>") == 1 and "Readme's words" not in html


def test_readme_text_before_its_first_entry_follows_the_release_notes() -> None:
    html = render_changelog("2.0.0", "Notes.", "All notable changes.\n\n= 1.0.0 =\n* First.")

    assert html.index("Notes.") < html.index("All notable changes.") < html.index("First.")


# plain text (upgrade notices) --------------------------------------------------------------------


def test_plain_text_has_no_markup_and_stays_escaped() -> None:
    assert plain_text("**Important:** re-enter\nyour *key* & [save](https://x.test).") == (
        "Important: re-enter your key &amp; save."
    )
    assert plain_text("<script>alert(1)</script>Update <b>now</b>.") == "Update now."


# hostile input -----------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="/wp-admin/plugins.php?action=delete">relative</a>',
    '<a href="//evil.test/x">scheme-relative</a>',
    '<a href="https://ok.test" onclick="alert(1)" style="x" target="_top">x</a>',
    '<p onmouseover="alert(1)">hover</p>',
    "<iframe src=https://evil.test></iframe>",
    "<style>body{display:none}</style>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<form action="https://evil.test"><input name=x></form>',
    "<object data=x></object><embed src=x>",
    "<!-- <script>alert(1)</script> -->",
    "<<script>script>alert(1)<</script>/script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "= <script>alert(1)</script> =",
    "`\n</code></pre><script>alert(1)</script>\n`",
    "![x](https://evil.test/pixel.gif)",
    '<img src="https://evil.test/pixel.gif">',
]


@pytest.mark.parametrize("markup", HOSTILE)
def test_hostile_markup_leaves_only_allowed_tags_attributes_and_links(markup: str) -> None:
    for html in (render(markup), render_faq(f"= Q =\n{markup}"), render_changelog("1.0.0", markup, "")):
        assert_safe(html)
        assert "<script" not in html.lower(), html


def test_script_content_is_dropped_not_shown() -> None:
    assert render("Hi <script>alert(1)</script> there") == "<p>Hi  there</p>"


def test_raw_html_of_allowed_tags_passes_without_attributes() -> None:
    assert render('<p class="x" id="y">Hello <b>you</b></p>') == "<p>Hello <b>you</b></p>"


# size and nesting --------------------------------------------------------------------------------


def test_huge_markup_is_cut_at_a_line_and_marked() -> None:
    html = render("word\n" * MAX_MARKUP_CHARS)

    assert html.endswith("…</p>")
    assert len(html) < MAX_MARKUP_CHARS + 100


@pytest.mark.parametrize(
    "unit", ["![", "[a](", "*a **", ">", "  * x\n", "<div>", "<b>", "`\n", "= x =\n", "http://a."]
)
def test_pathological_markup_renders_quickly(unit: str) -> None:
    markup = unit * (4 * MAX_MARKUP_CHARS // len(unit))
    started = time.perf_counter()

    html = render(markup) + render_faq(markup) + render_changelog("1.0.0", markup, markup)

    assert time.perf_counter() - started < 10
    assert_safe(html)


def test_deep_nesting_does_not_overflow() -> None:
    nested_lists = "\n".join("  " * depth + "* x" for depth in range(2000))
    nested_quotes = ">" * 5000 + " deep"

    assert_safe(render(nested_lists) + render(nested_quotes))
