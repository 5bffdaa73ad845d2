"""Speech recognition with faster-whisper: the *heard* words, used as evidence only.

Settings favour a bounded worst case over the last point of accuracy: greedy decoding, no
conditioning on previous text and the VAD filter keep a looping or garbled recognition (robotic
voices, music) from running away, and word timestamps give each heard word a rough place.
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np

from .audio import SAMPLE_RATE
from .normalize import norm_token
from .speech import speech_within
from .types import HeardWord


def detect_language(model, audio: np.ndarray) -> str:
    lang, _prob, _all = model.detect_language(audio[: 30 * SAMPLE_RATE])
    return lang


CHUNK_S = 600.0  # recognise at most this much audio at once: memory stays flat with length


def chunk_bounds(duration: float, speech: list[tuple[float, float]],
                 chunk_s: float = CHUNK_S) -> list[tuple[float, float]]:
    """Cut points for recognition, at most ``chunk_s`` apart, each in the longest pause of the
    last minute before the limit (so no word is cut), else at the limit itself."""
    bounds, start = [], 0.0
    while duration - start > chunk_s:
        limit = start + chunk_s
        pauses = [(b - a, (a + b) / 2) for (_, a), (b, _) in zip(speech, speech[1:])
                  if limit - 60.0 <= (a + b) / 2 <= limit]
        cut = max(pauses)[1] if pauses else limit
        bounds.append((start, cut))
        start = cut
    bounds.append((start, duration))
    return bounds


def recognize(
    model,
    audio: np.ndarray,
    language: str,
    beam_size: int = 1,
    progress: Callable[[float], None] | None = None,
    speech: list[tuple[float, float]] | None = None,
    hotwords: str | None = None,
) -> list[HeardWord]:
    """Recognise in chunks of at most ten minutes, cut in pauses: faster-whisper computes the
    features of all the audio it is given at once, which would make memory grow with length.
    With ``speech`` (voice activity), stretches of speech recognition skipped or looped over are
    heard again on their own."""
    heard: list[HeardWord] = []
    duration = audio.size / SAMPLE_RATE
    for c0, c1 in chunk_bounds(duration, speech or []):
        heard += _transcribe(model, audio, c0, c1, language, beam_size, progress, hotwords)
    if not speech:
        return heard
    loops = looped(heard)
    out = [w for k, w in enumerate(heard) if k not in loops]
    for t0, t1 in skipped(out, speech):
        a, b = max(0.0, t0 - HOLE_PAD_S), t1 + HOLE_PAD_S

        def inside(w: HeardWord) -> bool:
            return a <= (w.start + w.end) / 2 <= b

        raw = _transcribe(model, audio, a, b, language, beam_size, hotwords=hotwords)
        again_loops = looped(raw)
        again = [w for k, w in enumerate(raw) if k not in again_loops and inside(w)]
        if 2 * len(again_loops) > len(raw):
            # Heard alone, it loops again: the first words stay, the difference they make with
            # the text is all there is to go on ("mes recettes" x20 where "un zéro zéro zéro
            # GPU" was said).
            again = []
        out += again or [w for k, w in enumerate(heard) if k in loops and inside(w)]
    return sorted(out, key=lambda w: w.start)


_NUMBER_TAIL = re.compile(r"^[.,]\d")


def _transcribe(model, audio: np.ndarray, c0: float, c1: float, language: str, beam_size: int,
                progress: Callable[[float], None] | None = None,
                hotwords: str | None = None) -> list[HeardWord]:
    piece = audio[int(c0 * SAMPLE_RATE):int(c1 * SAMPLE_RATE)]
    # Known names (``names.hotwords``) as a prompt, so that recognition can spell them; none:
    # the call is exactly as before.
    extra = {"hotwords": hotwords} if hotwords else {}
    segments, _info = model.transcribe(
        piece,
        language=language,
        beam_size=beam_size,
        temperature=0.0,
        condition_on_previous_text=False,
        word_timestamps=True,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": 500},
        **extra,
    )
    out = []
    for seg in segments:
        for w in seg.words or []:
            text = w.word.strip()
            if not text:
                continue
            out.append(HeardWord(text, c0 + float(w.start), c0 + float(w.end),
                                 float(w.probability), norm_token(text, language)))
        if progress:
            progress(c0 + float(seg.end))
    return join_split_numbers(out, language)


def join_split_numbers(words: list[HeardWord], language: str) -> list[HeardWord]:
    """Word time stamps split a number at its separator ("2" ".300", "1" ",5"): one word again,
    read as the number it is ("dos mil trescientos"), not as two."""
    out: list[HeardWord] = []
    for w in words:
        prev = out[-1] if out else None
        if prev is not None and _NUMBER_TAIL.match(w.text) and prev.text[-1:].isdigit():
            text = prev.text + w.text
            out[-1] = HeardWord(text, prev.start, w.end, min(prev.probability, w.probability),
                                norm_token(text, language))
        else:
            out.append(w)
    return out


LOOP_PERIOD = 4  # a phrase of up to this many words ...
LOOP_REPEATS = 3  # ... said this many times in a row is recognition looping, not speech;
LOOP_WORD_REPEATS = 4  # one word needs one more ("und und und" is speech)


def looped(heard: list[HeardWord]) -> set[int]:
    """Indices of words in recognition loops: one word or a phrase of a few again and again
    ("-Aber -Aber -Aber ..." over seven seconds of German, "la fin de la fin de la fin de ..."
    over a minute of monde-numerique).  Whisper stuck in a loop hears nothing of the speech
    under it, so its words are dropped and that speech heard again."""
    norms = [w.norm for w in heard]
    out: set[int] = set()
    for p in range(1, LOOP_PERIOD + 1):
        need = (LOOP_WORD_REPEATS if p == 1 else LOOP_REPEATS) * p  # words such a loop covers
        k = p
        while k < len(norms):
            j = k
            while j < len(norms) and norms[j] and norms[j] == norms[j - p]:
                j += 1
            if j - k + p >= need:
                out.update(range(k - p, j))
            k = j + 1
    return out


HOLE_MIN_S = 1.5  # speech recognition gave no word for, before it is heard again
HOLE_PAD_S = 0.3
HOLE_PIECE_S = 0.25


def skipped(heard: list[HeardWord], speech: list[tuple[float, float]],
            min_s: float = HOLE_MIN_S) -> list[tuple[float, float]]:
    """Stretches of speech between two heard words that recognition gave no word for.  Whisper
    sometimes ends a 30 s window early with a final time stamp and moves on to the next one,
    skipping the speech in between (seen: 20 s of a German episode, 100 s of monde-numerique);
    heard alone, that speech is recognised like the rest.  Before the first and after the last
    heard word is left to the pipeline, which asks first which language it is in."""
    out = []
    starts = [a for a, _ in speech]
    for prev, nxt in zip(heard, heard[1:]):
        t0, t1 = prev.end, nxt.start
        if t1 - t0 < min_s:
            continue
        inside = [(a, b) for a, b in speech_within(speech, t0, t1, starts)
                  if b - a >= HOLE_PIECE_S]  # not the tail of a heard word's own speech
        if sum(b - a for a, b in inside) >= min_s:
            out.append((inside[0][0], inside[-1][1]))
    return out
