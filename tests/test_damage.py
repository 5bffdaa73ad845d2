"""Damaged audio in the results: words in a lost stretch untimed, no flag on them."""
from __future__ import annotations

from aligner.audio import Damage
from aligner.damage import mark, warnings_for
from aligner.types import Mismatch, TimedWord, Token


def _word(i, start, end, reason=None):
    tok = Token(i, f"w{i}", i * 3, i * 3 + 2, f"w{i}", "A", 0, False)
    return TimedWord(tok, start, end, 0.9 if start is not None else 0.0, reason=reason)


def _flag(start, end, cs, ce):
    return Mismatch("substitution", "word", start, end, cs, ce, "x", "y", 0.9)


def test_words_in_and_beside_the_damage_lose_their_times_and_flags():
    words = [_word(0, 1.0, 1.4), _word(1, 1.5, 2.1), _word(2, None, None, "omitted"),
             _word(3, 2.6, 3.0), _word(4, 5.0, 5.5)]
    flags = [_flag(1.5, 2.1, 3, 5), _flag(5.0, 5.5, 12, 14), _flag(None, None, 6, 8)]
    words, kept = mark(words, flags, (Damage(2.0, 2.5),))
    assert [w.reason for w in words] == [None, "damaged-audio", "damaged-audio", None, None]
    assert words[1].start is None and words[1].end is None and words[1].confidence == 0.0
    assert [f.char_start for f in kept] == [12]


def test_nothing_changes_without_damage_and_warnings_say_where():
    words = [_word(0, 1.0, 1.4)]
    assert mark(words, [], ()) == (words, [])
    (w,) = warnings_for((Damage(7.6, 8.14),), "", 15.2)
    assert w.kind == "damaged-audio" and "0.54 s" in w.message and "0:07.60" in w.message
    assert warnings_for((), "end of file", 3.0)[0].kind == "truncated-audio"
