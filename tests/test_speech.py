"""Unit tests of snapping word spans to speech regions (aligner/speech.snap_words): no audio."""
from __future__ import annotations

import numpy as np
import pytest

from aligner.speech import MIN_TRIM_S, snap_words


def _snap(spans, texts, intervals, new_turn=None):
    return snap_words(spans, texts, new_turn or [False] * len(spans), intervals)


def test_word_after_sentence_end_moves_after_pause_and_previous_gets_tail_back():
    # "fin." ends at 1.0 but its speech runs to 1.2; "Bonjour" spans the pause 1.2-2.0.
    out = _snap([(0.0, 1.0), (1.0, 2.5)], ["fin.", "Bonjour"], [(0.0, 1.2), (2.0, 3.0)])
    assert out == [(0.0, 1.2), (2.0, 2.5)]


def test_word_after_new_turn_moves_after_pause():
    out = _snap([(0.0, 1.0), (1.0, 2.5)], ["merci", "Bonjour"], [(0.0, 1.2), (2.0, 3.0)],
                new_turn=[False, True])
    assert out == [(0.0, 1.2), (2.0, 2.5)]


def test_previous_word_not_touching_keeps_its_end():
    # a 0.1 s hole between the two spans: the previous word does not touch, it is not extended
    out = _snap([(0.0, 0.9), (1.0, 2.5)], ["fin.", "Bonjour"], [(0.0, 1.2), (2.0, 3.0)])
    assert out == [(0.0, 0.9), (2.0, 2.5)]


def test_word_ending_with_comma_stays_before_pause():
    out = _snap([(0.0, 1.5), (1.5, 2.0)], ["Bonjour,", "Alice"], [(0.0, 0.8), (1.2, 3.0)])
    assert out[0] == (0.0, 0.8)
    assert out[1] == (1.2, 2.0)  # the next word gets the speech after the pause


def test_piece_given_up_before_pause_goes_to_next_word():
    out = _snap([(0.0, 1.5), (1.5, 2.0)], ["Bonjour,", "Alice"], [(0.0, 0.8), (1.2, 3.0)])
    assert out == [(0.0, 0.8), (1.2, 2.0)]


def test_no_speech_overlap_unchanged():
    spans = [(0.5, 1.0), (1.0, 1.5), (1.5, 2.2)]
    assert _snap(spans, ["a", "b.", "c"], [(3.0, 4.0)]) == spans
    assert _snap(spans, ["a", "b.", "c"], []) == spans


def test_inside_continuous_speech_unchanged():
    spans = [(0.5, 1.0), (1.0, 1.5), (1.5, 2.2)]
    assert _snap(spans, ["un", "deux.", "trois"], [(0.0, 5.0)]) == spans


def test_trims_leading_and_trailing_silence_over_min():
    assert MIN_TRIM_S == pytest.approx(0.04)
    assert _snap([(0.9, 1.5)], ["mot"], [(1.0, 2.0)]) == [(1.0, 1.5)]
    assert _snap([(1.2, 2.5)], ["mot"], [(1.0, 2.0)]) == [(1.2, 2.0)]
    assert _snap([(0.9, 2.5)], ["mot"], [(1.0, 2.0)]) == [(1.0, 2.0)]


def test_keeps_silence_under_min_trim():
    assert _snap([(0.97, 1.5)], ["mot"], [(1.0, 2.0)]) == [(0.97, 1.5)]
    assert _snap([(1.2, 2.03)], ["mot"], [(1.0, 2.0)]) == [(1.2, 2.03)]


def test_neither_side_ends_keeps_whole_speech_extent():
    out = _snap([(0.0, 1.0), (1.0, 3.0)], ["le", "grand"], [(0.0, 1.5), (2.0, 2.8)])
    assert out == [(0.0, 1.0), (1.0, 2.8)]


def test_neither_side_ends_drops_tiny_first_piece():
    # first piece 0.05 s, last piece 0.8 s: the word is the last piece
    out = _snap([(0.0, 1.0), (1.0, 3.0)], ["le", "grand"], [(0.0, 1.05), (2.0, 2.8)])
    assert out == [(0.0, 1.0), (2.0, 2.8)]


def test_both_sides_end_keeps_whole_extent():
    out = _snap([(0.0, 1.0), (1.0, 3.0)], ["fin.", "Oui."], [(0.0, 1.5), (2.0, 2.8)])
    assert out == [(0.0, 1.0), (1.0, 2.8)]


def test_input_not_mutated_and_length_kept():
    spans = [(0.0, 1.0), (1.0, 2.5)]
    before = list(spans)
    out = _snap(spans, ["fin.", "Bonjour"], [(0.0, 1.2), (2.0, 3.0)])
    assert spans == before
    assert len(out) == len(spans)


def test_speech_found_in_chunks_matches_whole_and_joins_across_boundaries():
    """Voice activity found a few seconds at a time (memory stays flat with length) agrees with
    one pass over the whole audio; a region cut by a chunk boundary comes back whole."""
    from pathlib import Path

    from aligner.audio import decode
    from aligner.speech import speech_intervals

    audio = decode(str(Path(__file__).parent / "data" / "fleurs-2clips.ogg"))
    whole = speech_intervals(audio, chunk_s=1e9)
    chunked = speech_intervals(audio, chunk_s=3.0)
    total = sum(b - a for a, b in whole)
    assert total > 5.0
    assert sum(b - a for a, b in chunked) == pytest.approx(total, rel=0.1)
    # no region ends on a boundary with the next one starting right there
    assert all(start - end > 0.05 for (_, end), (start, _) in zip(chunked, chunked[1:]))
    assert all(a < b for a, b in chunked)
    assert [a for a, _ in chunked] == sorted(a for a, _ in chunked)


