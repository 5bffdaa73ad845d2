"""Decoding audio: any file ffmpeg's libraries read (through PyAV, bundled with faster-whisper),
resampled to 16 kHz mono float32, the rate Whisper works at."""
from __future__ import annotations

import os

import numpy as np

from .errors import AudioError, InputNotFound

SAMPLE_RATE = 16000
# Peak amplitude below which the file is taken as silent (about -60 dBFS).
SILENCE_PEAK = 1e-3


def check_readable(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise InputNotFound(f"{what} not found: {path}")
    if os.path.isdir(path):
        raise InputNotFound(f"{what} is a folder, not a file: {path}")
    if not os.access(path, os.R_OK):
        raise InputNotFound(f"{what} is not readable: {path}")


def decode(path: str) -> np.ndarray:
    check_readable(path, "audio file")
    from faster_whisper.audio import decode_audio

    try:
        audio = decode_audio(path, sampling_rate=SAMPLE_RATE)
    except Exception as e:  # PyAV raises many types (InvalidDataError, ValueError, ...)
        first = (str(e).splitlines() or [type(e).__name__])[0]
        raise AudioError(f"cannot decode audio {path}: {first}") from e
    if audio.size < SAMPLE_RATE // 10:
        raise AudioError(f"audio {path} holds no sound (decoded {audio.size / SAMPLE_RATE:.2f} s)")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError(f"audio {path} is silent ({audio.size / SAMPLE_RATE:.1f} s with no signal)")
    return audio
