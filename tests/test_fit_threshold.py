"""bench/fit_verdict.py's choice of the default --min-confidence from held-out counts."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.fit_verdict import THRESHOLDS, choose_threshold  # noqa: E402


def _counts(wrong_clean_at: dict[float, int], found_at: dict[float, int]) -> dict:
    """One recording: 20 written-in errors, 10 min of clean speech, no wrong flag on edits."""
    out = {}
    for thr in THRESHOLDS:
        clean = next((n for t, n in sorted(wrong_clean_at.items(), reverse=True) if thr >= t), 0)
        found = next((n for t, n in sorted(found_at.items(), reverse=True) if thr >= t), 20)
        out[("a", thr)] = {"found": found, "total": 20, "right": found, "wrong": 0,
                           "clean_wrong": clean, "clean_minutes": 10.0}
    return out


def test_the_lowest_bar_that_keeps_clean_transcripts_quiet_and_finds_nine_in_ten():
    # 3 wrong flags on the clean transcript up to 0.55, 1 from 0.6; recall 19/20 until 0.75
    counts = _counts({0.3: 3, 0.6: 1}, {0.3: 19, 0.75: 17})
    assert choose_threshold(counts, ["a"]) == 0.6


def test_no_bar_meets_every_bar_falls_back_to_more_likely_than_not():
    counts = _counts({0.3: 3, 0.6: 2, 0.8: 0}, {0.3: 19, 0.7: 16})  # quiet only where recall is lost
    assert choose_threshold(counts, ["a"]) == 0.5
