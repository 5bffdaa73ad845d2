"""Unit tests of the plan (aligner/plan.py) on fake transcripts and fake heard words: no model."""
from __future__ import annotations

import random
import statistics

import pytest

from aligner.forced import Window, WordFit
from aligner.windows import MAX_WINDOW_S
from aligner.normalize import norm_token
from aligner.plan import (Gap, Plan, _n_units, edge_speech, make_plan, recut_windows,
                          squeezed_candidates, squeezed_runs, stretched_words)
from aligner.transcript import parse_transcript
from aligner.types import HeardWord

STEP = 0.3  # seconds per heard word

HEADER = "Les volcans islandais racontés par une géologue passionnée"
TURNS = [
    ("Alice", "Bonjour et bienvenue dans notre émission consacrée aux volcans du nord."),
    ("Bruno", "Merci Alice, je suis ravi de parler des éruptions récentes en Islande."),
    ("Alice", "Commençons par la péninsule de Reykjanes qui gronde depuis plusieurs années."),
    ("Bruno", "Oui, la lave a coulé près de Grindavik et les habitants ont été évacués."),
]
TEXT = HEADER + "\n" + "".join(f"{s} : {x}\n" for s, x in TURNS)
EXTRA = ("pendant ce temps notre partenaire vous propose une offre exceptionnelle sur les "
         "abonnements annuels valable jusqu'à dimanche soir seulement profitez-en vite avant "
         "qu'il ne soit trop tard merci").split()


class Timeline:
    """Heard words laid out one after the other, STEP seconds apart."""

    def __init__(self, t0: float = 0.5):
        self.t = t0
        self.words: list[HeardWord] = []

    def say(self, words, prob: float = 0.9, step: float = STEP) -> tuple[float, float]:
        start = self.t
        for w in words:
            self.words.append(HeardWord(w, round(self.t, 3), round(self.t + step * 0.8, 3), prob,
                                        norm_token(w, "fr")))
            self.t += step
        return start, self.t

    def pause(self, s: float) -> None:
        self.t += s


@pytest.fixture(scope="module")
def tr():
    t = parse_transcript(TEXT, language="fr")
    assert [ln.header for ln in t.lines] == [True, False, False, False, False]
    return t


def _line_words(t, li):
    return [k.text for k in t.tokens if k.line == li]


def _line_tokens(t, li):
    return [k.index for k in t.tokens if k.line == li]


# ---------------------------------------------------------------------------- header lines

def test_unheard_header_line_is_unspoken(tr):
    tl = Timeline()
    for li in (1, 2, 3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]
    header_tokens = set(_line_tokens(tr, 0))
    assert header_tokens and not header_tokens & set(plan.spoken)
    assert plan.spoken == [k.index for k in tr.tokens if k.line != 0]
    assert plan.gaps == []
    assert plan.matched_fraction == pytest.approx(1.0)
    # every heard word took STEP: the pace is STEP over each word's length in average words
    expected = statistics.median(STEP / _n_units(tr.tokens[i]) for i in plan.spoken[:-1])
    assert plan.unit_seconds == pytest.approx(expected, abs=0.01)


def test_header_sharing_function_words_with_an_intro_is_unspoken(tr):
    """An intro says the show's name and "les ... par une": half the title's words, but one of
    its five content words.  The title is still never read."""
    tl = Timeline()
    tl.say("bonjour et voici les volcans par une équipe".split())
    tl.pause(1.0)
    for li in (1, 2, 3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]


def test_heard_header_line_is_spoken(tr):
    tl = Timeline()
    for li in (0, 1, 2, 3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == []
    assert plan.spoken == [k.index for k in tr.tokens]
    assert plan.gaps == []
    assert plan.matched_fraction == pytest.approx(1.0)


def test_with_no_labels_unheard_leading_lines_are_unspoken_up_to_the_first_heard_one():
    """A transcript with no speaker labels: the leading lines are judged from the audio, a title
    never read is unspoken, one read aloud is spoken text, and nothing after the first heard
    line is a header candidate (a body line recognition missed is an omission to find later)."""
    t = parse_transcript(HEADER + "\n" + "".join(f"{x}\n" for _, x in TURNS), language="fr")
    assert not any(ln.label for ln in t.lines)
    tl = Timeline()
    for li in (1, 3, 4):  # line 2 (body) not heard either
        tl.say(_line_words(t, li))
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]
    tl = Timeline()
    for li in (0, 1, 2, 3, 4):
        tl.say(_line_words(t, li))
    assert make_plan(t, tl.words, tl.t + 1.0).unspoken_lines == []
    # A leading line recognition garbled (one content word of six heard) is kept: without
    # labels nothing tells a title from an opening paragraph, so only one never heard goes.
    tl = Timeline()
    tl.say(["bonjour", "les", "volcans", "et", "merci", "beaucoup"])
    for li in (1, 2, 3, 4):
        tl.say(_line_words(t, li))
    assert make_plan(t, tl.words, tl.t + 1.0).unspoken_lines == []
    labelled = parse_transcript(TEXT, language="fr")  # with labels, the same line is a header
    tl = Timeline()
    tl.say(["bonjour", "les", "volcans", "et", "merci", "beaucoup"])
    for li in (1, 2, 3, 4):
        tl.say(_line_words(labelled, li))
    assert make_plan(labelled, tl.words, tl.t + 1.0).unspoken_lines == [0]


# ------------------------------------------------------------------------------------ gaps

def test_untranscribed_speech_between_sentences_is_one_gap(tr):
    tl = Timeline()
    for li in (1, 2):
        tl.say(_line_words(tr, li))
    g0, g1 = tl.say(EXTRA, prob=0.8)
    assert 8.0 <= g1 - g0 <= 8.5
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert len(plan.gaps) == 1
    gap = plan.gaps[0]
    assert gap.before_token == _line_tokens(tr, 3)[0]
    assert tr.tokens[gap.before_token].text == "Commençons"
    assert gap.start == pytest.approx(g0, abs=0.35)
    assert gap.end == pytest.approx(g1, abs=0.35)
    n_before = len(_line_words(tr, 1)) + len(_line_words(tr, 2))
    assert gap.heard == list(range(n_before, n_before + len(EXTRA)))
    # no window spans the gap
    for w in plan.windows:
        assert w.end <= gap.start + 1e-6 or w.start >= gap.end - 1e-6
    assert plan.unspoken_lines == [0]
    assert plan.matched_fraction == pytest.approx(1.0)


