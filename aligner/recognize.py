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


def recognize(
    model,
    audio: np.ndarray,
    language: str,
    beam_size: int = 1,
    progress: Callable[[float], None] | None = None,
) -> list[HeardWord]:
    segments, _info = model.transcribe(
        audio,
        language=language,
        beam_size=beam_size,
        temperature=0.0,
        condition_on_previous_text=False,
        word_timestamps=True,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": 500},
    )
    heard: list[HeardWord] = []
    for seg in segments:
        for w in seg.words or []:
            text = w.word.strip()
            if not text:
                continue
            heard.append(HeardWord(text, float(w.start), float(w.end), float(w.probability),
                                   norm_token(text, language)))
        if progress:
            progress(float(seg.end))
    return heard
