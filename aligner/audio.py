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


def _decode_stream(path: str) -> np.ndarray:
    """Decode and resample frame by frame into one float32 array sized from the container's
    duration (grown if that was short): about 4 bytes a sample at the peak, where
    faster-whisper's ``decode_audio`` holds an int16 buffer and two float32 copies (10)."""
    import av

    with av.open(path, metadata_errors="ignore") as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise ValueError("no audio stream")
        seconds = float(container.duration) / 1e6 if container.duration else 60.0
        out = np.empty(int(seconds * SAMPLE_RATE) + SAMPLE_RATE, dtype=np.float32)
        n = 0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)

        def put(frames) -> None:
            nonlocal out, n
            for f in frames:
                pcm = f.to_ndarray().reshape(-1)
                if n + pcm.size > out.size:  # the container under-stated its length
                    out = np.resize(out, max(out.size * 3 // 2, n + pcm.size))
                out[n:n + pcm.size] = pcm
                n += pcm.size

        for frame in container.decode(stream):
            frame.pts = None  # let the resampler count samples itself (gaps in pts break it)
            put(resampler.resample(frame))
        put(resampler.resample(None))
    out = out[:n]
    out *= np.float32(1.0 / 32768.0)
    return out


def decode(path: str) -> np.ndarray:
    check_readable(path, "audio file")
    try:
        audio = _decode_stream(path)
    except Exception as e:  # PyAV raises many types (InvalidDataError, ValueError, ...)
        first = (str(e).splitlines() or [type(e).__name__])[0]
        raise AudioError(f"cannot decode audio {path}: {first}") from e
    if audio.size < SAMPLE_RATE // 10:
        raise AudioError(f"audio {path} holds no sound (decoded {audio.size / SAMPLE_RATE:.2f} s)")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError(f"audio {path} is silent ({audio.size / SAMPLE_RATE:.1f} s with no signal)")
    return audio
