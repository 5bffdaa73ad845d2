"""Speech recognition with faster-whisper: the *heard* words, used as evidence only.

Settings favour a bounded worst case over the last point of accuracy: greedy decoding, no
conditioning on previous text and the VAD filter keep a looping or garbled recognition (robotic
voices, music) from running away, and word timestamps give each heard word a rough place.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .audio import SAMPLE_RATE
from .normalize import norm_token
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
) -> list[HeardWord]:
    """Recognise in chunks of at most ten minutes, cut in pauses: faster-whisper computes the
    features of all the audio it is given at once, which would make memory grow with length."""
    heard: list[HeardWord] = []
    duration = audio.size / SAMPLE_RATE
    for c0, c1 in chunk_bounds(duration, speech or []):
        piece = audio[int(c0 * SAMPLE_RATE):int(c1 * SAMPLE_RATE)]
        segments, _info = model.transcribe(
            piece,
            language=language,
            beam_size=beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 500},
        )
        for seg in segments:
            for w in seg.words or []:
                text = w.word.strip()
                if not text:
                    continue
                heard.append(HeardWord(text, c0 + float(w.start), c0 + float(w.end),
                                       float(w.probability), norm_token(text, language)))
            if progress:
                progress(c0 + float(seg.end))
    return heard
