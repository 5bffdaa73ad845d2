"""Decoding audio: any file ffmpeg's libraries read (through PyAV, bundled with faster-whisper),
resampled to 16 kHz mono float32, the rate Whisper works at."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from .errors import AudioError, InputNotFound

SAMPLE_RATE = 16000
# Peak amplitude below which the file is taken as silent (about -60 dBFS).
SILENCE_PEAK = 1e-3
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


def sample_at(t: float) -> int:
    """The index of the sample at ``t`` seconds: rounded, not truncated.  Times are sums of
    floats (a window from 29.306 s comes out 29.305999999999997), and a window cut one sample
    early is another input to Whisper: three minutes of digital silence before fleurs-fr
    changed the words heard in its second window, whose start fell on the other side."""
    return int(round(t * SAMPLE_RATE))


def check_readable(path: str, what: str) -> None:
    if not os.path.exists(path):
        raise InputNotFound(f"{what} not found: {path}")
    if os.path.isdir(path):
        raise InputNotFound(f"{what} is a folder, not a file: {path}")
    if not os.access(path, os.R_OK):
        raise InputNotFound(f"{what} is not readable: {path}")


# Mono from more than two channels: swresample's own coefficients for a mono downmix (centre 1,
# front left/right 1/sqrt 2 each, the others 1/2, low-frequency effects left out), *without* its
# normalisation.  swresample divides them by their sum (3.41 for 5.1), so speech in the centre
# channel, where surround mixes put dialogue, came out at 0.29 (-10.7 dB): fleurs-fr as 5.1
# AAC was heard differently from the same audio in mono or stereo (an extra flag, and the same
# extra flag on the mono file scaled by 0.29).  Mono and stereo keep swresample's mix.
_DOWNMIX = {"FC": 1.0, "FL": 0.5 ** 0.5, "FR": 0.5 ** 0.5, "LFE": 0.0, "LFE2": 0.0}
_DOWNMIX_OTHER = 0.5
# Channels a file does not name (a plain 6-channel WAV) are in WAVE's speaker order, which is
# also FFmpeg's: front left, right, centre, low frequency, back left, right, ...
_WAVE_ORDER = ("FL", "FR", "FC", "LFE", "BL", "BR", "FLC", "FRC", "BC", "SL", "SR")


def downmix_weights(channels: tuple[str, ...]) -> np.ndarray:
    """Weights that mix channels named as FFmpeg names them ("FL", "FC", "LFE", "BL", ...) to
    mono, for more than two channels (see _DOWNMIX); unnamed ones ("NONE") in WAVE's order."""
    if any(c in ("NONE", "") for c in channels) and len(channels) <= len(_WAVE_ORDER):
        channels = _WAVE_ORDER[:len(channels)]
    return np.array([_DOWNMIX.get(c, _DOWNMIX_OTHER) for c in channels], dtype=np.float32)


@dataclass(frozen=True)
class Damage:
    """A stretch of the file that could not be decoded, kept as silence: ``start``/``end`` in
    seconds on the decoded timeline (later audio keeps its own times)."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Decoded:
    samples: np.ndarray  # 16 kHz mono float32
    damaged: tuple[Damage, ...] = ()
    stopped: str = ""  # why decoding ended before the file did ("" when it reached the end)
    declared: float = 0.0  # the length the container states, in seconds (0: it states none)


# Containers whose length is written in the file, not estimated from its size and bit rate:
# FLAC's stream info, MP4's index (FFmpeg's format names).  An MP3 states it only in a Xing,
# Info or VBRI frame at its start (LAME and FFmpeg write one); without it, and for raw AAC
# (ADTS), FFmpeg estimates the length from the bit rate: fleurs-fr as VBR MP3 with no Xing
# frame "lasts" 304 s and as ADTS AAC 164 s, against 102 s decoded from both.
_STATED = ("flac", "mov,mp4,m4a,3gp,3g2,mj2")
_MP3_TAGS = (b"Xing", b"Info", b"VBRI")


def _length_is_stated(path: str, format_name: str) -> bool:
    """Whether the container's length is one the file states (see _STATED)."""
    if format_name in _STATED:
        return True
    if format_name != "mp3":
        return False
    with open(path, "rb") as f:
        head = f.read(10)
        start = 0
        if head[:3] == b"ID3" and len(head) == 10:  # skip an ID3v2 tag (its size is syncsafe)
            start = 10 + sum((b & 0x7F) << (7 * (3 - k)) for k, b in enumerate(head[6:10]))
        f.seek(start)
        first = f.read(4096)  # the first frame, which holds the Xing/Info/VBRI tag
    return any(t in first for t in _MP3_TAGS)