LOOP = ("la fin de " * 7).split()[:20]
LONG_PHRASE = "mais si vous n'avez pas mis de coups à ma carrière".split()


def test_a_loop_on_a_long_phrase_makes_no_gap(tr):
    """Recognition looping on a 10-word phrase, its last repeat on its own after a pause (as
    monde-numerique was heard on another CPU): each repeat's words are distinct and heard with
    certainty, but they are the loop's, not speech with no text."""
    tl = Timeline()
    for li in (1, 2):
        tl.say(_line_words(tr, li))
    tl.say(LONG_PHRASE * 3, prob=0.8, step=0.1)
    tl.pause(2.0)
    tl.say(LONG_PHRASE, prob=0.9, step=0.5)
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    assert make_plan(tr, tl.words, tl.t + 1.0).gaps == []
    # the same last words said once, with no loop before them, are speech with no text
    tl = Timeline()
    for li in (1, 2):
        tl.say(_line_words(tr, li))
    tl.say(LONG_PHRASE, prob=0.9, step=0.5)
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    assert len(make_plan(tr, tl.words, tl.t + 1.0).gaps) == 1


@pytest.mark.parametrize("heard, prob", [
    (LOOP, 0.8),  # recognition running in a loop
    (None, 0.3),  # recognition guessing at noise (EXTRA at low probability)
], ids=["loop", "low-probability"])
def test_heard_words_that_are_not_speech_make_no_gap(tr, heard, prob):
    tl = Timeline()
    for li in (1, 2):
        tl.say(_line_words(tr, li))
    tl.say(heard or EXTRA, prob=prob)
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.gaps == []


