"""Find the parts of a published transcript that are not meant to be said.

Transcripts made by editors and transcription services carry marks no one speaks: time stamps
("[00:12:34]", "Speaker 1  0:03", "(01:02)"), sound notes ("[Musique]", "(rires)", "[inaudible]"),
editorial insertions ("il [le ministre] a dit") and, when a subtitle file or a web page is
published as the transcript, its cue numbers, timing lines and markup.  Aligned as words they
would be reported as text never said, on every line.  ``mask`` blanks them out (same length, so
every offset still indexes the original text); the transcript parser finds labels and words in
what remains.
"""
from __future__ import annotations

import html
import re

from .normalize import _strip_accents

# 1:02, 01:02:03, 00:00:01,000, 0:03.5 — but not a ratio or a score written "3:2".
TIMESTAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"

# Notes in square or curly brackets are always editorial: they are never read aloud.
_BRACKETED = re.compile(r"\[[^\[\]\r\n]{0,80}\]|\{[^{}\r\n]{0,80}\}")
_PAREN_TIME = re.compile(r"\(\s*" + TIMESTAMP + r"\s*\)")
_PAREN = re.compile(r"\(([^()\r\n]{1,40})\)")
# A time stamp or range opening a line ("00:12:34 Aude Durand : ...", "0:03 - text",
# "00:01:02 - 00:01:30 text").
_LINE_START_TIME = re.compile(r"(?m)^[ \t]*(" + TIMESTAMP + r"(?:[ \t]*[-–—][ \t]*" + TIMESTAMP
                              + r")?)(?=[ \t]|$)")
# A subtitle cue's timing line, and the header of a WebVTT file.
_CUE_TIMING = re.compile(r"(?m)^[ \t]*" + TIMESTAMP + r"[ \t]*-->[ \t]*" + TIMESTAMP + r"[^\r\n]*$")
_CUE_NUMBER = re.compile(r"(?m)^[ \t]*\d+[ \t]*(?=\r?\n[ \t]*" + TIMESTAMP + r"[ \t]*-->)")
_WEBVTT = re.compile(r"\AWEBVTT[^\r\n]*$", re.M)
# Markup: WebVTT cue tags (<v Aude Durand>, </v>, <i>, <c.loud>, <00:00:01.500>) and the HTML of
# a transcript page (<p>, <b>, <br/>).  A WebVTT voice tag also names the speaker (VOICE below).
_TAG = re.compile(r"</?[A-Za-z][^<>\r\n]{0,60}>|<" + TIMESTAMP + r">")
VOICE = re.compile(r"[ \t]*<v(?:\.[\w.-]+)?[ \t]+(?P<name>[^<>\r\n]{1,40})>")
# A speaker's name alone on a line with the time the turn starts ("Speaker 1  0:03", as some
# transcription services export): a label without a colon, the turn's text on the next lines.
# Not masked here: the parser decides whether such a line is a label (then it holds no words).
TIMED_NAME = re.compile(r"(?m)^[ \t]*(?P<name>[^\W\d_][^\r\n:]{0,39}?)[ \t]+\(?(?P<time>"
                        + TIMESTAMP + r")\)?[ \t]*$")

# Sound notes written in parentheses, folded (lower case, no accents).  Parentheses also hold
# spoken asides ("(enfin, je crois)"), so only these words make a parenthesis a note.
SOUND_NOTES = frozenset({
    "rire", "rires", "rit", "sourire", "sourires", "laugh", "laughs", "laughter", "laughing",
    "applaudissements", "applause", "musique", "music", "jingle", "generique", "inaudible",
    "incomprehensible", "inintelligible", "unintelligible", "indistinct", "crosstalk", "silence",
    "pause", "soupir", "soupire", "sighs", "sigh", "toux", "tousse", "cough", "coughs", "bruit",
    "bruits", "noise", "chevauchement", "brouhaha", "sic", "publicite", "advertisement",
    "coupure", "intro", "outro",
})
_NOTE_MAX_WORDS = 4


def _is_sound_note(inner: str) -> bool:
    words = re.findall(r"\w+", _strip_accents(inner.lower()))
    return 0 < len(words) <= _NOTE_MAX_WORDS and any(w in SOUND_NOTES for w in words)


def spans(text: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` that are not meant to be said, sorted, possibly touching."""
    out: list[tuple[int, int]] = []
    for rx in (_BRACKETED, _PAREN_TIME, _CUE_TIMING, _CUE_NUMBER, _WEBVTT, _TAG):
        out += [m.span() for m in rx.finditer(text)]
    out += [m.span(1) for m in _LINE_START_TIME.finditer(text)]
    out += [m.span() for m in _PAREN.finditer(text) if _is_sound_note(m.group(1))]
    return sorted(out)


def mask(text: str) -> str:
    """``text`` with what is not meant to be said replaced by spaces (newlines kept), so that
    ``mask(text)[i]`` is ``text[i]`` or a space for every ``i``."""
    chars = list(text)
    for a, b in spans(text):
        for i in range(a, b):
            if chars[i] not in "\r\n":
                chars[i] = " "
    return "".join(chars)


def strip_markup(text: str) -> str:
    """``text`` without markup tags and with character references read: what a subtitle shows
    of a published word from a web page ("beaucoup</i>," -> "beaucoup,", "l&#39;accident" ->
    "l'accident")."""
    text = _TAG.sub("", text)
    return html.unescape(text) if "&" in text else text


def shown_text(text: str) -> str:
    """A published word as subtitles and text outputs show it: markup-free, on one line."""
    return " ".join(strip_markup(text).split())
