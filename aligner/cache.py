"""What recognition heard, kept per audio so that a second run on the same episode (another
transcript, an edited one, different output options) skips the costliest stage.

One entry per audio content + model + the options that change recognition (language, beam,
hotwords, speech intervals), under the per-user cache folder (``PODALIGN_CACHE`` overrides, as
for the model).  An entry carries a format version and a checksum of its body; a bad or foreign
entry is recomputed and replaced.  Entries are written atomically (temporary file, then rename),
so an interrupted run never leaves half an entry.  ``PODALIGN_NO_CACHE=1`` turns it off.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from .types import HeardWord

FORMAT = 1


def _folder() -> Path:
    from .model import cache_dir

    return cache_dir() / "recognition"


def key(samples: np.ndarray, **options) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _body(words: list[HeardWord]) -> list[list]:
    return [[w.text, w.start, w.end, w.probability, w.norm] for w in words]


def _checksum(body) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode()).hexdigest()


def load(k: str) -> list[HeardWord] | None:
    p = _folder() / f"{k}.json"
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        if d.get("format") != FORMAT or d.get("key") != k or d.get("sha256") != _checksum(d["words"]):
            return None
        return [HeardWord(t, float(s), float(e), float(pr), n) for t, s, e, pr, n in d["words"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(k: str, words: list[HeardWord]) -> None:
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        body = _body(words)
        data = json.dumps({"format": FORMAT, "key": k, "sha256": _checksum(body), "words": body},
                          ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, folder / f"{k}.json")
    except OSError:  # a cache that cannot be written is only a slower next run
        try:
            os.unlink(tmp)  # type: ignore[possibly-undefined]
        except (OSError, NameError):
            pass


def recognition(samples: np.ndarray, compute: Callable[[], list[HeardWord]], **options) -> list[HeardWord]:
    """``compute()``'s words, from the cache when this audio was heard with these options."""
    if os.environ.get("PODALIGN_NO_CACHE") == "1":
        return compute()
    k = key(samples, **options)
    words = load(k)
    if words is None:
        words = compute()
        store(k, words)
    return words
