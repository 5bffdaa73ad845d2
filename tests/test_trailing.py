"""Text at the end that is never said, and transcripts of another episode.

Unit tests of the decisions on fake heard words (no model), then the real model on the test clip
through the command line."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from aligner.forced import Window, WordFit
from aligner.normalize import is_function_word, norm_token
from aligner.plan import Plan, content_matched, make_plan, squeezed_runs
from aligner.transcript import parse_transcript
from conftest import DATA, run_cli
from test_plan import STEP, TEXT, Timeline, _line_tokens, _line_words

CREDITS = "Merci de nous avoir écoutés. Musique : Jean Dupont. Production : Studio Lumière."
TURN = "Lecteur 2 : Merci de votre écoute et à la semaine prochaine pour deux autres lectures."


# ------------------------------------------------------------------ closing lines never said

def test_closing_lines_never_heard_are_unspoken():
    t = parse_transcript(TEXT + CREDITS + "\nÀ la semaine prochaine, sur toutes les plateformes.\n",
                         language="fr")
    tl = Timeline()
    for li in (1, 2, 3, 4):
        tl.say(_line_words(t, li))
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0, 5, 6]
    assert not set(_line_tokens(t, 5) + _line_tokens(t, 6)) & set(plan.spoken)
    assert plan.spoken == [k.index for k in t.tokens if k.line in (1, 2, 3, 4)]
    assert all(w.words[-1] in plan.spoken for w in plan.windows)


def test_a_closing_line_partly_heard_is_said():
    t = parse_transcript(TEXT + CREDITS + "\n", language="fr")
    tl = Timeline()
    for li in (1, 2, 3, 4):
        tl.say(_line_words(t, li))
    tl.say(["merci", "de", "nous", "avoir", "écoutés"])  # its first sentence is said
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]
    assert set(_line_tokens(t, 5)) <= set(plan.spoken)


def test_a_text_none_of_which_is_heard_keeps_its_lines():
    """Not every line is "closing text": a text nothing of which was heard is refused instead."""
    t = parse_transcript(TEXT, language="fr")
    tl = Timeline()
    tl.say("zorglub krakatoa wumpus bzzt plonk".split())
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]
    assert plan.content_matched == 0.0


# ------------------------------------------------------------- end of the last turn unsaid

def _tail_setup(n_said: int, n_unsaid: int):
    words = [f"mot{k}" for k in range(n_said + n_unsaid)]
    t = parse_transcript("Alice : " + " ".join(words) + ".\n", language="fr")
    idx = list(range(len(words)))
    end = n_said * STEP
    plan = Plan(spoken=idx, unspoken_lines=[], omitted_runs=[], gaps=[],
                windows=[Window(0.0, end, tuple(idx))], matches=[[] for _ in t.tokens],
                anchors={}, unit_seconds=STEP)
    fits = {i: WordFit(i, i * STEP, (i + 1) * STEP, 0.5, -1.0, 1.0) for i in range(n_said)}
    fits.update({i: WordFit(i, end - 0.02, end - 0.02, 0.0, -9.0, -1.0)
                 for i in range(n_said, len(words))})
    return plan, fits, t.tokens, end


@pytest.mark.parametrize("n_unsaid", [2, 6])
def test_words_squeezed_against_the_end_of_speech_are_unsaid(n_unsaid):
    plan, fits, tokens, end = _tail_setup(12, n_unsaid)
    speech = [(0.0, end - 0.05)]
    assert squeezed_runs(plan, fits, tokens, speech) == [list(range(12, 12 + n_unsaid))]
    # without voice activity, the window's end may be a cut in the wrong place: as before
    assert squeezed_runs(plan, fits, tokens) == []


def test_words_squeezed_before_more_speech_are_not_decided_unsaid():
    """Speech follows the last window: its end was not the end of what is said."""
    plan, fits, tokens, end = _tail_setup(12, 6)
    speech = [(0.0, end - 0.05), (end + 0.5, end + 4.0)]
    assert squeezed_runs(plan, fits, tokens, speech) == []


# -------------------------------------------------------------------- content words matched

_EN = ("Welcome back to the show. Today we talk about gardening, tomatoes and the best way to "
       "water them in a hot summer without wasting a drop of it, and what it is that they need.")


def test_function_words_alone_do_not_make_a_transcript_this_audios():
    """Recognition in English of French speech hears English articles and pronouns; they match
    a wrong English transcript's (a fifth of its words) but none of its content words do."""
    t = parse_transcript("Host: " + _EN + "\n", language="en")
    tl = Timeline()
    said = [k.text.strip(".,").lower() for k in t.tokens]
    for k, w in enumerate(said):  # every function word "heard" in place, the rest garbled
        tl.say([w if is_function_word(w, "en") else f"zq{k}x"])
    tl.words = [type(h)(h.text, h.start, h.end, h.probability, norm_token(h.text, "en"))
                for h in tl.words]
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert plan.matched_fraction >= 0.2
    assert plan.content_matched == 0.0


def test_content_matched_counts_content_words_only():
    t = parse_transcript("Alice : le chat et le chien de la voisine dorment.\n", language="fr")
    idx = [k.index for k in t.tokens]
    content = [k.index for k in t.tokens if k.norm in ("chat", "chien", "voisine", "dorment")]
    matches = [[0] if i == content[0] else [] for i in range(len(t.tokens))]
    assert content_matched(t.tokens, idx, matches, "fr") == pytest.approx(0.25)
    matches = [[0] if i not in content else [] for i in range(len(t.tokens))]
    assert content_matched(t.tokens, idx, matches, "fr") == 0.0


