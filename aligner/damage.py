"""Damaged audio in the results: what was said where the file could not be decoded is not known,
so the published words there get no time (reason "damaged-audio") and no flag says they differ
from what was heard (nothing was heard: the stretch is silence only because it was lost)."""
from __future__ import annotations

from dataclasses import dataclass

from .audio import Damage, Decoded
from .types import Mismatch, TimedWord

REASON = "damaged-audio"
# A flag this close to a damaged stretch is about it: a word cut by the loss is heard wrong or
# not at all (the pipeline's NEAR_GAP_S, the same reasoning for untranscribed speech).
NEAR_S = 0.5


@dataclass(frozen=True)
class RunWarning:
    """One thing the user should know about a run that still gave results."""

    kind: str  # damaged-audio | truncated-audio
    start: float
    end: float
    message: str


# A file holding less than its container says it does was cut short (an incomplete download):
# complete files decode to within 0.06 s of the length they state (fleurs-fr as MP3, AAC in M4A,
# Opus, Vorbis, FLAC and WAV; the example episodes; the corpus's Opus files), and fleurs-fr's
# MP3, FLAC or M4A cut at 60 % of its bytes lacks 41-42 s.  Only a length the file states
# counts (``audio._length_is_stated``); a WAV, Ogg or Opus file cut short states the length it
# holds: nothing tells it from an episode that ends there.
SHORT_MIN_S = 1.0


def missing_end(decoded: Decoded, duration: float) -> Damage | None:
    """The end of the audio the file lacks, from where decoding ended to the length its
    container states; None when nothing is missing."""
    if decoded.declared - duration <= SHORT_MIN_S:
        return None
    start = duration
    for d in reversed(decoded.damaged):  # its last packet, cut in two, is the same loss
        if abs(d.end - start) < 1e-3:
            start = d.start
    return Damage(start, decoded.declared)


def warnings_for(damaged: tuple[Damage, ...], stopped: str, duration: float,
                 missing: Damage | None = None) -> list[RunWarning]:
    out = [RunWarning("damaged-audio", d.start, d.end,
                      f"{d.seconds:.2f} s of undecodable audio at {_clock(d.start)}-{_clock(d.end)} "
                      "skipped (kept as silence; its words are left untimed)")
           for d in damaged if missing is None or d.start < missing.start]
    if missing is not None:
        out.append(RunWarning("truncated-audio", missing.start, missing.end,
                              f"the file ends at {_clock(missing.start)} but states a length of "
                              f"{_clock(missing.end)}: {missing.seconds:.1f} s of audio missing "
                              "(an incomplete download?); the text after its end is left untimed"
                              + (f" (decoding stopped: {stopped})" if stopped else "")))
    elif stopped:
        out.append(RunWarning("truncated-audio", duration, duration,
                              f"decoding stopped at {_clock(duration)}: {stopped}"))
    return out


def _clock(t: float) -> str:
    m, s = divmod(t, 60)
    return f"{int(m)}:{s:05.2f}"


def _overlaps(a: float, b: float, d: Damage, margin: float = 0.0) -> bool:
    return a < d.end + margin and d.start - margin < b


def mark(words: list[TimedWord], mismatches: list[Mismatch],
         damaged: tuple[Damage, ...]) -> tuple[list[TimedWord], list[Mismatch]]:
    """Words placed in a damaged stretch lose their times; untimed words between the last word
    timed before a stretch and the first one after it are its words too.  Flags on them, or in
    time near a stretch, go.  Returns new lists; the words are updated in place."""
    if not damaged:
        return words, mismatches
    hit: set[int] = set()
    for k, w in enumerate(words):
        if w.timed and any(_overlaps(w.start, w.end, d) for d in damaged):
            hit.add(k)
    timed = [k for k, w in enumerate(words) if w.timed and k not in hit]
    for d in damaged:
        before = max((k for k in timed if words[k].end <= d.start + 1e-3), default=-1)
        after = min((k for k in timed if words[k].start >= d.end - 1e-3), default=len(words))
        hit.update(k for k in range(before + 1, after) if not words[k].timed
                   or _overlaps(words[k].start, words[k].end, d))
    spans = []
    for k in sorted(hit):
        w = words[k]
        w.start = w.end = None
        w.confidence = 0.0
        w.reason = REASON
        spans.append((w.token.char_start, w.token.char_end))
    kept = []
    for m in mismatches:
        near = m.start is not None and m.end is not None and any(
            _overlaps(m.start, m.end, d, NEAR_S) for d in damaged)
        on = m.char_start is not None and any(
            a < m.char_end and m.char_start < b for a, b in spans)
        if not (near or on):
            kept.append(m)
    return words, kept
