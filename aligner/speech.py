"""Where the audio holds speech, from the Silero voice-activity model bundled with faster-whisper.

Whisper's cross-attention alignment has no notion of silence: a pause before a word is given to
that word, so a sentence's first word starts too early and its last word ends too late.  Snapping
each word's edges to the speech regions fixes that without moving words inside continuous speech.
"""
from __future__ import annotations

import bisect

import numpy as np

from .audio import SAMPLE_RATE, SILENCE_PEAK

MIN_TRIM_S = 0.04


VAD_CHUNK_S = 300.0  # voice activity is found this much audio at a time
JOIN_S = 0.05  # intervals this close across a chunk boundary are one


def speech_intervals(audio: np.ndarray, chunk_s: float = VAD_CHUNK_S) -> list[tuple[float, float]]:
    """Speech regions in seconds.  faster-whisper's VAD holds about four copies of the audio it
    is given (padding, framing with context, batches): ~1 GB per audio hour at its peak.  Given
    five minutes at a time it holds a few tens of MB, whatever the length; a region that runs
    across a boundary is joined again."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=0.35, min_silence_duration_ms=120, speech_pad_ms=40,
                      min_speech_duration_ms=60)
    step = int(chunk_s * SAMPLE_RATE)
    out: list[tuple[float, float]] = []
    duration = audio.size / SAMPLE_RATE
    for s0, s1 in sound_spans(audio):
        for k in range(s0, max(s0 + 1, s1), step):
            t0 = k / SAMPLE_RATE
            for c in get_speech_timestamps(_samples(audio, k, min(k + step, s1)), opts):
                a = max(0.0, t0 + c["start"] / SAMPLE_RATE)
                b = min(duration, t0 + c["end"] / SAMPLE_RATE)
                if out and a - out[-1][1] <= JOIN_S:
                    out[-1] = (out[-1][0], max(out[-1][1], b))
                else:
                    out.append((a, b))
    return out


# Voice activity starts afresh after a second of digital silence: the VAD model carries a state
# from what it has heard, and three minutes of silence before fleurs-fr moved its first speech
# start from 2.84 to 3.70 s and split two others (with a fresh start after the silence: the
# clean run's intervals, shifted).  So where speech sits in a file does not change what is found.
QUIET_SPLIT_S = 1.0
SOUND_PAD_S = 0.5  # of the silence kept before and after sound (more than the VAD's own pad)
_FRAME = 160  # 10 ms


def _samples(audio: np.ndarray, a: int, b: int) -> np.ndarray:
    """audio[a:b], with zeros for the part of it outside the audio."""
    inside = audio[max(0, a):max(0, min(b, audio.size))]
    before, after = max(0, -a), max(0, b - max(a, audio.size))
    if not before and not after:
        return inside
    return np.concatenate([np.zeros(before, audio.dtype), inside, np.zeros(after, audio.dtype)])


def sound_spans(audio: np.ndarray) -> list[tuple[int, int]]:
    """Sample spans of the audio that hold sound, split where at least ``QUIET_SPLIT_S`` of it
    stays under ``audio.SILENCE_PEAK`` (digital silence: a recording started early, the gap
    between two clips), each with ``SOUND_PAD_S`` of silence either side.  A span may reach
    past the audio's edges (zeros there, ``_samples``): the voice activity's reading of a
    sound must not depend on how much silence the file has around it."""
    n = audio.size // _FRAME
    if n == 0:
        return [(0, audio.size)]
    loud = np.empty(n, dtype=bool)
    per = 6000  # frames (a minute) at a time: no copy of the whole audio
    for k in range(0, n, per):
        m = min(per, n - k)
        seg = audio[k * _FRAME:(k + m) * _FRAME].reshape(m, _FRAME)
        loud[k:k + m] = np.abs(seg).max(axis=1) > SILENCE_PEAK
    idx = np.flatnonzero(loud)
    if idx.size == 0:
        return [(0, audio.size)]
    quiet = int(round(QUIET_SPLIT_S * 100))
    cuts = np.flatnonzero(np.diff(idx) > quiet)
    starts = [int(idx[0])] + [int(idx[g + 1]) for g in cuts]
    ends = [int(idx[g]) + 1 for g in cuts] + [int(idx[-1]) + 1]
    pad = int(SOUND_PAD_S * SAMPLE_RATE)
    out = []
    for a, b in zip(starts, ends):
        # to the sample, not the frame: a sound's span must not move with the file's frame grid
        first = a * _FRAME + int(np.argmax(np.abs(audio[a * _FRAME:(a + 1) * _FRAME]) > SILENCE_PEAK))
        last_frame = np.abs(audio[(b - 1) * _FRAME:b * _FRAME]) > SILENCE_PEAK
        last = (b - 1) * _FRAME + _FRAME - int(np.argmax(last_frame[::-1]))
        out.append((first - pad, last + pad))
    return out


PAUSE_BEFORE = tuple(".?!…;:,»)\"")  # punctuation after which a speaker pauses


def speech_within(intervals: list[tuple[float, float]], start: float, end: float,
                  starts: list[float] | None = None) -> list[tuple[float, float]]:
    """The parts of [start, end] that voice activity calls speech (``starts``: the intervals'
    starts, for bisection, when called for many spans)."""
    if starts is None:
        starts = [a for a, _ in intervals]
    k = max(0, bisect.bisect_right(starts, start) - 1)
    inside = []
    while k < len(intervals) and intervals[k][0] < end:
        a, b = intervals[k]
        if b > start:
            inside.append((max(a, start), min(b, end)))
        k += 1
    return inside


def snap_words(spans: list[tuple[float, float]], texts: list[str], new_turn: list[bool],
               intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Trim silence from the edges of consecutive word spans.

    A word whose span holds a pause is kept on one side of it: after the pause when the text
    before it ends a clause or a turn (speakers pause at punctuation), before the pause when it
    ends one itself, else on the side with more speech.  The piece given up goes back to the
    neighbour it touches.
    """
    starts = [a for a, _ in intervals]
    out = list(spans)
    for k in range(len(out)):
        s, e = out[k]
        pieces = speech_within(intervals, s, e, starts)
        if not pieces:
            continue
        if len(pieces) > 1:
            prev_ends = k > 0 and (new_turn[k] or texts[k - 1].rstrip().endswith(PAUSE_BEFORE))
            own_ends = texts[k].rstrip().endswith(PAUSE_BEFORE)
            if prev_ends and not own_ends:
                keep = pieces[-1]
                if k > 0 and abs(out[k - 1][1] - s) < 0.02:  # the neighbour gets its tail back
                    out[k - 1] = (out[k - 1][0], max(out[k - 1][1], pieces[-2][1]))
            elif own_ends and not prev_ends:
                keep = pieces[0]
                if k + 1 < len(out) and abs(out[k + 1][0] - e) < 0.02:  # and its head
                    out[k + 1] = (min(out[k + 1][0], pieces[1][0]), out[k + 1][1])
            else:
                keep = (pieces[0][0], pieces[-1][1])
                if pieces[0][1] - pieces[0][0] < 0.1 < pieces[-1][1] - pieces[-1][0]:
                    keep = (pieces[1][0], pieces[-1][1])
            pieces = [keep]
        a, b = pieces[0][0], pieces[-1][1]
        a = s if a - s < MIN_TRIM_S else a
        b = e if e - b < MIN_TRIM_S else b
        if b > a:
            out[k] = (a, b)
    return _move_stranded(out, texts, new_turn, intervals)