# ------------------------------------------------------------------ the real model, on the clip

@pytest.fixture(scope="module")
def tail_runs(tmp_path_factory):
    """The clip with credits appended as a closing paragraph, and with an unsaid sentence at the
    end of its last turn: two runs of the command line."""
    src = (DATA / "fleurs-2clips.txt").read_text(encoding="utf-8").rstrip("\n")
    base = tmp_path_factory.mktemp("tail")
    out = {}
    for name, text in (("credits", src + "\n\n" + CREDITS + "\n"),
                       ("tail", src + ". Nous reviendrons sur cette histoire la semaine "
                                      "prochaine.\n"),
                       ("turn", src + "\n" + TURN + "\n")):
        tp = base / f"{name}.txt"
        tp.write_text(text, encoding="utf-8")
        res = run_cli("align", str(DATA / "fleurs-2clips.ogg"), str(tp), "-o", str(base / name),
                      "--formats", "json", "--no-review", "-q")
        assert res.returncode == 0, res.stderr
        out[name] = (text, json.loads((base / name / "fleurs-2clips.json").read_text("utf-8")))
    return out


def _no_zero_length(words, duration=15.22):
    for w in words:
        if w["start"] is not None:
            assert w["end"] - w["start"] >= 0.02, w
            assert w["start"] < duration - 0.1, w


@pytest.mark.e2e
def test_closing_paragraph_never_said_is_unspoken(tail_runs):
    text, data = tail_runs["credits"]
    spans = [text[u["char_start"]:u["char_end"]] for u in data["unspoken"]]
    assert CREDITS in spans
    a = text.index(CREDITS)
    assert not [w for w in data["words"] if w["char_start"] >= a]
    assert len(data["words"]) == 43 and all(w["start"] is not None for w in data["words"])
    assert not [m for m in data["mismatches"] if m["kind"] == "omission"]
    _no_zero_length(data["words"])


@pytest.mark.e2e
def test_unsaid_end_of_the_last_turn_is_an_omission(tail_runs):
    text, data = tail_runs["tail"]
    a = text.index("Nous reviendrons")
    tail = [w for w in data["words"] if w["char_start"] >= a]
    assert [w["text"] for w in tail][:2] == ["Nous", "reviendrons"] and len(tail) == 8
    assert all(w["start"] is None and w["end"] is None and w["reason"] == "omitted" for w in tail)
    said = [w for w in data["words"] if w["char_start"] < a]
    assert len(said) == 43 and all(w["start"] is not None for w in said)
    om = [m for m in data["mismatches"] if m["kind"] == "omission"]
    assert len(om) == 1 and om[0]["char_start"] == a
    _no_zero_length(data["words"])


@pytest.mark.e2e
def test_a_closing_turn_never_said_is_an_omission(tail_runs):
    """A last turn (a speaker's label: not credits) the audio never says is text cut from it:
    one omission over all its words, none of them timed, and not listed as unspoken."""
    text, data = tail_runs["turn"]
    a = text.index(TURN) + len("Lecteur 2 : ")
    tail = [w for w in data["words"] if w["char_start"] >= a]
    assert len(tail) == 13 and all(w["start"] is None and w["reason"] == "omitted" for w in tail)
    om = [m for m in data["mismatches"] if m["kind"] == "omission"]
    assert len(om) == 1 and (om[0]["char_start"], om[0]["char_end"]) == (a, len(text) - 1)
    assert not [u for u in data["unspoken"] if u["char_end"] > a]
    said = [w for w in data["words"] if w["char_start"] < a]
    assert len(said) == 43 and all(w["start"] is not None for w in said)
    _no_zero_length(data["words"])


@pytest.mark.e2e
def test_english_transcript_on_french_audio_is_refused(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("Host: I am sitting in a room different from the one you are in now. I am "
                     "recording the sound of my speaking voice and I am going to play it back "
                     "into the room again and again.\n", encoding="utf-8")
    res = run_cli("align", str(DATA / "fleurs-2clips.ogg"), str(other), "-o",
                  str(tmp_path / "out"), "-q")
    assert res.returncode == 6, res.stderr
    assert "content words were heard" in res.stderr and "%" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


LUCIER = Path(__file__).parents[2] / "shared" / "episodes" / "lucier-en" / "episode.mp3"


@pytest.mark.e2e
@pytest.mark.skipif(not LUCIER.exists(), reason="the team's lucier-en case is not here")
def test_french_transcript_on_english_audio_is_refused(tmp_path):
    """The reverse: the clip's French text on 15 s of English speech (cut from the team's
    lucier-en case, not shipped: its recording's licence is not stated)."""
    from aligner.audio import SAMPLE_RATE, decode

    samples = decode(str(LUCIER))[: 15 * SAMPLE_RATE]
    wav = tmp_path / "en.wav"
    with wave.open(str(wav), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    res = run_cli("align", str(wav), str(DATA / "fleurs-2clips.txt"), "-o",
                  str(tmp_path / "out"), "-q")
    assert res.returncode == 6, res.stderr
    assert "content words were heard" in res.stderr
