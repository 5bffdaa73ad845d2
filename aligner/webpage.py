"""A web page as the transcript: what of it a reader sees, at the offsets it has in the file.

``markup_free(page)`` returns a string exactly as long as the page in which every character a
reader does not see is blanked: tags, comments, the doctype, and whatever ``script``, ``style``,
``head`` or ``template`` hold become spaces, and a block element's tags (``<p>``, ``<br>``,
``<li>``, ``<h2>``, ``<tr>``...) become a line break, so paragraphs are lines as in a text file.
Line breaks inside running text are spaces, as a browser shows them (``<pre>`` aside).
Character references stay as written ("l&#39;accident"): they are read where text is compared
or shown (``html.unescape``), and those that are blanks (``&nbsp;``) are blanked.

Keeping the page's length is the map from visible text back to the file: a word found at
offsets ``a:b`` of the blanked string is at ``a:b`` of the HTML file as given, so the JSON's
``char_start``/``char_end`` and the flags' spans point into the page unchanged.

The page is read with Python's own ``html.parser`` (a real tokenizer: attributes holding ``>``,
comments, ``<script>`` bodies with ``</p>`` in strings), never with patterns over the markup.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["looks_like_html", "markup_free", "shown"]

# Elements that end a line where they open or close (HTML's block-level and table elements).
BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "body", "html", "title", "caption",
})
# Elements whose content is never shown as text.
HIDDEN = frozenset({"script", "style", "head", "template", "noscript", "svg", "math"})

# A page, not a text with a stray tag: a document tag, or two block tags at least.  A Markdown or
# plain transcript with one "<br>" in it stays a text file (its line breaks are its lines).
_DOCUMENT = re.compile(r"<!doctype\s+html|<html[\s>]|<body[\s>]", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|li|h[1-6]|section|article|tr|td|br|ul|ol|blockquote)\b[^<>]*>",
                        re.I)


def looks_like_html(text: str) -> bool:
    if _DOCUMENT.search(text[:4096]):
        return True
    return sum(1 for _ in zip(range(2), _BLOCK_TAG.finditer(text))) >= 2


class _Blanker(HTMLParser):
    """Records every piece the tokenizer reads with where it starts; ``markup_free`` blanks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)  # references are events of their own
        self.events: list[tuple[tuple[int, int], str, str]] = []  # ((line, col), kind, tag/ref)

    def _add(self, kind: str, what: str = "") -> None:
        self.events.append((self.getpos(), kind, what))

    def handle_starttag(self, tag, attrs):
        self._add("start", tag)

    def handle_startendtag(self, tag, attrs):
        self._add("startend", tag)

    def handle_endtag(self, tag):
        self._add("end", tag)

    def handle_data(self, data):
        self._add("data")

    def handle_entityref(self, name):
        self._add("ref", f"&{name};")

    def handle_charref(self, name):
        self._add("ref", f"&#{name};")

    def handle_comment(self, data):
        self._add("markup")

    def handle_decl(self, decl):
        self._add("markup")

    def handle_pi(self, data):
        self._add("markup")

    def unknown_decl(self, data):
        self._add("markup")


def _blank(piece: str) -> str:
    return " " * len(piece)


def markup_free(page: str) -> str:
    """``page`` with what a reader does not see blanked, same length (see the module's doc)."""
    parser = _Blanker()
    parser.feed(page)
    parser.close()
    line_starts = [0] + [m.end() for m in re.finditer("\n", page)]
    starts = [line_starts[ln - 1] + col for (ln, col), _, _ in parser.events]
    out: list[str] = []
    hidden: list[str] = []  # open elements whose content is not shown
    pre = 0
    done = 0
    for k, (_, kind, what) in enumerate(parser.events):
        a = starts[k]
        b = starts[k + 1] if k + 1 < len(starts) else len(page)
        if a > done:  # text the parser did not report (should not happen): kept as is
            out.append(page[done:a])
        piece = page[a:b]
        done = b
        if kind in ("start", "startend", "end"):
            if kind == "start" and what in HIDDEN:
                hidden.append(what)
            elif kind == "end" and what in hidden:
                del hidden[len(hidden) - 1 - hidden[::-1].index(what):]
            elif kind == "start" and what == "body" and "head" in hidden:
                hidden.remove("head")  # </head> is optional
            if what == "pre" and not hidden:
                pre = pre + 1 if kind == "start" else max(0, pre - 1)
            # The break goes last, so a line starts at its first visible character.
            out.append(_blank(piece[:-1]) + ("\n" if what in BLOCK else " ") if piece else "")
        elif hidden or kind == "markup":
            out.append(_blank(piece))
        elif kind == "ref":
            out.append(_blank(piece) if html.unescape(piece).isspace() else piece)
        elif pre:
            out.append(piece)
        else:
            out.append(piece.replace("\r", " ").replace("\n", " "))
    out.append(page[done:])
    result = "".join(out)
    assert len(result) == len(page)
    return result


def shown(blanked: str, a: int, b: int) -> str:
    """What a reader sees of the page between offsets ``a`` and ``b``: no markup, references
    read (``blanked`` is ``markup_free(page)``)."""
    piece = blanked[a:b]
    return html.unescape(piece) if "&" in piece else piece