def test_untranscribed_speech_at_start_is_a_gap_before_first_token(tr):
    tl = Timeline()
    g0, g1 = tl.say(EXTRA, prob=0.8)
    tl.pause(0.5)
    for li in (1, 2, 3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert len(plan.gaps) == 1
    assert plan.gaps[0].before_token == plan.spoken[0] == _line_tokens(tr, 1)[0]
    assert plan.gaps[0].start == pytest.approx(g0, abs=0.05)
    assert plan.windows[0].start >= plan.gaps[0].end - 1e-6


# -------------------------------------------------------------------------------- windows

_SYLL = ["ba", "ko", "ri", "mu", "te", "ly", "sa", "no", "vi", "pe", "da", "gu", "lo", "fe",
         "zi", "ta", "mo", "ne", "ru", "ki"]


def _fake_words(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_SYLL) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def _long_transcript(n_words: int = 600, seed: int = 5):
    words = _fake_words(n_words, seed)
    lines, k, spk = [], 0, 0
    rng = random.Random(seed + 1)
    while k < len(words):
        n = rng.randint(8, 40)
        chunk = words[k:k + n]
        k += n
        lines.append(f"{['Alice', 'Bruno'][spk]} : " + " ".join(chunk) + ".")
        spk = 1 - spk
    return parse_transcript("\n".join(lines) + "\n", language="fr")


def _check_windows(plan: Plan, duration: float):
    assert plan.windows
    flat = [i for w in plan.windows for i in w.words]
    assert flat == plan.spoken  # every spoken token exactly once, in order
    for w in plan.windows:
        assert w.words
        assert 0.0 <= w.start < w.end <= duration
        assert w.end - w.start <= MAX_WINDOW_S
    for a, b in zip(plan.windows, plan.windows[1:]):
        assert a.end <= b.start + 1e-6


def test_windows_three_minutes_no_speech_regions():
    t = _long_transcript()
    tl = Timeline()
    for li in range(len(t.lines)):
        tl.say(_line_words(t, li))
        tl.pause(0.4)
    duration = tl.t + 1.0
    assert 175 <= duration <= 230
    plan = make_plan(t, tl.words, duration)
    assert plan.spoken == [k.index for k in t.tokens]
    _check_windows(plan, duration)
    assert len(plan.windows) >= 6
    # each window holds the heard times of its words
    for w in plan.windows:
        for i in w.words:
            if i in plan.anchors:
                s, e = plan.anchors[i]
                assert w.start - 0.5 <= s and e <= w.end + 0.5


def test_windows_three_minutes_with_speech_regions():
    t = _long_transcript(seed=9)
    tl = Timeline()
    speech = []
    for li in range(len(t.lines)):
        a, b = tl.say(_line_words(t, li))
        speech.append((a - 0.02, b - STEP * 0.2 + 0.02))
        tl.pause(0.6)
    duration = tl.t + 1.0
    plan = make_plan(t, tl.words, duration, speech)
    _check_windows(plan, duration)
    # a cut never falls inside a heard word, and most cuts fall in pauses between speech
    edges = [w.start for w in plan.windows[1:]] + [w.end for w in plan.windows[:-1]]
    for x in edges:
        assert not any(h.start + 0.01 < x < h.end - 0.01 for h in tl.words)
    in_pause = [x for x in edges if not any(a < x < b for a, b in speech)]
    assert len(in_pause) >= len(edges) // 2


# ----------------------------------------------------------------------- matched fraction

def test_matched_fraction_low_for_unrelated_transcript(tr):
    tl = Timeline()
    tl.say(_fake_words(120, seed=2))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.matched_fraction < 0.2


def test_matched_fraction_partial():
    t = _long_transcript(n_words=200, seed=4)
    tl = Timeline()
    said = [k.text for k in t.tokens]
    half = len(said) // 2
    tl.say(said[:half])
    tl.say(_fake_words(len(said) - half, seed=99))
    plan = make_plan(t, tl.words, tl.t + 1.0)
    assert 0.4 <= plan.matched_fraction <= 0.65


# -------------------------------------------------------------------------- squeezed_runs

def _squeeze_setup(n: int, short: range, windows=None):
    t = _long_transcript(n_words=60, seed=1)
    idx = list(range(n))
    windows = windows or [Window(0.0, n * STEP, tuple(idx))]
    plan = Plan(spoken=idx, unspoken_lines=[], omitted_runs=[], gaps=[], windows=windows,
                matches=[[] for _ in t.tokens], anchors={}, unit_seconds=STEP)
    fits, tcur = {}, 0.0
    for i in idx:
        d = 0.02 if i in short else STEP
        fits[i] = WordFit(i, tcur, tcur + d, 0.5, -1.0, 1.0)
        tcur += d
    return plan, fits, t.tokens


def test_squeezed_interior_run_found():
    plan, fits, tokens = _squeeze_setup(20, range(7, 13))
    assert squeezed_runs(plan, fits, tokens) == [[7, 8, 9, 10, 11, 12]]


@pytest.mark.parametrize("short", [range(0, 6), range(1, 7), range(14, 20), range(13, 19)])
def test_squeezed_run_at_window_edge_ignored(short):
    plan, fits, tokens = _squeeze_setup(20, short)
    assert squeezed_runs(plan, fits, tokens) == []


@pytest.mark.parametrize("short", [range(0, 6), range(14, 20)])
def test_squeezed_run_at_window_edge_is_a_candidate_for_the_verdict(short):
    # The rules drop it (a wrong cut may explain it); the verdict still gets to weigh it, with
    # what it knows: against a window's edge, squeezed to a fraction of the time it needs.
    plan, fits, tokens = _squeeze_setup(20, short)
    [c] = squeezed_candidates(plan, fits, tokens)
    assert c.tokens == list(short) and not c.sure and c.at_edge and not c.against_gap
    assert c.squeeze < 0.25


def test_squeezed_interior_run_is_sure():
    plan, fits, tokens = _squeeze_setup(20, range(7, 13))
    [c] = squeezed_candidates(plan, fits, tokens)
    assert c.sure and not c.at_edge and c.squeeze < 0.25


def _heard_around(plan, run, between: int):
    # recognition heard every other word once, in order, with `between` heard words (that match
    # nothing) just after the run's first neighbour
    h = 0
    for i in plan.spoken:
        if i in run:
            continue
        plan.matches[i] = [h]
        h += 1 + (between if i == run[0] - 1 else 0)


@pytest.mark.parametrize("between, heard", [(0, True), (2, False)])
def test_squeezed_run_knows_whether_its_neighbours_were_heard_one_after_the_other(between, heard):
    # An added sentence: the audio goes from the word before it to the word after it.  A loop or
    # a garble: other words heard between them, or the neighbours not heard at all.
    w1 = Window(0.0, 3.0, tuple(range(0, 10)))
    w2 = Window(3.0, 6.0, tuple(range(10, 20)))
    plan, fits, tokens = _squeeze_setup(20, range(4, 10), windows=[w1, w2])
    _heard_around(plan, range(4, 10), between)
    [c] = squeezed_candidates(plan, fits, tokens)
    assert c.at_edge and c.neighbours_heard is heard
    plan.matches[3] = []
    [c] = squeezed_candidates(plan, fits, tokens)
    assert not c.neighbours_heard


def test_squeezed_run_too_short_ignored():
    plan, fits, tokens = _squeeze_setup(20, range(7, 11))  # 4 words < SQUEEZE_MIN_WORDS
    assert squeezed_runs(plan, fits, tokens) == []


def test_squeezed_run_across_windows_ignored():
    w1 = Window(0.0, 3.0, tuple(range(0, 10)))
    w2 = Window(3.0, 6.0, tuple(range(10, 20)))
    plan, fits, tokens = _squeeze_setup(20, range(7, 13), windows=[w1, w2])
    assert squeezed_runs(plan, fits, tokens) == []


@pytest.mark.parametrize("short, found", [
    (range(14, 20), True),  # the whole last sentence
    (range(13, 19), False),  # the end of one sentence and most of the next: not an editor's cut
    (range(15, 20), False),  # the end of a sentence recognition garbled before an ad
])
def test_squeezed_run_against_speech_with_no_text(short, found):
    """A sentence cut where an ad was put in: its words are squeezed against the window's end,
    and that end is the ad, not a cut the text runs on across."""
    t = parse_transcript("Alice : " + " ".join(f"mot{k}" for k in range(14)) + ". " +
                         " ".join(f"terme{k}" for k in range(14, 19)) + " fin.\n", language="fr")
    idx = list(range(20))
    plan = Plan(spoken=idx, unspoken_lines=[], omitted_runs=[], gaps=[],
                windows=[Window(0.0, 20 * STEP, tuple(idx))], matches=[[] for _ in t.tokens],
                anchors={}, unit_seconds=STEP)
    fits, tcur = {}, 0.0
    for i in idx:
        d = 0.02 if i in short else STEP
        fits[i] = WordFit(i, tcur, tcur + d, 0.5, -1.0, 1.0)
        tcur += d
    plan.gaps = [Gap(tcur + 0.1, tcur + 7.0, [0, 1, 2], before_token=20)]
    assert squeezed_runs(plan, fits, t.tokens) == ([list(short)] if found else [])


def test_a_sentence_under_way_is_said_before_speech_with_no_text(tr):
    """A sentence whose end recognition garbled, then an added remark: the unmatched heard words
    run from the garbled end into the remark, but the sentence's end is said before it."""
    tl = Timeline()
    tl.say(_line_words(tr, 1))
    words2 = _line_words(tr, 2)
    tl.say(words2[:6])
    _, garbled_end = tl.say(["xyz", "qwv", "bzz", "vvk", "pfl", "zzq"][:len(words2) - 6], prob=0.6)
    tl.pause(0.6)
    g0, g1 = tl.say(EXTRA, prob=0.8)
    tl.pause(0.8)
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    speech = [(0.5, garbled_end), (g0, g1), (g1 + 0.8, tl.t)]
    plan = make_plan(tr, tl.words, tl.t + 1.0, speech)
    assert len(plan.gaps) == 1
    assert plan.gaps[0].start == pytest.approx(g0, abs=0.1)


def test_words_before_speech_with_no_text_end_before_it(tr):
    """A sentence never said right before an ad: estimated times spread it up to the next heard
    word, over the ad; its window still ends where the ad starts."""
    tl = Timeline()
    tl.say(_line_words(tr, 1))
    g0, g1 = tl.say(EXTRA, prob=0.8)  # line 2 is not said: the ad is in its place
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert len(plan.gaps) == 1
    gap = plan.gaps[0]
    unsaid = next(w for w in plan.windows if _line_tokens(tr, 2)[-1] in w.words)
    assert unsaid.end <= gap.start + 1e-6 or unsaid.start >= gap.end - 1e-6


def test_next_turns_unheard_first_words_come_after_speech_with_no_text(tr):
    """An ad between two turns, the next turn's first words garbled: recognition's stretch of
    unmatched speech runs on into them, but they belong after the ad."""
    tl = Timeline()
    for li in (1, 2):
        tl.say(_line_words(tr, li))
    g0, g1 = tl.say(EXTRA, prob=0.8)
    tl.pause(0.8)
    line3 = _line_words(tr, 3)
    tl.say(["xyz", "qwv", "bzz"], prob=0.6)  # "Commençons par la", garbled
    tl.say(line3[3:])
    for li in (4,):
        tl.say(_line_words(tr, li))
    speech = [(0.5, g1), (g1 + 0.8, tl.t)]
    plan = make_plan(tr, tl.words, tl.t + 1.0, speech)
    assert len(plan.gaps) == 1
    gap = plan.gaps[0]
    assert gap.before_token == _line_tokens(tr, 3)[0]
    assert gap.end <= g1 + 0.05


def test_squeezed_two_runs_in_one_window():
    plan, fits, tokens = _squeeze_setup(30, list(range(4, 10)) + list(range(15, 21)))
    assert squeezed_runs(plan, fits, tokens) == [list(range(4, 10)), list(range(15, 21))]


def test_no_anchors_no_duplicate_gaps(tr):
    tl = Timeline()
    tl.say(_fake_words(120, seed=2))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert plan.anchors == {}
    spans = [(g.start, g.end) for g in plan.gaps]
    assert len(spans) == len(set(spans)) == 1


def _plan_with(windows):
    words = [i for w in windows for i in w.words]
    return Plan(spoken=words, unspoken_lines=[], omitted_runs=[], gaps=[], windows=windows,
                matches=[[] for _ in words], anchors={})


def _fits(spans):
    return {i: WordFit(i, a, b, 0.5, -1.0, 1.0) for i, (a, b) in spans.items()}


def test_recut_moves_a_squeezed_tail_into_the_next_window():
    w0, w1 = Window(0.0, 10.0, tuple(range(0, 10))), Window(10.0, 20.0, tuple(range(10, 20)))
    spans = {i: (i * 1.0, i * 1.0 + 0.9) for i in range(20)}
    for i in (6, 7, 8, 9):  # the last four words of w0 crammed into its last frames
        spans[i] = (9.9 + (i - 6) * 0.02, 9.92 + (i - 6) * 0.02)
    out = recut_windows(_plan_with([w0, w1]), _fits(spans))
    assert [k for k, _ in out] == [0, 1]
    (_, a), (_, b) = out
    assert a.words == tuple(range(0, 6)) and b.words == tuple(range(6, 20))
    assert a.end == pytest.approx(5.9 + 0.1) and b.start == a.end and b.end == 20.0


def test_recut_moves_a_squeezed_head_back_and_leaves_good_cuts_alone():
    w0, w1 = Window(0.0, 10.0, tuple(range(0, 10))), Window(10.0, 20.0, tuple(range(10, 20)))
    spans = {i: (i * 1.0, i * 1.0 + 0.9) for i in range(20)}
    assert recut_windows(_plan_with([w0, w1]), _fits(spans)) == []
    for i in (10, 11, 12):
        spans[i] = (10.0 + (i - 10) * 0.02, 10.02 + (i - 10) * 0.02)
    spans[13] = (13.0, 13.9)
    (_, a), (_, b) = recut_windows(_plan_with([w0, w1]), _fits(spans))
    assert a.words == tuple(range(0, 13)) and b.words == tuple(range(13, 20))
    assert b.start == pytest.approx(12.9) and a.end == b.start


def test_windows_longer_than_the_decoder_takes_are_split():
    from aligner.forced import MAX_TOKENS, _fit_decoder

    w = Window(10.0, 30.0, tuple(range(300)))
    out = _fit_decoder([w, Window(30.0, 31.0, (300,))], lambda i: 3)  # 900 tokens, then 3
    assert all(sum(3 for _ in x.words) <= MAX_TOKENS for x in out)
    assert tuple(i for x in out for i in x.words) == tuple(range(301))
    assert out[0].start == 10.0 and out[-1].end == 31.0
    assert all(a.end == b.start for a, b in zip(out, out[1:]))


@pytest.mark.parametrize("published,model_text", [
    ("pas.", "pas."),  # sentence punctuation stays: Whisper writes it, and times pauses with it
    ("exactement?", "exactement?"),
    ("France ?", "France ?"),
    ("«Bonjour", "Bonjour"),  # quotes and brackets go: they are not said and rarely written so
    ("capacités. »", "capacités."),
    ("(ex", "ex"),
    ("l’équipe", "l'équipe"),
    ("Ă", "Ă"),  # the seed's single wrong character: nothing to repair
    ("Ã©tÃ©", "été"),
    ("(Iliad),", "Iliad,"),  # brackets inside too
    ("Durand:.", "Durand."),  # a label-like "Aude Durand :." inside a turn: one mark, as written
    ("Bonjour...", "Bonjour..."),
])
def test_clean_for_model(published, model_text):
    from aligner.forced import clean_for_model
    assert clean_for_model(published) == model_text


# ------------------------------------------------------------- speech recognition missed


def _stretch_setup(heard_inside: list[HeardWord]):
    """Twenty words at STEP each, word 10 stretched over 10 s of voice activity."""
    t = _long_transcript(n_words=60, seed=1)
    idx = list(range(20))
    fits, tcur = {}, 0.0
    for i in idx:
        d = 10.0 if i == 10 else STEP
        fits[i] = WordFit(i, tcur, tcur + d, 0.5, -1.0, 1.0)
        tcur += d
    plan = Plan(spoken=idx, unspoken_lines=[], omitted_runs=[], gaps=[],
                windows=[Window(0.0, tcur, tuple(idx))], matches=[[] for _ in t.tokens],
                anchors={}, unit_seconds=STEP)
    speech = [(0.0, tcur)]
    return plan, fits, t.tokens, speech


def test_stretched_word_over_unrecognised_speech_is_an_insertion():
    """Speech recognition gave nothing for (another language, singing): the voice activity
    inside the stretched word is reported as speech with no text."""
    plan, fits, tokens, speech = _stretch_setup([])
    found = stretched_words(plan, fits, tokens, [], speech)
    assert len(found) == 1
    gap, placed = found[0]
    [(i, w0, w1)] = placed
    assert i == 10 and gap.heard == []
    assert gap.end - gap.start > 8.0
    assert w1 - w0 < 1.0  # the word keeps only its own share


def _spread_setup(durations: dict[int, float]):
    """Twenty words at STEP each but for ``durations`` (word -> seconds), all voice activity."""
    plan, fits, tokens, _ = _stretch_setup([])
    t = 0.0
    for i in range(20):
        d = durations.get(i, STEP)
        fits[i] = WordFit(i, t, t + d, 0.5, -1.0, 1.0)
        t += d
    plan.windows = [Window(0.0, t, tuple(range(20)))]
    return plan, fits, tokens, [(0.0, t)]


def test_speech_with_no_text_spread_over_several_words_is_an_insertion():
    """Alignment may share the extra audio among a few words of a line (slow, normal, slow,
    slow) rather than give it to one: still speech with no text, and the words keep their
    share, in order."""
    plan, fits, tokens, speech = _spread_setup({3: 2.2, 4: STEP, 5: 2.2, 6: 2.2})
    assert len({tokens[i].line for i in range(3, 7)}) == 1
    found = stretched_words(plan, fits, tokens, [], speech)
    assert len(found) == 1
    gap, placed = found[0]
    assert [i for i, _, _ in placed] == [3, 4, 5, 6]
    assert gap.end - gap.start > 5.0
    assert all(w1 - w0 < 1.0 for _, w0, w1 in placed)
    assert all(a[2] <= b[1] + 1e-9 for a, b in zip(placed, placed[1:]))  # in order, no overlap


def test_a_few_slow_words_are_no_insertion():
    """Slow speech is not speech with no text: two slow words, too little time beyond need."""
    plan, fits, tokens, speech = _spread_setup({3: 1.4, 5: 1.4})
    assert stretched_words(plan, fits, tokens, [], speech) == []
    plan, fits, tokens, speech = _spread_setup({3: 2.2, 4: STEP, 5: STEP, 6: 2.2})
    assert stretched_words(plan, fits, tokens, [], speech) == []  # two normal words between


def _edges_setup(lead: float):
    """Twenty words at STEP each starting at ``lead`` seconds, voice activity from 0 s."""
    plan, fits, tokens, _ = _spread_setup({})
    fits = {i: WordFit(i, f.start + lead, f.end + lead, 0.5, -1.0, 1.0) for i, f in fits.items()}
    return plan, fits, tokens


def test_speech_before_the_first_word_that_nothing_was_heard_in_is_a_candidate():
    plan, fits, tokens = _edges_setup(30.0)
    speech = [(7.0, 20.0), (21.0, 29.5), (30.0, 36.0)]
    [gap] = edge_speech(plan, fits, tokens, [], speech, 45.0)
    assert (gap.start, gap.end) == (7.0, 29.5) and gap.before_token == 0
    assert not gap.heard_in_it and gap.heard == []


def test_no_edge_candidate_for_silence_short_speech_or_what_the_plan_found():
    plan, fits, tokens = _edges_setup(30.0)
    assert edge_speech(plan, fits, tokens, [], [(30.0, 36.0)], 45.0) == []  # silence before
    assert edge_speech(plan, fits, tokens, [], [(26.0, 29.0), (30.0, 36.0)], 45.0) == []  # 3 s
    plan.gaps = [Gap(6.0, 29.0, [0, 1, 2], 0)]
    assert edge_speech(plan, fits, tokens, [], [(7.0, 29.5), (30.0, 36.0)], 45.0) == []
    plan.gaps = []
    heard = [HeardWord(w, 8.0 + k, 8.5 + k, 0.9, w) for k, w in enumerate(["and", "now", "a", "word"])]
    assert edge_speech(plan, fits, tokens, heard, [(7.0, 29.5), (30.0, 36.0)], 45.0) == []


def test_speech_after_the_last_word_is_a_candidate_too():
    plan, fits, tokens = _edges_setup(0.0)
    end = max(f.end for f in fits.values())
    [gap] = edge_speech(plan, fits, tokens, [], [(0.0, end), (end + 1.0, end + 9.0)], end + 10.0)
    assert (gap.start, gap.end) == (end + 1.0, end + 9.0) and gap.before_token == len(tokens)


def test_stretched_word_over_silence_is_no_insertion():
    plan, fits, tokens, _ = _stretch_setup([])
    f = fits[10]
    speech = [(0.0, f.start + 0.5), (f.end - 0.5, 20.0)]  # a long pause, not speech
    assert stretched_words(plan, fits, tokens, [], speech) == []


def test_unheard_opening_words_get_the_speech_they_are_in(tr):
    """Recognition missed the first turn (noise hid it from voice activity at the threshold
    recognition uses): its window starts where the run of speech around it starts, not at an
    estimate from the average speaking rate that would squeeze the turn."""
    tl = Timeline(t0=10.0)
    for li in (2, 3, 4):
        tl.say(_line_words(tr, li))
    speech = [(1.0, 25.0), (25.2, tl.t)]
    plan = make_plan(tr, tl.words, tl.t + 1.0, speech)
    assert plan.spoken[0] == _line_tokens(tr, 1)[0]
    assert plan.windows[0].start == pytest.approx(1.0 - 0.1, abs=1e-6)


def test_text_heard_again_tells_skipped_text_from_speech_with_no_text(tr):
    """A stretch recognition had skipped, heard again on its own: if it is the published words
    around the stretch, it is not speech with no text; another language's words are."""
    from aligner.plan import text_heard_again

    spoken = [t.index for t in tr.tokens if t.line != 0]
    i = _line_tokens(tr, 3)[3]
    ours = [norm_token(w, "fr") for w in _line_words(tr, 3)[2:8]]
    assert text_heard_again(ours, tr.tokens, spoken, i, "fr")
    assert text_heard_again(ours[:3] + ["euh", "volcans"], tr.tokens, spoken, i, "fr")  # slips too
    foreign = [norm_token(w, "fr") for w in "this episode is brought to you by our sponsor".split()]
    assert not text_heard_again(foreign, tr.tokens, spoken, i, "fr")
    assert not text_heard_again([], tr.tokens, spoken, i, "fr")  # nothing heard: no evidence of text
    # only the words around the stretch count: the same words far from it are not "ours"
    from aligner.plan import NEAR_WORDS
    t = _long_transcript(n_words=4 * NEAR_WORDS, seed=2)
    sp = [k.index for k in t.tokens if not k.header]
    first = [k.norm for k in t.tokens if k.index in sp[:6]]
    assert text_heard_again(first, t.tokens, sp, sp[3], "fr")
    assert not text_heard_again(first, t.tokens, sp, sp[-1], "fr")


def test_one_word_holding_seconds_more_than_it_needs_over_heard_speech_is_an_insertion():
    """A sentence said where the text has none ("Et | ça, c'est un point sur lequel j'insiste
    beaucoup. | maîtriser"): alignment gives it to one word, which then lasts 3 s more than it
    needs, though less than five times its need for a long word."""
    from aligner.plan import _n_units, _need
    plan, fits, tokens, _ = _stretch_setup([])
    plan.unit_seconds = 0.9 / (1.5 * _n_units(tokens[10]))  # the word needs 0.9 s
    need = _need(plan, tokens[10])
    t = 0.0
    for i in range(20):
        d = need + 3.0 if i == 10 else STEP
        fits[i] = WordFit(i, t, t + d, 0.5, -1.0, 1.0)
        t += d
    f = fits[10]
    assert f.end - f.start < 5 * need  # not "five times its need"
    said = "ça c'est un point sur lequel j'insiste beaucoup".split()
    heard = [HeardWord(w, f.start + need + 0.3 * k, f.start + need + 0.3 * k + 0.25, 0.8, w)
             for k, w in enumerate(said)]
    [(gap, placed)] = stretched_words(plan, fits, tokens, heard, [(0.0, t)])
    assert gap.heard_in_it and len(gap.heard) == len(said)
    [(i, w0, w1)] = placed
    assert i == 10 and w1 - w0 == pytest.approx(need)


# ---------------------------------------------- labels inside lines that lost their breaks

def _heard_of(t, skip=()):
    """Every word of ``t`` heard in order but those whose text starts at an offset in ``skip``
    (how a line whose breaks were lost sounds: its labels are never said)."""
    tl = Timeline()
    tl.say([k.text for k in t.tokens if k.char_start not in skip])
    return tl


def test_inline_labels_never_heard_start_turns_and_a_glued_header_is_still_a_header():
    from aligner.plan import settle_inline_labels
    text = ("Les volcans islandais racontés par une géologue. Lectrice 1 : la lave a coulé près "
            "de Grindavik. Lectrice 2 : les habitants ont été évacués cette nuit. Lectrice 1 : la "
            "péninsule gronde depuis plusieurs années.\n")
    tr = parse_transcript(text, language="fr")
    assert [c.turn for c in tr.label_candidates] == [True, True, True]
    # every label read as text, then the audio: the labels and the title are never said
    every = frozenset(c.name_start for c in tr.label_candidates)
    as_text = parse_transcript(text, language="fr", spoken_labels=every)
    labels = {k.char_start for c in tr.label_candidates for k in as_text.tokens
              if c.name_start <= k.char_start < c.colon_end}
    title = {k.char_start for k in as_text.tokens if k.char_start < tr.label_candidates[0].name_start}
    tl = _heard_of(as_text, labels | title)
    settled = settle_inline_labels(tr, tl.words)
    assert settled is tr  # the text's reading was right: nothing to change
    assert [ln.speaker for ln in settled.lines] == [None, "Lectrice 1", "Lectrice 2", "Lectrice 1"]
    plan = make_plan(settled, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [0]  # the title glued to the first turn: a header, unsaid
    assert plan.matched_fraction == pytest.approx(1.0)


def test_an_inline_label_that_is_heard_stays_spoken_text():
    """"Bonjour Aude Durand :" is a greeting when the audio holds it: the same words as the
    guest's label two sentences on, which is not said, and so starts her turn."""
    from aligner.plan import settle_inline_labels
    text = ("Monde Numérique : Bonjour Aude Durand : vous dirigez le laboratoire de Paris. "
            "Aude Durand : oui depuis trois ans maintenant. Monde Numérique : merci beaucoup.\n")
    tr = parse_transcript(text, language="fr")
    assert [c.name for c in tr.label_candidates] == ["Aude Durand", "Aude Durand", "Monde Numérique"]
    assert [ln.speaker for ln in tr.lines] == ["Monde Numérique", "Aude Durand", "Aude Durand",
                                               "Monde Numérique"]  # from the text alone
    greeting, guest, host = tr.label_candidates
    every = frozenset(c.name_start for c in tr.label_candidates)
    as_text = parse_transcript(text, language="fr", spoken_labels=every)
    unsaid = {k.char_start for k in as_text.tokens
              if any(c.name_start <= k.char_start < c.colon_end for c in (guest, host))}
    tl = _heard_of(as_text, unsaid)
    settled = settle_inline_labels(tr, tl.words)
    assert [(c.name, c.turn) for c in settled.label_candidates] == [
        ("Aude Durand", False), ("Aude Durand", True), ("Monde Numérique", True)]
    assert [ln.speaker for ln in settled.lines] == ["Monde Numérique", "Aude Durand",
                                                    "Monde Numérique"]
    first = [k.text for k in settled.tokens if k.line == 0]
    assert first[:4] == ["Bonjour", "Aude", "Durand :", "vous"]
    plan = make_plan(settled, tl.words, tl.t + 1.0)
    assert plan.unspoken_lines == [] and plan.matched_fraction == pytest.approx(1.0)
    # heard nowhere (the greeting not said either): all three start turns again
    assert [c.turn for c in settle_inline_labels(
        settled, _heard_of(as_text, unsaid | {k.char_start for k in as_text.tokens if
                                               greeting.name_start <= k.char_start <
                                               greeting.colon_end}).words).label_candidates] == [
        True, True, True]


def test_an_inline_label_matched_only_by_the_same_word_beside_it_is_not_heard():
    """"... salut Paul. Paul : ça va" with one "paul" heard: the alignment may give it to the
    label or to the word before it; that says nothing about the label, which stays a label."""
    from aligner.plan import settle_inline_labels
    text = "Paul : bonjour Marie. Marie : salut Paul. Paul : ça va très bien merci.\n"
    tr = parse_transcript(text, language="fr")
    assert [ln.speaker for ln in tr.lines] == ["Paul", "Marie", "Paul"]
    tl = Timeline()
    tl.say("bonjour marie salut paul ça va très bien merci".split())
    settled = settle_inline_labels(tr, tl.words)
    assert [c.turn for c in settled.label_candidates] == [True, True]
    assert [ln.speaker for ln in settled.lines] == ["Paul", "Marie", "Paul"]
    # both said ("salut Paul, Paul : ça va", a name said twice): the second stays text
    tl = Timeline()
    tl.say("bonjour marie salut paul paul ça va très bien merci".split())
    settled = settle_inline_labels(tr, tl.words)
    assert [c.turn for c in settled.label_candidates] == [True, False]
    assert [ln.speaker for ln in settled.lines] == ["Paul", "Marie"]


def test_one_word_of_a_numbered_label_heard_by_chance_does_not_make_it_said():
    """"Lecteur 1 :" is "lecteur un": a reader's own "un" that the text left out (clean
    verbatim) matches the label's number; one word of two is not the label read aloud."""
    from aligner.plan import settle_inline_labels
    text = ("Deux phrases lues. Lecteur 1 : la lave coule vers la mer. Lecteur 2 : les "
            "habitants partent. Lecteur 1 : volcan gronde encore ce soir.\n")
    tr = parse_transcript(text, language="fr")
    tl = Timeline()
    tl.say("la lave coule vers la mer les habitants partent un volcan gronde encore ce soir".split())
    settled = settle_inline_labels(tr, tl.words)
    assert [c.turn for c in settled.label_candidates] == [True, True, True]
    assert [ln.speaker for ln in settled.lines] == [None, "Lecteur 1", "Lecteur 2", "Lecteur 1"]


def test_a_closing_line_recognition_skipped_is_kept_when_speech_is_there():
    """Recognition gave no word for the last turn, but voice activity shows speech there for
    the time it needs (Whisper ending its last window early): the line is placed, not called
    unsaid.  With no speech after the last heard word, or speech recognition heard as other
    words, a closing line with no label is closing text never said (credits, show notes), and
    a closing *turn* is text cut from the audio: placed, to be found squeezed into no time."""
    closing = "Merci à tous de nous avoir suivis pendant cette longue émission sur les volcans."
    for label in ("Alice : ", ""):
        t = parse_transcript(TEXT + f"{label}{closing}\n", language="fr")
        tl = Timeline()
        for li in (1, 2, 3, 4):
            tl.say(_line_words(t, li))
        end_heard = tl.t
        need = len(closing.split()) * STEP
        duration = end_heard + need + 2.0
        last = [k.index for k in t.tokens if k.line == 5]
        speech_on = [(0.4, end_heard), (end_heard + 0.5, end_heard + 0.5 + need)]
        plan = make_plan(t, tl.words, duration, speech_on)
        assert plan.unspoken_lines == [0] and set(last) <= set(plan.spoken)
        assert plan.windows[-1].end >= end_heard + 0.5 + 0.5 * need
        other = Timeline(end_heard + 0.5)
        other.say(EXTRA[:12])
        for heard, speech in ((tl.words, [(0.4, end_heard)]),  # no voice after the last word
                              (tl.words + other.words, speech_on)):  # heard as other words
            plan = make_plan(t, heard, duration, speech)
            if label:
                assert plan.unspoken_lines == [0] and set(last) <= set(plan.spoken)
            else:
                assert plan.unspoken_lines == [0, 5] and not set(last) & set(plan.spoken)
            assert plan.past_end_lines == []


def test_closing_lines_of_a_file_cut_short_are_neither_said_nor_unspoken():
    """A file that lacks the end of its audio (an incomplete download): closing lines never
    heard, turns or not, may have been said there; they are left out of the alignment and
    out of ``unspoken``, and their words stay untimed."""
    t = parse_transcript(TEXT + "Alice : Merci à tous.\nMusique de Jean Dupont.\n", language="fr")
    tl = Timeline()
    for li in (1, 2, 3, 4):
        tl.say(_line_words(t, li))
    plan = make_plan(t, tl.words, tl.t + 0.5, [(0.4, tl.t)], ends_early=True)
    assert plan.unspoken_lines == [0] and plan.past_end_lines == [5, 6]
    assert not {k.index for k in t.tokens if k.line in (5, 6)} & set(plan.spoken)
    assert make_plan(t, tl.words, tl.t + 0.5, [(0.4, tl.t)]).unspoken_lines == [0, 6]


def test_marks_with_no_letter_are_not_speech():
    # Recognition over music or noise at an episode's end: "… … …" is not speech with no text
    from aligner.plan import credible_speech
    from aligner.types import HeardWord
    marks = [HeardWord("…", i * 0.3, i * 0.3 + 0.2, 0.9, "") for i in range(12)]
    words = [HeardWord(w, i * 0.3, i * 0.3 + 0.2, 0.9, w) for i, w in enumerate("merci à tous et à bientôt".split())]
    assert credible_speech(words) and not credible_speech(marks)
    assert not credible_speech(marks[:6] + words[:4])


def test_garbled_sentence_before_an_ad_is_said_before_it_and_the_ad_is_still_found(tr):
    """The last sentence of a turn heard garbled (and unsure), then an ad, then the next turn:
    the garbled words make the stretch as a whole look unsure, but the ad alone is speech with
    no text; the gap starts after the words that sound like the sentence, whose estimated
    times stay before it (monde-numerique: "Dans quelle direction vont ils aller?" heard
    "Donc elle dit « M'ont dit malais »", then the ad)."""
    tl = Timeline()
    tl.say(_line_words(tr, 1))
    line2 = _line_words(tr, 2)  # "Merci Alice, je suis ravi de parler des éruptions récentes en Islande."
    tl.say(line2[:7])
    # "des éruptions récentes en Islande." garbled, with little certainty
    tl.say(["dé", "zéruption", "ressente", "hennis", "lande."], prob=0.12)
    g0, g1 = tl.say(EXTRA, prob=0.55)
    for li in (3, 4):
        tl.say(_line_words(tr, li))
    plan = make_plan(tr, tl.words, tl.t + 1.0)
    assert len(plan.gaps) == 1
    gap = plan.gaps[0]
    assert gap.start == pytest.approx(g0, abs=0.05)
    assert gap.end == pytest.approx(g1, abs=0.35)
    last = _line_tokens(tr, 2)[-1]  # "Islande." is estimated, and aligned, before the ad
    window = next(w for w in plan.windows if last in w.words)
    assert window.end <= gap.start + 1e-6


@pytest.mark.parametrize("published, said, lang, matched", [
    ("2502", "2002", "de", False),  # spelled out 0.82 alike: still another value
    ("1763", "1963", "en", False),
    ("dix-huit", "17", "fr", False),
    ("1465", "fourteen sixty-five", "en", True),  # a year read out: the same value
    ("17", "dix-sept", "fr", True),
])
def test_a_number_heard_as_another_value_is_never_matched_to_it(published, said, lang, matched):
    t = parse_transcript(f"Im Jahr {published} wurde es gebaut und dann verlassen.", language=lang)
    tl = Timeline()
    tl.say(["Im", "Jahr", *said.split(), "wurde", "es", "gebaut", "und", "dann", "verlassen."])
    plan = make_plan(t, tl.words, tl.t + 1.0)
    number = next(k for k in t.tokens if k.text == published)
    assert bool(plan.matches[number.index]) == matched


def test_an_initialism_takes_a_word_a_letter():
    """ "a.C." is said "antes de Cristo": at two letters' length its reading looked like speech
    with no text after it (fleurs-pt's clean transcript got an insertion there)."""
    from aligner.plan import _n_units

    t = parse_transcript("no século 3 a.C. e (U.S.) também etc. e M. Durand", language="pt")
    units = {k.text: _n_units(k) for k in t.tokens}
    assert units["a.C."] == 2.0 and units["(U.S.)"] == 2.0
    assert units["etc."] < 1.0 and units["M."] < 1.0  # an abbreviation, not letters for words


def test_a_quotation_s_source_said_after_a_breath_is_the_sentence_s_end_not_speech_with_no_text():
    """A closing quote ends the quotation, not the sentence: its source ("dupont 1702") is said
    after a breath and heard garbled ("tout pont, 2002."), and those heard words are its reading,
    not speech the text lacks (with "»" taken for a sentence end they were a gap, and the
    source's words were squeezed before it)."""
    text = ("Alice : la géologue rappelle « la lave coule encore près du port » dupont 1702\n"
            "Bruno : merci pour ces précisions sur les coulées de lave en Islande\n")
    t = parse_transcript(text, language="fr")
    tl = Timeline()
    words = [k.text for k in t.tokens if k.line == 0]
    tl.say(words[:words.index("dupont")])
    said_end = tl.t
    tl.pause(0.5)
    g0, g1 = tl.say(["tout", "pont,", "2002."], prob=0.7, step=0.45)
    tl.pause(4.0)  # the next reader starts later (FLEURS's clips: 6 s from breath to next turn)
    tl.say([k.text for k in t.tokens if k.line == 1])
    speech = [(0.5, said_end), (g0, g1), (g1 + 4.0, tl.t)]
    plan = make_plan(t, tl.words, tl.t + 1.0, speech)
    assert plan.gaps == []
    source = [k.index for k in t.tokens if k.text in ("dupont", "1702")]
    window = next(w for w in plan.windows if source[-1] in w.words)
    assert window.end >= g1 - 0.05  # the heard reading lies inside the source's window


def test_a_sentence_ends_at_its_punctuation_inside_or_outside_closing_quotes():
    from aligner.plan import _ends_sentence

    assert _ends_sentence("fin.»") and _ends_sentence('fin!"') and _ends_sentence("fin ».")
    assert _ends_sentence("(fin.)") and _ends_sentence("fin…")
    assert _ends_sentence("gut.“") and _ends_sentence("gut!«") and not _ends_sentence("Zitat“")
    assert not _ends_sentence("encore»") and not _ends_sentence("port »") and not _ends_sentence("fin")
