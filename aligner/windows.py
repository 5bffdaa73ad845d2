"""Windows of audio, each put through Whisper's encoder once and its output kept for every later
use: recognition decodes from it, the heard words are timed on it, the published words are
forced-aligned on it and rival readings weighed on it (issue #13: the encoder is the floor of
the cost, and it used to run two or three times over each stretch).

Windows are cut in pauses that voice activity finds, at most 30 s long (the encoder's input),
as full as the pauses allow: the encoder costs the same for 5 s as for 30 s of audio.

The outputs are kept on disk, one file per window, in a folder removed when the run ends:
an hour of audio is ~120 windows of 1500 x 512 floats (base), 370 MB in memory; on disk the
run's memory stays flat with the episode's length.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE, SILENCE_PEAK, sample_at

MAX_WINDOW_S = 30.0
EDGE_S = 0.1  # silence kept inside a window at a cut, as the plan keeps (``plan.EDGE_S``)
# Where a window is cut: in its last CUT_ZONE_S, at a pause of at least GOOD_PAUSE_S if there
# is one (a breath between sentences; 0.3 s as in the plan's cuts between anchored words).
CUT_ZONE_S = 8.0
GOOD_PAUSE_S = 0.3


@dataclass(frozen=True)
class Span:
    start: float
    end: float


@dataclass(frozen=True)
class Encoded:
    """One window's encoder output (a CTranslate2 StorageView) and how many of its 3000
    feature frames hold the window's audio (the rest is padding)."""

    output: object
    n_frames: int

    def up_to(self, n_samples: int) -> "Encoded":
        """The same output read only over its first ``n_samples`` of audio (a window that
        starts where this one starts and ends earlier)."""
        return Encoded(self.output, min(self.n_frames, n_frames_of(n_samples)))


def cut_windows(speech: list[tuple[float, float]], duration: float,
                max_s: float = MAX_WINDOW_S) -> list[Span]:
    """Windows over all the speech, each at most ``max_s`` long, cut in a pause that voice
    activity finds: the latest pause of at least ``GOOD_PAUSE_S`` in the window's last
    ``CUT_ZONE_S``, else the longest one there, else the latest anywhere, else at the limit
    (alignment re-cuts a window whose edge falls inside a word).  A window ends ``EDGE_S``
    into the pause and the next starts ``EDGE_S`` before its end: the alignment gives a
    window's edge frames to its first and last words, so silence left inside would be counted
    as part of them (cut in the middle of pauses, fleurs-fr's segment edges were off by 170 ms
    at the median instead of 52).  The first window starts at 0 and the last ends with the
    audio: voice activity misses quiet speech (the first 2 s of fleurs-fr), and recognition
    is the judge of what the edges hold."""
    if duration <= 0:
        return []
    # pauses as (start, end), with the silence before the first and after the last speech
    pauses = [(a, b) for (_, a), (b, _) in zip(speech, speech[1:]) if b > a]
    out: list[Span] = []
    start = 0.0
    while duration - start > max_s:
        limit = start + max_s
        inside = [(a, b) for a, b in pauses if start + 1.0 < a + EDGE_S and a + EDGE_S <= limit]
        zone = [p for p in inside if p[0] > limit - CUT_ZONE_S]
        good = [p for p in zone if p[1] - p[0] >= GOOD_PAUSE_S]
        if good:
            a, b = good[-1]
        elif zone:
            a, b = max(zone, key=lambda p: p[1] - p[0])
        elif inside:
            a, b = inside[-1]
        else:
            a = b = limit
        end = min(a + EDGE_S, (a + b) / 2)
        out.append(Span(start, end))
        start = max(end, b - EDGE_S)
    out.append(Span(start, duration))
    return out


def silent(audio: np.ndarray, start: float, end: float) -> bool:
    """Whether audio[start:end] is digital silence (its peak under ``audio.SILENCE_PEAK``)."""
    seg = audio[sample_at(start):sample_at(end)]
    return seg.size == 0 or float(np.max(np.abs(seg))) < SILENCE_PEAK


N_FRAMES = 3000  # feature frames of the encoder's 30 s input
HOP = 160  # samples per feature frame (Whisper's feature extractor)


