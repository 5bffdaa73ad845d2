"""What a batch has done, kept in OUTDIR so that running the same command again goes on.

``OUTDIR/batch-state.jsonl``: one JSON line per finished episode (done, or failed with its exit
code and message), appended and fsynced as each one ends; the last line of an id wins.  Appending
keeps a catalogue of thousands O(1) per episode, and a line cut short by a kill is skipped on
reading (that episode simply runs again).  Each record holds its inputs' size, mtime and sha256:
a rerun compares size and mtime, and reads the content again only when those changed (a copied or
touched file with the same bytes is not redone).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .model import sha256_file

STATE_FILE = "batch-state.jsonl"
LOCK_FILE = ".batch.lock"
VERSION = 1


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Record:
    id: str
    status: str  # "done" | "failed"
    exit_code: int
    message: str
    inputs: dict  # role ("audio", "transcript", "names") -> {"path", "size", "mtime_ns", "sha256"} or {"path"} if missing
    settings: dict
    summary: dict = field(default_factory=dict)  # duration, words, timed, flags, files, review
    version: int = VERSION


def fingerprint(path: str | None) -> dict | None:
    """The input as it is now; {"path"} alone when it cannot be read (its failure is recorded,
    and it becomes 'changed' once it can)."""
    if path is None:
        return None
    try:
        st = os.stat(path)
        return {"path": path, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                "sha256": sha256_file(path)}
    except OSError:
        return {"path": path}


def input_unchanged(recorded: dict | None, path: str | None) -> tuple[bool, dict | None]:
    """(unchanged?, the refreshed record when only size/mtime moved and the bytes are the same)."""
    if recorded is None or path is None:
        return recorded is None and path is None, None
    if recorded.get("path") != path:
        return False, None
    try:
        st = os.stat(path)
    except OSError:
        return "size" not in recorded, None  # missing then and now: no change
    if "size" not in recorded:
        return False, None  # missing then, here now
    if st.st_size == recorded["size"] and st.st_mtime_ns == recorded["mtime_ns"]:
        return True, None
    if st.st_size != recorded["size"]:
        return False, None
    try:
        same = sha256_file(path) == recorded.get("sha256")  # only now is the content read
    except OSError:
        return False, None
    return same, ({**recorded, "mtime_ns": st.st_mtime_ns} if same else None)


def load(outdir: Path) -> dict[str, Record]:
    """The last record of each id; lines that do not parse (cut by a kill) are skipped."""
    out: dict[str, Record] = {}
    try:
        f = open(outdir / STATE_FILE, encoding="utf-8")
    except FileNotFoundError:
        return out
    with f:
        for line in f:
            try:
                d = json.loads(line)
                if d.get("version") == VERSION:
                    out[d["id"]] = Record(**d)
            except (ValueError, TypeError, KeyError):
                continue
    return out


def append(outdir: Path, rec: Record) -> None:
    line = json.dumps(asdict(rec), ensure_ascii=False) + "\n"
    with open(outdir / STATE_FILE, "a", encoding="utf-8") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())


def compact(outdir: Path, records: dict[str, Record]) -> None:
    """Rewrite the file with one line per id (atomically), when reruns have made it long."""
    path = outdir / STATE_FILE
    tmp = outdir / f".{STATE_FILE}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for rec in records.values():
            f.write(json.dumps(asdict(rec), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def up_to_date(rec: Record | None, inputs: dict[str, str | None], settings: dict,
               outdir: Path, retry_failed: bool) -> tuple[bool, Record | None]:
    """Whether an episode can be skipped, and its record refreshed where only mtimes moved.

    Redone: never run, made with other options, any input changed, a file it wrote gone, or
    failed and ``retry_failed``.  A failure with the same inputs is kept (it would fail again)."""
    if rec is None or rec.settings != settings:
        return False, None
    if set(rec.inputs) != {k for k, v in inputs.items() if v is not None}:
        return False, None
    refreshed = dict(rec.inputs)
    moved = False
    for role, path in inputs.items():
        if path is None:
            continue
        same, new = input_unchanged(rec.inputs.get(role), path)
        if not same:
            return False, None
        if new is not None:
            refreshed[role], moved = new, True
    if rec.status == "failed":
        if retry_failed:
            return False, None
    elif not all((outdir / rec.id / f).is_file() for f in rec.summary.get("files", [])):
        return False, None
    if moved:
        return True, Record(**{**asdict(rec), "inputs": refreshed})
    return True, None