REACH_S = 0.4  # at most this much speech after a word that nothing else was placed in


def reach_speech_end(out: list[tuple[float, float]], intervals: list[tuple[float, float]],
                     last: set[int]) -> list[tuple[float, float]]:
    """A window's last word (positions ``last``) that ends inside speech, with no word after it
    in that speech, ends with it.  Whisper's alignment ends the text where it places the end of
    transcript, which comes early at the end of a window: windows end in pauses, so the last
    word before each (a turn's, a sentence's) ended 120-250 ms before its speech on fleurs-fr."""
    ends = [b for _, b in intervals]
    out = list(out)
    for k in sorted(last):
        a, e = out[k]
        j = bisect.bisect_left(ends, e)
        if j >= len(intervals) or intervals[j][0] > e:
            continue  # it ends in a pause
        b = intervals[j][1]
        nxt = out[k + 1][0] if k + 1 < len(out) else float("inf")
        if e < b <= e + REACH_S and nxt >= b:
            out[k] = (a, b)
    return out


STRANDED_PAUSE_S = 0.5  # silence early in a turn that says its first words were placed too early
STRANDED_WORDS = 3  # at most this many first words of a turn moved past it
STRANDED_SPEECH_S = 1.0  # ... holding at most this much speech before the pause


def pauses_within(intervals: list[tuple[float, float]], t0: float, t1: float, min_s: float = 0.0,
                  ends: list[float] | None = None) -> list[tuple[float, float]]:
    """Pauses of at least ``min_s`` between speech regions, starting in [t0, t1] (``ends``: the
    regions' ends, for bisection when called for many spans: episodes have thousands)."""
    if ends is None:
        ends = [b for _, b in intervals]
    out = []
    k = bisect.bisect_left(ends, t0)
    while k + 1 < len(intervals) and ends[k] <= t1:
        if intervals[k + 1][0] - ends[k] >= min_s:
            out.append((ends[k], intervals[k + 1][0]))
        k += 1
    return out