def n_frames_of(n_samples: int) -> int:
    """Feature frames the extractor gives for ``n_samples`` (its STFT is centred: one more
    than whole hops), at most the encoder's input."""
    return min(n_samples // HOP + 1, N_FRAMES)


def encode(model, audio: np.ndarray, start: float, end: float) -> Encoded:
    """The encoder's output for audio[start:end] (at most 30 s), padded as Whisper expects."""
    from faster_whisper.audio import pad_or_trim

    seg = audio[sample_at(start):sample_at(end)]
    feats = model.feature_extractor(seg)
    n_frames = min(feats.shape[-1], N_FRAMES)
    return Encoded(model.encode(pad_or_trim(feats)), n_frames)


def on_cpu(view):
    """An encoder output on the CPU (where numpy can read it), moved from a GPU if need be."""
    import ctranslate2

    return view if getattr(view, "device", "cpu") == "cpu" else view.to_device(ctranslate2.Device.cpu)


def _key(start: float, end: float) -> tuple[int, int]:
    return sample_at(start), sample_at(end)


class EncodingStore:
    """Encoder outputs by window, on disk for the run.

    ``get`` answers for a window that was encoded, or for one that starts on the same sample
    and ends earlier (the text's last window trimmed to where its words end, lucier-en's 2.7 s
    of room sound after the last word): its output is the stored one read up to the earlier
    end (``n_frames``), as the alignment reads any window up to its audio's end and not into
    the padding.  The encoder then saw real audio after that end where a window of its own
    would have held zeros, as it does in every 30 s window Whisper was trained on.  A window
    that starts elsewhere is encoded anew: each frame of an encoder output attends to the
    whole window, and the alignment's path starts on its first frame, so the output cannot be
    read from a later start."""

    def __init__(self):
        self._dir: str | None = None
        self._frames: dict[tuple[int, int], int] = {}
        self.hits = 0
        self.misses = 0

    def put(self, start: float, end: float, enc: Encoded) -> None:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="podalign-enc-")
        k = _key(start, end)
        np.save(os.path.join(self._dir, f"{k[0]}-{k[1]}.npy"), np.asarray(on_cpu(enc.output)))
        self._frames[k] = enc.n_frames

    def get(self, start: float, end: float) -> Encoded | None:
        import ctranslate2

        a, b = _key(start, end)
        longer = [k for k in self._frames if k[0] == a and k[1] >= b] if self._dir else []
        if not longer:
            self.misses += 1
            return None
        self.hits += 1
        k = min(longer, key=lambda k: k[1])
        arr = np.load(os.path.join(self._dir, f"{k[0]}-{k[1]}.npy"))
        return Encoded(ctranslate2.StorageView.from_array(arr), self._frames[k]).up_to(b - a)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._frames.clear()

    def __enter__(self) -> "EncodingStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


SILENCE_FORMAT = 1  # raise if what ``silence_encoding`` stores changes
DERIVED_DIR = "model-derived"  # beside the joined model in the cache root; never evicted


def _model_identity(model) -> str | None:
    """What the encoder's output on a given input depends on: the model's weights (its folder
    and ``model.bin``'s size and modification time, so a folder given a new model reads as
    another model), the device and the compute type (``model.load`` records them).  None for
    a model that did not come through ``model.load`` (tests' fakes): then nothing is kept."""
    spec = getattr(model, "podalign_spec", None)
    folder = getattr(model, "podalign_folder", None)
    if not spec or not folder:
        return None
    try:
        st = os.stat(os.path.join(folder, "model.bin"))
    except OSError:
        return None  # a hub id resolved elsewhere: computed each run, as before
    return f"{spec}|{st.st_size}|{st.st_mtime_ns}"


def silence_encoding(model):
    """The encoder's output for 30 s of digital silence: what the forced alignment weighs the
    published words against (their probability where nothing is said).  It depends on the
    model alone, so it is computed once per model, device and compute type and kept beside
    the joined model (``model-derived/``), like the model not a cache entry: ``--no-cache``
    (which is about what an episode's audio gave) leaves it, as it leaves the model.  Without
    it each run paid one more encoder pass, 1.6 s on 2 cores (7 % of a 100 s episode's run);
    the output is the same to the bit as one computed anew (checked with 1 and 2 threads), so
    nothing downstream changes.  Kept in memory on the model object too, for every window of
    the run and for ``podalign batch``'s workers, which align episode after episode with one
    model."""
    import hashlib

    import ctranslate2

    got = getattr(model, "_podalign_silence", None)
    if got is not None:
        return got
    ident = _model_identity(model)
    path = None
    if ident is not None:
        from .model import cache_dir

        name = hashlib.sha256(f"{SILENCE_FORMAT}|{MAX_WINDOW_S}|{ident}".encode()).hexdigest()[:32]
        path = os.path.join(cache_dir(), DERIVED_DIR, f"silence-{name}.npy")
        try:
            arr = np.load(path, allow_pickle=False)
            if arr.ndim == 3 and arr.shape[0] == 1:
                got = ctranslate2.StorageView.from_array(arr)
        except (OSError, ValueError):
            got = None  # absent or unreadable: computed again and written anew
    if got is None:
        silence = np.zeros(int(MAX_WINDOW_S * SAMPLE_RATE), np.float32)
        got = encode(model, silence, 0.0, MAX_WINDOW_S).output
        if path is not None:
            _keep(path, np.asarray(on_cpu(got)))
    model._podalign_silence = got
    return got


def _keep(path: str, arr: np.ndarray) -> None:
    """Written as the outputs are (``output.write_bytes_atomically``: whole or not at all); a
    folder that cannot be written costs the next run the encoder pass, nothing else."""
    import io

    from .errors import OutputError
    from .output import write_bytes_atomically

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    try:
        write_bytes_atomically(path, buf.getvalue())
    except OutputError:
        pass