# A turn's first word placed against the previous speaker's last one, a pause after it.
_STRANDED = dict(texts=["grondements", "le", "même", "mois"], new_turn=[False, True, False, False],
                 spans=[(1.0, 2.0), (2.0, 2.2), (4.0, 4.3), (4.3, 4.6)])


def test_a_turns_first_word_stranded_before_a_pause_moves_after_it():
    out = snap_words(_STRANDED["spans"], _STRANDED["texts"], _STRANDED["new_turn"],
                     [(0.9, 2.2), (4.0, 5.0)])
    assert out[0] == (1.0, 2.2)  # the previous word gets its tail back
    assert out[1] == pytest.approx((4.0, 4.15))
    assert out[2] == pytest.approx((4.15, 4.3))
    assert out[3] == (4.3, 4.6)


def test_a_first_word_followed_by_speech_or_ending_a_sentence_stays():
    spans, texts, turn = _STRANDED["spans"], _STRANDED["texts"], _STRANDED["new_turn"]
    assert snap_words(spans, texts, turn, [(0.9, 5.0)])[1] == (2.0, 2.2)  # no pause: it stays
    said = ["grondements", "Oui.", "même", "mois"]  # "Oui." then a pause: as said
    assert snap_words(spans, said, turn, [(0.9, 2.2), (4.0, 5.0)])[1] == (2.0, 2.2)
    mid = [False, False, False, False]  # inside a sentence: a hesitation, not a misplacement
    assert snap_words(spans, texts, mid, [(0.9, 2.2), (4.0, 5.0)])[1] == (2.0, 2.2)


def test_a_turns_first_words_across_a_pause_move_after_it():
    """"par exem- | pause | -ple des": both words go after the pause, the word before the turn
    ends where the speech does."""
    texts = ["l'université", "par", "exemple", "des", "étudiants"]
    spans = [(85.9, 86.7), (86.7, 86.8), (86.8, 88.5), (88.5, 88.8), (88.8, 89.4)]
    out = snap_words(spans, texts, [False, True, False, False, False], [(80.0, 87.1), (88.2, 95.0)])
    assert out[0] == (85.9, 87.1)
    assert out[1][0] == pytest.approx(88.2) and out[2][1] <= out[3][0] + 1e-9
    assert out[1][1] == pytest.approx(out[2][0]) and out[2][1] > out[2][0]
    assert out[4] == (88.8, 89.4)


def test_a_turn_starting_exactly_where_a_pause_starts_is_left_alone():
    texts = ["fin.", "Le", "début"]
    spans = [(1.0, 2.0), (2.0, 2.3), (3.0, 3.4)]
    # The speech ends where "Le" starts: nothing of it lies before the pause to move.
    out = snap_words(spans, texts, [False, True, False], [(0.5, 2.0), (3.0, 4.0)])
    assert out[0] == (1.0, 2.0) and out[2] == (3.0, 3.4)


def test_digital_silence_splits_the_audio_into_spans_of_sound():
    from aligner.audio import SAMPLE_RATE
    from aligner.speech import SOUND_PAD_S, sound_spans

    rng = np.random.default_rng(0)
    sound = (0.1 * rng.standard_normal(SAMPLE_RATE)).astype(np.float32)
    short = np.zeros(SAMPLE_RATE // 2, np.float32)  # half a second: a pause, not a split
    long = np.zeros(3 * SAMPLE_RATE, np.float32)
    audio = np.concatenate([long, sound, short, sound, long, sound])
    pad = int(SOUND_PAD_S * SAMPLE_RATE)
    s1 = 3 * SAMPLE_RATE  # the first sound's start
    s2 = s1 + 2 * SAMPLE_RATE + SAMPLE_RATE // 2 + 3 * SAMPLE_RATE
    assert sound_spans(audio) == [(s1 - pad, s1 + 2 * SAMPLE_RATE + SAMPLE_RATE // 2 + pad),
                                  (s2 - pad, audio.size + pad)]  # past the end: zeros
    assert sound_spans(np.zeros(SAMPLE_RATE, np.float32)) == [(0, SAMPLE_RATE)]


def test_voice_activity_after_minutes_of_digital_silence_is_the_same_shifted():
    """Where speech sits in a file does not change what voice activity finds in it (the VAD
    carries a state: after 3 min of silence it moved fleurs-fr's first speech start by 0.9 s)."""
    from pathlib import Path

    from aligner.audio import SAMPLE_RATE, decode
    from aligner.speech import speech_intervals

    audio = decode(str(Path(__file__).parent / "data" / "fleurs-2clips.ogg"))
    shift = 95.00731  # not on any grid of frames
    later = np.concatenate([np.zeros(int(round(shift * SAMPLE_RATE)), np.float32), audio])
    shift = int(round(shift * SAMPLE_RATE)) / SAMPLE_RATE
    plain, shifted = speech_intervals(audio), speech_intervals(later)
    assert len(plain) >= 2 and len(shifted) == len(plain)
    for (a, b), (c, d) in zip(plain, shifted):
        assert c - shift == pytest.approx(a, abs=1e-6) and d - shift == pytest.approx(b, abs=1e-6)


def test_a_time_is_cut_at_its_nearest_sample():
    from aligner.audio import sample_at

    # 29.306 s computed as a sum of floats: truncated, the window would start a sample early
    assert 29.305999999999997 * 16000 < 468896 and sample_at(29.305999999999997) == 468896
    assert sample_at(0.0) == 0 and sample_at(1.0) == 16000
