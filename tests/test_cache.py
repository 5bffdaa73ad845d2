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
