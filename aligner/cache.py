"""What depends only on the audio and the model, kept so that a second run on the same episode
(another transcript, an edited one, other output options) skips the costliest stages.

Layout: ``cache_dir()/<kind>/<key>.json`` (``model.cache_dir()``: the per-user cache folder,
``PODALIGN_CACHE`` overrides, as for the model).  ``recognition`` holds what recognition heard,
one entry per audio content + model + the options that change recognition (language, beam,
hotwords, speech intervals); other stages add their own kinds through ``store_json`` /
``load_json``.  The joined model (``whisper-base``) lives beside them and is never an entry:
nothing here evicts or clears it.

Every entry carries a format version, its kind and key, and a checksum of its body; a bad,
truncated or foreign entry reads as a miss (recomputed and replaced), never a crash.  Entries are
written atomically (temporary file, then rename), so an interrupted run never leaves half an
entry.  A hit refreshes the entry's modification time; when the cache grows past its limit
(``PODALIGN_CACHE_MAX_BYTES``, default 2 GB) the least recently used entries go first, whatever
their kind.  ``PODALIGN_NO_CACHE=1`` (``--no-cache``) turns reading and writing off.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .types import HeardWord

FORMAT = 1  # the recognition entries' layout
DEFAULT_MAX_BYTES = 2_000_000_000
# Folders of the cache root that are not entries: the joined model (model.bundled_base_dir) and
# what is computed from a model alone (windows.DERIVED_DIR: its encoding of silence).
NOT_ENTRIES = frozenset({"whisper-base", "model-derived"})
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_TMP = ".tmp-"
# Written in every kind folder this module makes: PODALIGN_CACHE may name a folder that holds
# other things, and only folders carrying it (or the recognition folder of earlier versions)
# are ever evicted or cleared.
MARKER = ".podalign-cache"
_STALE_TMP_S = 3600.0  # a temporary file this old belongs to a run that died
_EVICT_EVERY_S = 10.0  # walking the cache after every store would cost more than it saves
_last_evict = float("-inf")


def root() -> Path:
    from .model import cache_dir

    return cache_dir()


def enabled() -> bool:
    return os.environ.get("PODALIGN_NO_CACHE") != "1"


def max_bytes() -> int:
    """The size limit: ``PODALIGN_CACHE_MAX_BYTES`` (bytes, or with a K/M/G suffix, powers of
    1000), else 2 GB; a value that does not parse is ignored rather than fatal."""
    raw = os.environ.get("PODALIGN_CACHE_MAX_BYTES", "").strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)[bB]?", raw)
    if not m:
        return DEFAULT_MAX_BYTES
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def _path(kind: str, key: str) -> Path:
    if not _NAME.match(kind) or kind in NOT_ENTRIES:
        raise ValueError(f"not a cache kind: {kind!r}")
    if not _NAME.match(key):
        raise ValueError(f"not a cache key: {key!r}")
    return root() / kind / f"{key}.json"


def _checksum(body) -> str:
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _read(kind: str, key: str, fmt: int, field_: str):
    p = _path(kind, key)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        if (not isinstance(d, dict) or d.get("format") != fmt or d.get("key") != key
                or d.get("sha256") != _checksum(d[field_])):
            return None
        body = d[field_]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.utime(p)  # a hit makes the entry young again: eviction is least recently used first
    except OSError:
        pass
    return body


def _write(kind: str, key: str, fmt: int, field_: str, body) -> bool:
    p = _path(kind, key)
    tmp = None
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if not (p.parent / MARKER).exists():
            (p.parent / MARKER).write_text("podalign cache entries (podalign cache info|clear)\n")
        data = json.dumps({"format": fmt, "kind": kind, "key": key, "sha256": _checksum(body),
                           field_: body}, ensure_ascii=False, allow_nan=False)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=_TMP, suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, p)
        tmp = None
    except (OSError, ValueError, TypeError):  # a cache that cannot be written is only a slower next run
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
    _maybe_evict()
    return True


# ------------------------------------------------------------------------------------------------
# the generic helper other stages use


def store_json(kind: str, key: str, obj: Any, *, format: int = 1) -> bool:
    """Keep ``obj`` (anything ``json.dumps`` takes) as entry ``kind/key``; False when the cache is
    off or cannot be written (never raises for that).  ``kind`` and ``key``: letters, digits,
    ``_ . -`` (a hash hex digest is a good key)."""
    if not enabled():
        return False
    return _write(kind, key, format, "body", obj)


def load_json(kind: str, key: str, *, format: int = 1) -> Any | None:
    """The object stored as ``kind/key`` with this format, or None: off, missing, damaged,
    written by another format, or another key's file."""
    if not enabled():
        return None
    return _read(kind, key, format, "body")


def cached_json(kind: str, key: str, compute: Callable[[], Any], *, format: int = 1) -> Any:
    """``compute()``'s result, from the cache when present (and stored after computing)."""
    got = load_json(kind, key, format=format)
    if got is None:
        got = compute()
        store_json(kind, key, got, format=format)
    return got