def _decode_stream(path: str) -> Decoded:
    """Decode and resample packet by packet into one float32 array sized from the container's
    duration (grown if that was short): about 4 bytes a sample at the peak, where
    faster-whisper's ``decode_audio`` holds an int16 buffer and two float32 copies (10).

    A packet the decoder refuses (a damaged frame, zeroed bytes) is skipped and the time it
    would have played is kept as silence, so what follows stays at its own time: the demuxer
    numbers the packets after a damaged stretch as if nothing had been lost (an MP3 with 4 kB
    zeroed gives one 4224-byte packet lasting one frame), so that time is read from the packet's
    size at the stream's bit rate (exact for constant bit rate, near for variable), never less
    than the packet's own duration.  When the demuxer itself gives up, what was decoded is kept."""
    import av

    with av.open(path, metadata_errors="ignore") as container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise ValueError("no audio stream")
        seconds = float(container.duration) / 1e6 if container.duration else 60.0
        declared = seconds if container.duration and _length_is_stated(path, container.format.name) \
            else 0.0
        bit_rate = stream.bit_rate or container.bit_rate or 0
        out = np.zeros(int(seconds * SAMPLE_RATE) + SAMPLE_RATE, dtype=np.float32)
        n = 0
        damaged: list[Damage] = []
        stopped = ""
        surround = stream.layout is not None and len(stream.layout.channels) > 2
        if surround:  # resampled with its channels, mixed here (see _DOWNMIX)
            resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=SAMPLE_RATE)
        else:
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        weights: dict[tuple[str, ...], np.ndarray] = {}

        def grow(size: int) -> None:
            nonlocal out
            if size > out.size:  # the container under-stated its length
                out = np.concatenate([out, np.zeros(max(out.size // 2, size - out.size), np.float32)])

        def put(frames) -> None:
            nonlocal n
            for f in frames:
                if surround:
                    names = tuple(c.name for c in f.layout.channels)
                    w = weights.setdefault(names, downmix_weights(names) * np.float32(32768.0))
                    pcm = w @ f.to_ndarray()  # on the same scale as s16
                else:
                    pcm = f.to_ndarray().reshape(-1)
                grow(n + pcm.size)
                out[n:n + pcm.size] = pcm
                n += pcm.size

        def lose(packet) -> None:
            nonlocal n
            lost = float(packet.duration * packet.time_base) if packet.duration else 0.0
            if bit_rate:
                lost = max(lost, packet.size * 8 / bit_rate)
            gap = int(round(lost * SAMPLE_RATE))
            grow(n + gap)  # already zeros: silence
            t0 = n / SAMPLE_RATE
            if damaged and abs(damaged[-1].end - t0) < 1e-6:  # one stretch, however many packets
                damaged[-1] = Damage(damaged[-1].start, t0 + gap / SAMPLE_RATE)
            else:
                damaged.append(Damage(t0, t0 + gap / SAMPLE_RATE))
            n += gap

        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as e:  # the container cannot be read further
                stopped = (str(e).splitlines() or [type(e).__name__])[0]
                break
            try:
                frames = packet.decode()
            except av.FFmpegError:
                if packet.size:
                    lose(packet)
                continue
            for frame in frames:
                frame.pts = None  # let the resampler count samples itself (gaps in pts break it)
                put(resampler.resample(frame))
        put(resampler.resample(None))
    out = out[:n]
    out *= np.float32(1.0 / 32768.0)
    peak = float(np.max(np.abs(out))) if out.size else 0.0
    if peak > 1.0:  # channels loud together: the whole file down, so that nothing clips
        out *= np.float32(1.0 / peak)
    return Decoded(out, tuple(damaged), stopped, declared)


def load(path: str) -> Decoded:
    """The audio of ``path`` as far as the file allows, with its damaged stretches.  AudioError
    only when nothing at all decodes, or what does is empty or silent."""
    check_readable(path, "audio file")
    if os.path.getsize(path) == 0:
        raise AudioError(f"cannot decode audio {path}: the file is empty (0 bytes)")
    try:
        decoded = _decode_stream(path)
    except Exception as e:  # PyAV raises many types (InvalidDataError, ValueError, ...)
        first = (str(e).splitlines() or [type(e).__name__])[0]
        # FFmpeg's own words, without the errno and the path repeated ("[Errno 1094995529]
        # Invalid data found when processing input: 'x.mp3'")
        first = _ERRNO.sub("", first).removesuffix(f": '{path}'")
        raise AudioError(f"cannot decode audio {path}: {first}") from e
    audio = decoded.samples
    lost = sum(d.seconds for d in decoded.damaged)
    if audio.size / SAMPLE_RATE - lost < 0.1 and (decoded.damaged or decoded.stopped):
        raise AudioError(f"cannot decode audio {path}: no frame of it decodes"
                         + (f" ({decoded.stopped})" if decoded.stopped else ""))
    if audio.size < SAMPLE_RATE // 10:
        raise AudioError(f"audio {path} holds no sound (decoded {audio.size / SAMPLE_RATE:.2f} s)")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioError(f"audio {path} is silent ({audio.size / SAMPLE_RATE:.1f} s with no signal)")
    return decoded


def decode(path: str) -> np.ndarray:
    """The samples of ``load(path)``, damaged stretches as silence."""
    return load(path).samples
