"""The recognition cache (aligner/cache.py): same audio and options reuse, anything else
recomputes; a damaged entry is recomputed and replaced; nothing half-written is left."""
from __future__ import annotations

import json

import numpy as np
import pytest

from aligner import cache
from aligner.types import HeardWord


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PODALIGN_CACHE", str(tmp_path))
    monkeypatch.delenv("PODALIGN_NO_CACHE", raising=False)
    return tmp_path / "recognition"


WORDS = [HeardWord(" Bonjour", 0.5, 0.9, 0.93, "bonjour"), HeardWord(" à tous.", 1.0, 1.4, 0.71, "a tous")]


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1
        return list(WORDS)


def test_same_audio_and_options_are_heard_once(folder):
    audio = np.linspace(-0.5, 0.5, 16000, dtype=np.float32)
    compute = Counter()
    first = cache.recognition(audio, compute, model="base", language="fr", hotwords=None)
    again = cache.recognition(audio, compute, model="base", language="fr", hotwords=None)
    assert first == again == WORDS and compute.n == 1
    cache.recognition(audio, compute, model="base", language="fr", hotwords="Kyutai")
    cache.recognition(audio * 0.5, compute, model="base", language="fr", hotwords=None)
    assert compute.n == 3  # other hotwords, other audio: heard again
    assert not list(folder.glob(".tmp-*"))


def test_a_damaged_entry_is_recomputed_and_replaced(folder):
    audio = np.zeros(1600, dtype=np.float32)
    compute = Counter()
    cache.recognition(audio, compute, model="base")
    (entry,) = folder.glob("*.json")
    data = json.loads(entry.read_text())
    data["words"][0][0] = " Bonsoir"  # the body no longer matches its checksum
    entry.write_text(json.dumps(data))
    assert cache.recognition(audio, compute, model="base") == WORDS and compute.n == 2
    assert json.loads(entry.read_text())["words"][0][0] == " Bonjour"
    entry.write_text("{not json")
    assert cache.recognition(audio, compute, model="base") == WORDS and compute.n == 3


def test_an_old_format_is_not_read(folder):
    audio = np.zeros(1600, dtype=np.float32)
    compute = Counter()
    cache.recognition(audio, compute)
    (entry,) = folder.glob("*.json")
    data = json.loads(entry.read_text())
    data["format"] = cache.FORMAT + 1
    entry.write_text(json.dumps(data))
    cache.recognition(audio, compute)
    assert compute.n == 2


def test_turned_off(folder, monkeypatch):
    monkeypatch.setenv("PODALIGN_NO_CACHE", "1")
    audio = np.zeros(1600, dtype=np.float32)
    compute = Counter()
    cache.recognition(audio, compute)
    cache.recognition(audio, compute)
    assert compute.n == 2 and not folder.exists()


# ------------------------------------------------------------------------------------------------
# the generic helper, the size limit, info and clear


def test_json_entries_round_trip_and_are_never_trusted_blindly(folder, tmp_path):
    assert cache.load_json("windows", "k1") is None
    assert cache.store_json("windows", "k1", {"times": [0.5, 1.25], "text": "é"})
    assert cache.load_json("windows", "k1") == {"times": [0.5, 1.25], "text": "é"}
    assert cache.load_json("windows", "k1", format=2) is None  # another format: a miss
    p = tmp_path / "windows" / "k1.json"
    p.write_text(p.read_text()[:-7])  # truncated
    assert cache.load_json("windows", "k1") is None
    (tmp_path / "windows" / "k2.json").write_text(p.read_text())  # another key's body
    assert cache.load_json("windows", "k2") is None
    calls = []
    assert cache.cached_json("windows", "k1", lambda: calls.append(1) or [1, 2]) == [1, 2]
    assert cache.cached_json("windows", "k1", lambda: calls.append(1) or [3]) == [1, 2] and calls == [1]
    with pytest.raises(ValueError):
        cache.store_json("whisper-base", "x", 1)  # the model is never an entry
    with pytest.raises(ValueError):
        cache.store_json("windows", "../escape", 1)


def _age(p, seconds_ago):
    import os
    import time

    t = time.time() - seconds_ago
    os.utime(p, (t, t))


def test_eviction_is_least_recently_used_first_over_every_kind(folder, tmp_path, monkeypatch):
    model = tmp_path / "whisper-base"
    model.mkdir()
    (model / "model.bin").write_bytes(b"m" * 5000)
    stranger = tmp_path / "not-ours"  # PODALIGN_CACHE may name a folder holding other things
    stranger.mkdir()
    (stranger / "keep.json").write_text("{}")
    for i, kind in enumerate(["recognition", "windows", "encoder", "windows"]):
        assert cache.store_json(kind, f"e{i}", "x" * 1000)
    entries = sorted(cache.entries(), key=lambda e: e.path.name)
    for e, age in zip(entries, [40, 30, 20, 10]):  # e0 oldest
        _age(e.path, age)
    assert cache.load_json("recognition", "e0") == "x" * 1000  # a hit makes e0 the youngest
    n, freed = cache.evict(limit=entries[0].size + entries[3].size + 10)
    assert n == 2 and freed == entries[1].size + entries[2].size
    left = sorted(e.path.name for e in cache.entries())
    assert left == ["e0.json", "e3.json"]
    assert (model / "model.bin").read_bytes() == b"m" * 5000 and (stranger / "keep.json").exists()
    monkeypatch.setenv("PODALIGN_CACHE_MAX_BYTES", "1k")
    assert cache.max_bytes() == 1000
    monkeypatch.setenv("PODALIGN_CACHE_MAX_BYTES", "lots")
    assert cache.max_bytes() == cache.DEFAULT_MAX_BYTES


def test_cache_info_and_clear_leave_the_model(folder, tmp_path):
    from click.testing import CliRunner

    from aligner.cli import main

    model = tmp_path / "whisper-base"
    model.mkdir()
    (model / "model.bin").write_bytes(b"m" * 2000)
    cache.recognition(np.zeros(160, dtype=np.float32), Counter())
    cache.store_json("windows", "w", [1])
    r = CliRunner().invoke(main, ["cache", "info"])
    assert r.exit_code == 0
    assert "recognition: 1 entry" in r.output and "windows: 1 entry" in r.output
    assert "joined model" in r.output and str(tmp_path) in r.output
    r = CliRunner().invoke(main, ["cache", "clear"])
    assert r.exit_code == 0 and "removed 2 entries" in r.output
    assert cache.entries() == [] and (model / "model.bin").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whisper-base"]


def test_no_cache_option(folder, monkeypatch):
    from aligner import cli

    cli._no_cache(True)  # what --no-cache on align and batch does before any work
    try:
        assert not cache.enabled() and not cache.store_json("windows", "k", 1)
    finally:
        monkeypatch.delenv("PODALIGN_NO_CACHE", raising=False)
    from click.testing import CliRunner

    for cmd in ("align", "batch"):
        assert "--no-cache" in CliRunner().invoke(cli.main, [cmd, "--help"]).output