def _move_stranded(out: list[tuple[float, float]], texts: list[str], new_turn: list[bool],
                   intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The first words of a turn or sentence placed against the end of the one before, with a
    pause right after them and the rest of their sentence beyond: alignment took the previous
    speaker's last syllables for them ("... des grondements le | 2 s | même mois", "...
    l'université par exem- | 1 s | -ple des étudiants").  Speakers pause before a turn, not
    after its first word, so they move to the start of the speech after the pause, and the
    word before gets its time back."""
    out = list(out)
    n = len(out)
    ends = [b for _, b in intervals]
    for k in range(1, n - 1):
        if not (new_turn[k] or texts[k - 1].rstrip().endswith(PAUSE_BEFORE)):
            continue
        s = out[k][0]
        if abs(out[k - 1][1] - s) > 0.02:
            continue  # the turn does not touch the one before
        last = min(k + STRANDED_WORDS, n - 1) - 1
        pauses = pauses_within(intervals, s, min(out[last][1], s + STRANDED_SPEECH_S),
                               STRANDED_PAUSE_S, ends)
        if not pauses:
            continue
        sa, sb = pauses[0]
        j = max((i for i in range(k, last + 1) if out[i][0] < sa), default=None)
        if j is None or new_turn[j + 1] or out[j + 1][1] <= sb or \
                any(texts[i].rstrip().endswith(PAUSE_BEFORE) for i in range(k, j + 1)):
            continue  # the sentence ends before the pause: it is where it was said
        room = out[j + 1][0] - sb
        moved = j + 1 - k
        if room < 0.1 * moved:  # the next word took the speech after the pause: share it
            room = (out[j + 1][1] - sb) / 2
            out[j + 1] = (sb + room, out[j + 1][1])
        out[k - 1] = (out[k - 1][0], sa)
        own = [max(0.02, min(e, sa) - a) + max(0.0, e - max(a, sb)) for a, e in out[k:j + 1]]
        scale = min(1.0, room / sum(own))
        t = sb
        for i, d in zip(range(k, j + 1), own):
            out[i] = (t, t + d * scale)
            t += d * scale
    return out