def digest(*parts: Any) -> str:
    """A key from arrays (their float32 bytes) and plain values (their sorted JSON)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p, dtype=np.float32).tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=str).encode())
        h.update(b"\x00")
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# recognition entries


def key(samples: np.ndarray, **options) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _body(words: list[HeardWord]) -> list[list]:
    return [[w.text, w.start, w.end, w.probability, w.norm] for w in words]


def load(k: str) -> list[HeardWord] | None:
    body = _read("recognition", k, FORMAT, "words")
    if body is None:
        return None
    try:
        return [HeardWord(t, float(s), float(e), float(pr), n) for t, s, e, pr, n in body]
    except (ValueError, TypeError):
        return None


def store(k: str, words: list[HeardWord]) -> None:
    _write("recognition", k, FORMAT, "words", _body(words))


def recognition(samples: np.ndarray, compute: Callable[[], list[HeardWord]], **options) -> list[HeardWord]:
    """``compute()``'s words, from the cache when this audio was heard with these options."""
    if not enabled():
        return compute()
    k = key(samples, **options)
    words = load(k)
    if words is None:
        words = compute()
        store(k, words)
    return words


# ------------------------------------------------------------------------------------------------
# size limit, info, clear


@dataclass(frozen=True)
class Entry:
    path: Path
    kind: str
    size: int
    mtime: float


def _kind_dirs() -> list[Path]:
    try:
        return sorted(p for p in root().iterdir()
                      if p.is_dir() and not p.is_symlink() and p.name not in NOT_ENTRIES
                      and ((p / MARKER).is_file() or p.name == "recognition"))
    except OSError:
        return []


def entries() -> list[Entry]:
    """Every file under every kind folder (whatever the kind, nested folders included), the
    joined model and temporary files being written excepted."""
    out = []
    for d in _kind_dirs():
        for dirpath, _, files in os.walk(d):
            for name in files:
                if name.startswith(_TMP) or name == MARKER:
                    continue
                p = Path(dirpath) / name
                try:
                    st = p.stat()
                except OSError:
                    continue
                out.append(Entry(p, d.name, st.st_size, st.st_mtime))
    return out


def _remove(p: Path) -> bool:
    try:
        p.unlink()
        return True
    except OSError:
        return False


def _prune_empty(d: Path) -> None:
    for dirpath, _, _ in sorted(os.walk(d), key=lambda t: -len(t[0])):
        if dirpath != str(d):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def evict(limit: int | None = None) -> tuple[int, int]:
    """Remove the least recently used entries until the cache holds at most ``limit`` bytes
    (default ``max_bytes()``), and temporary files left by runs that died.  Returns (entries
    removed, bytes freed)."""
    limit = max_bytes() if limit is None else limit
    now = time.time()
    for d in _kind_dirs():
        for dirpath, _, files in os.walk(d):
            for name in files:
                p = Path(dirpath) / name
                try:
                    if name.startswith(_TMP) and now - p.stat().st_mtime > _STALE_TMP_S:
                        p.unlink()
                except OSError:
                    pass
    es = entries()
    total = sum(e.size for e in es)
    n = freed = 0
    for e in sorted(es, key=lambda e: (e.mtime, str(e.path))):
        if total <= limit:
            break
        if _remove(e.path):
            total -= e.size
            freed += e.size
            n += 1
    if n:
        for d in _kind_dirs():
            _prune_empty(d)
    return n, freed


def _maybe_evict() -> None:
    global _last_evict
    if time.monotonic() - _last_evict < _EVICT_EVERY_S:
        return
    _last_evict = time.monotonic()
    try:
        evict()
    except OSError:  # a cache that cannot be trimmed still works
        pass


@dataclass
class Info:
    root: Path
    limit: int
    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (entries, bytes)
    model_bytes: int = 0  # the joined model and what is derived from it: beside the cache, not counted, never removed

    @property
    def total(self) -> int:
        return sum(b for _, b in self.kinds.values())


def _tree_bytes(p: Path) -> int:
    n = 0
    for dirpath, _, files in os.walk(p):
        for name in files:
            try:
                n += (Path(dirpath) / name).stat().st_size
            except OSError:
                pass
    return n


def info() -> Info:
    out = Info(root(), max_bytes())
    for e in entries():
        c, b = out.kinds.get(e.kind, (0, 0))
        out.kinds[e.kind] = (c + 1, b + e.size)
    out.model_bytes = sum(_tree_bytes(root() / m) for m in NOT_ENTRIES)
    return out


def human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def info_lines(i: Info) -> list[str]:
    lines = [f"cache folder: {i.root}" + ("" if enabled() else " (off: PODALIGN_NO_CACHE=1)"),
             f"size: {human(i.total)} of {human(i.limit)} (PODALIGN_CACHE_MAX_BYTES; least "
             "recently used entries are removed first)"]
    for kind, (c, b) in sorted(i.kinds.items()):
        lines.append(f"  {kind}: {c} entr{'y' if c == 1 else 'ies'}, {human(b)}")
    if not i.kinds:
        lines.append("  (no entries)")
    if i.model_bytes:
        lines.append(f"joined model and its silence encoding (kept by 'cache clear'): "
                     f"{human(i.model_bytes)}")
    return lines


def clear() -> tuple[int, int]:
    """Remove every entry of every kind; the joined model stays.  Returns (entries, bytes)."""
    n = freed = 0
    for e in entries():
        if _remove(e.path):
            n += 1
            freed += e.size
    for d in _kind_dirs():
        shutil.rmtree(d, ignore_errors=True)
    return n, freed
