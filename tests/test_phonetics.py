import threading

import pytest

from aligner import phonetics
from aligner.phonetics import backend, espeak_voice, phonemes, sound_key, sound_similarity

needs_espeak = pytest.mark.skipif(backend() != "espeak-ng", reason="espeak-ng library not loadable")


@needs_espeak
@pytest.mark.parametrize("a,b", [
    ("conservées", "conserver"),
    ("athlètes", "atlettes"),
    ("Barreau", "Barrot"),
    ("Mashhad", "ma chade"),
    ("17", "dix-sept"),
    ("300 millions", "trois cents millions"),
])
def test_same_sound_fr(a, b):
    assert sound_similarity(a, b, "fr") >= 0.9


@needs_espeak
@pytest.mark.parametrize("a,b", [
    ("du sud", "du nord"),
    ("dix-huit", "dix-sept"),
    ("Chochoy", "Schölkopf"),
    ("un zéro zéro zéro", "mille"),
])
def test_different_sound_fr(a, b):
    assert sound_similarity(a, b, "fr") <= 0.7


@needs_espeak
def test_phonemes_ipa_and_languages():
    assert phonemes("bonjour", "fr") == "bɔ̃ʒˈuʁ"
    assert "(" not in phonemes("Jensen Wang", "fr")  # language-switch markers removed
    assert phonemes("bonjour", "en") != phonemes("bonjour", "fr")
    assert phonemes("bonjour", "zz") == phonemes("bonjour", "en")  # unknown -> English
    assert sound_key("Barreau !", "fr") == "baʁo"


def test_voice_mapping():
    assert espeak_voice("fr") == "fr"
    assert espeak_voice("en") == "en-us"
    assert espeak_voice("fr-FR") == "fr"
    assert espeak_voice(None) == "en-us"
    assert espeak_voice("xx") == "en-us"


def test_empty_and_bounds():
    assert sound_similarity("", "", "fr") == 1.0
    assert sound_similarity("?", "bonjour", "fr") == 0.0
    s = sound_similarity("Jensen Wang", "Jensen Huang", "en")
    assert 0.0 <= s <= 1.0


def test_threads_agree():
    results = []

    def work():
        results.append(sound_key("athlètes conservées", "fr"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1


def test_letter_fallback(monkeypatch):
    monkeypatch.setattr(phonetics._ESPEAK, "available", lambda: False)
    phonetics.phonemes.cache_clear()
    try:
        assert backend() == "letters"
        assert sound_similarity("Barreau", "Barrot", "fr") == 1.0
        assert sound_similarity("du sud", "du nord", "fr") < 0.7
    finally:
        phonetics.phonemes.cache_clear()
