"""The closing summary line of a run (no model: a stand-in result)."""
from __future__ import annotations

from types import SimpleNamespace as NS

from aligner.cli import summary_line


def _result(words, kinds):
    return NS(duration=754.2, words=[NS(timed=t, reason=r) for t, r in words],
              mismatches=[NS(kind=k) for k in kinds], unspoken=[(0, 10)],
              timings={"total": 101.4}, device="cpu", compute_type="int8")


def test_summary_says_why_words_are_not_timed_and_counts_flags_by_kind():
    r = _result([(True, None)] * 5 + [(False, "omitted")] * 2 + [(False, "unaligned")],
                ["substitution", "insertion", "substitution"])
    assert summary_line(r) == ("00:12:34.2 of audio, 5/8 words timed (2 omitted, 1 unaligned), "
                               "1 unspoken header span(s), flags: 1 insertion, 2 substitution "
                               "(101 s, cpu/int8)")


def test_summary_of_a_clean_run():
    r = _result([(True, None)] * 3, [])
    assert summary_line(r).startswith("00:12:34.2 of audio, 3/3 words timed, 1 unspoken")
    assert "flags: none" in summary_line(r)
