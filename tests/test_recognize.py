"""Re-hearing speech recognition skipped (aligner/recognize.py), on a fake model: a stretch heard
again whole that still gives next to nothing is heard piece by piece, one stretch of voice
activity at a time."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from aligner import recognize
from aligner.audio import SAMPLE_RATE


class FakeModel:
    """Hears one word a second, except that a piece longer than ``whole_s`` seconds gives only
    its first and last two seconds' words, skipping all between (base on 18 s of read
    sentences heard together)."""

    def __init__(self, whole_s: float):
        self.whole_s = whole_s
        self.calls = []

    def transcribe(self, piece, **kw):
        dur = piece.size / SAMPLE_RATE
        self.calls.append(round(dur, 2))
        ks = [k for k in range(int(dur)) if dur <= self.whole_s or k < 2 or k >= int(dur) - 2]
        words = [SimpleNamespace(word=f" w{k}", start=k + 0.1, end=k + 0.6, probability=0.9)
                 for k in ks]
        return [SimpleNamespace(words=words, end=dur)], None


SPEECH = [(0.0, 4.0), (5.0, 9.0), (10.0, 14.0), (15.0, 19.0), (20.0, 24.0)]


def _heard(model):
    audio = np.zeros(25 * SAMPLE_RATE, np.float32)
    return recognize.recognize(model, audio, "en", speech=SPEECH)


def test_a_stretch_heard_whole_as_nothing_is_heard_piece_by_piece():
    # the whole file (25 s) gives words in 0..2 s and 23..25 s only: 2..23 s is a hole; heard
    # again whole (> 12 s) it gives little; piece by piece, four words for each 4 s stretch
    words = _heard(FakeModel(whole_s=12.0))
    starts = [w.start for w in words]
    assert len(words) >= 4 * 4
    for a, b in SPEECH[1:-1]:
        assert sum(a - 0.5 <= s < b for s in starts) >= 3, (a, b, starts)


def test_a_stretch_heard_well_whole_is_not_cut_up():
    model = FakeModel(whole_s=23.0)  # the hole (22 s with its margins) heard whole: its words
    words = _heard(model)
    assert len(words) >= 15
    assert all(c > 12.0 for c in model.calls)  # never heard piece by piece
