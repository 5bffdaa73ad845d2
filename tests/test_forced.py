"""Forced alignment with the real model on real speech: what ``WordFit`` measures of a word."""
from __future__ import annotations

import pytest

from aligner import audio as audio_mod
from aligner import model as model_mod
from aligner.flags import BODY_BAR
from aligner.forced import ForcedAligner, Window

from conftest import DATA

pytestmark = pytest.mark.e2e  # the real model on real speech

# The first FLEURS sentence of the test clip (spoken 0.40-8.60 s): it ends "tuant ainsi
# dix-sept personnes", which the published text gets wrong as "dix-huit".
SAID = ("le même mois un autre avion de ligne a fait une sortie de piste à mashhad et a heurté "
        "un mur tuant ainsi dix-sept personnes").split()
SAID_2 = "giancarlo fisichella a perdu le contrôle de sa voiture et a terminé la course".split()


@pytest.fixture(scope="module")
def fitted():
    model, *_ = model_mod.load("base")
    samples = audio_mod.decode(str(DATA / "fleurs-2clips.ogg"))
    aligner = ForcedAligner(model, "fr")

    def fit(words: list[str], start: float = 0.0, end: float = 9.0):
        window = Window(start, end, tuple(range(len(words))))
        fits, _ = aligner.align_window(samples, window, words)
        return {f.index: f for f in fits}

    return fit


def test_a_word_said_is_borne_out_in_its_body_a_wrong_one_is_not(fitted):
    k = SAID.index("dix-sept")
    right = fitted(SAID)[k]
    wrong = fitted(SAID[:k] + ["dix-huit"] + SAID[k + 1:])[k]
    # "dix-" is the same; what follows it is what the audio says or does not
    assert right.body_logprob is not None and wrong.body_logprob is not None
    assert right.body_logprob > BODY_BAR > wrong.body_logprob
    assert right.body_logprob - wrong.body_logprob >= 1.0


def test_words_of_one_piece_have_no_body_and_times_follow_the_speech(fitted):
    fits = fitted(SAID)
    assert fits[SAID.index("mur")].body_logprob is None  # " mur": one token
    assert fits[SAID.index("heurté")].body_logprob > BODY_BAR  # said, and rare: " he|urt|é"
    starts = [fits[i].start for i in sorted(fits)]
    assert starts == sorted(starts)
    # (the first word takes the silence before it: snapping to the speech comes later)
    assert 3.4 <= fits[SAID.index("mashhad")].start <= 4.3
    assert 7.6 <= fits[len(SAID) - 1].start <= 8.6


def test_a_later_piece_the_language_predicts_says_nothing_of_the_audio(fitted):
    fits = fitted(SAID_2, 9.0, 15.2)
    # " termin|é": after "a termin", "é" is the language's (more likely than not on silence)
    assert fits[SAID_2.index("terminé")].body_logprob is None
    # a rare name's later pieces are unlikely even when it is said
    assert fits[SAID_2.index("fisichella")].body_logprob < BODY_BAR
