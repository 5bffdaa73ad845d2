"""What the report says of speech with no text that recognition could not read (no audio: a small
stand-in for faster-whisper's model; the real model runs in test_e2e.py)."""
from __future__ import annotations

import numpy as np
import pytest

from aligner import pipeline
from aligner.pipeline import _heard_as_said
from aligner.plan import Gap
from aligner.types import HeardWord


class _Model:
    """Says the audio is in ``lang`` and hears ``words`` in it, recording the languages asked."""

    def __init__(self, lang: str, words: dict[str, list[str]]):
        self.lang, self.words, self.asked = lang, words, []

    def detect_language(self, audio):
        return self.lang, 0.9, [(self.lang, 0.9)]


@pytest.fixture(autouse=True)
def _recognition(monkeypatch):
    """Recognition as the stand-in model hears it (the real decoding runs in test_e2e.py)."""
    def recognize(model, audio, language, *_, **__):
        model.asked.append(language)
        return [HeardWord(w, 0.1 * k, 0.1 * k + 0.08, 0.9, w)
                for k, w in enumerate(model.words.get(language, []))]

    monkeypatch.setattr(pipeline, "recognize", recognize)
    monkeypatch.setenv("PODALIGN_NO_CACHE", "1")  # what is asked, not an earlier run's entry


_GAP = Gap(2.0, 8.0, [], 3, heard_in_it=False)
_AUDIO = np.zeros(16000 * 10, np.float32)
_AGAIN = [HeardWord("Mais", 0.0, 0.2, 0.3, "mais"), HeardWord("le", 0.2, 0.3, 0.3, "le")]


def test_speech_in_another_language_is_heard_in_it_and_marked():
    model = _Model("en", {"en": ["and", "now", "a", "word"]})
    said, words = _heard_as_said(model, _AUDIO, "fr", _GAP, _AGAIN)
    assert said == "[en] and now a word" and [w.text for w in words] == ["and", "now", "a", "word"]
    assert model.asked == ["en"]


def test_speech_in_the_episodes_language_keeps_what_was_heard_again():
    model = _Model("fr", {})
    assert _heard_as_said(model, _AUDIO, "fr", _GAP, _AGAIN) == ("Mais le", _AGAIN)
    assert model.asked == []  # no second recognition


def test_a_stretch_heard_alone_leaves_its_loop_out(monkeypatch):
    import numpy as np

    from aligner import pipeline
    from aligner.types import HeardWord

    said = "I am sitting in a room again and again until the".split()
    words = [HeardWord(w, 0.3 * k, 0.3 * k + 0.2, 0.9, w.lower()) for k, w in enumerate(said)]
    words += [HeardWord("or,", 4.0 + 0.2 * k, 4.1 + 0.2 * k, 0.6, "or") for k in range(30)]
    monkeypatch.setattr(pipeline.cache, "recognition", lambda piece, hear, **key: list(words))
    got = pipeline._heard(object(), np.zeros(16000, np.float32), "en")
    assert [w.text for w in got][:len(said)] == said and len(got) <= len(said) + 1
    assert pipeline.credible_speech(got)  # the loop made it look like no speech at all
