"""Unit tests of the flag decisions (aligner/flags.py) on fakes: no model, no audio."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from aligner import flags
from aligner.flags import (MAX_REGION_WORDS, Candidate, Region, could_pass, decide, evidence,
                           focus, regions, rivals, structural)
from aligner import verdict as verdict_mod
from aligner.verdict import Verdict
from aligner.forced import RivalFit, Rival, WordFit
from aligner.normalize import name_like, norm_token
from aligner.plan import Gap, Plan, SqueezedRun, make_plan
from aligner.transcript import parse_transcript
from aligner.types import HeardWord

TEXT = ("Alice : Le budget de la mission atteint 300 millions d'euros cette année.\n"
        "Bruno : Et le lanceur Ariane décollera depuis Kourou en Guyane française avec DeepMind.\n"
        "Alice : Merci Bruno, nous suivrons ce lancement avec beaucoup d'attention.\n")
HEARD = ("Le budget de la mission atteint deux cents millions d'euros cette année. "
         "Et le lanceur Ariane décollera depuis Kourou en Guyane française avec deep mind. "
         "Merci Bruno, nous suivrons ce lancement avec beaucoup d'attention.")


@pytest.fixture(scope="module")
def tr():
    t = parse_transcript(TEXT, language="fr")
    assert t.tokens[6].text == "300" and t.tokens[22].text == "DeepMind."
    return t


def _heard(words, t0=0.5, step=0.3, prob=0.9):
    out = []
    for w in words:
        out.append(HeardWord(w, round(t0, 3), round(t0 + step * 0.8, 3), prob, norm_token(w, "fr")))
        t0 += step
    return out


def _cand(tokens, published="grand", heard_text="petit", *, sound=0.3, spelling=0.3,
          min_logprob=-4.0, pmi=-0.5, heard_prob=0.9, content=True, rival_lp_gain=3.0,
          focus_=None, start=1.0, end=1.5, char_start=0, char_end=0, number_prob=None) -> Candidate:
    reg = Region(list(tokens), [0], published, heard_text, char_start, char_end)
    return Candidate(region=reg, heard_text=heard_text, start=start, end=end, sound=sound,
                     spelling=spelling, min_logprob=min_logprob, pmi=pmi, heard_prob=heard_prob,
                     content=content, rival_lp_gain=rival_lp_gain,
                     focus=list(focus_ if focus_ is not None else tokens),
                     number_prob=heard_prob if number_prob is None else number_prob)


# ------------------------------------------------------------------------- features and verdict

# A verdict made by hand for these tests (the shipped one is fitted on the corpus): the heard
# reading fitting better, sounding different, a number recognition was sure of.
V = Verdict(names=("rival", "sound", "numbers_differ", "content"), mean=(0.0, 0.0, 0.0, 0.0),
            scale=(1.0, 1.0, 1.0, 1.0), coef=(1.0, -4.0, 4.0, 1.0), intercept=-1.0)


def _p(c, mf=0.9, lang="fr"):
    return V.probability(flags.features(c, lang, mf))


def test_features_of_a_candidate_concrete_values():
    f = flags.features(_cand([5, 6], rival_lp_gain=6.0, sound=0.3, min_logprob=-4.0, pmi=-0.5), "fr", 0.8)
    assert f["rival"] == pytest.approx(3.0) and f["rival_pos"] == pytest.approx(3.0)
    assert f["sound"] == pytest.approx(0.3) and f["same_sound"] == 0.0
    assert f["min_logprob"] == pytest.approx(-4.0) and f["pmi"] == pytest.approx(-0.5)
    assert f["content"] == 1.0 and f["numbers_differ"] == 0.0 and f["body_known"] == 0.0
    assert f["words"] == pytest.approx(math.log(2)) and f["matched_fraction"] == pytest.approx(0.8)


def test_written_forms_read_otherwise():
    for text in ("M. Dupont", "Dr Watson", "St. Louis", "en 300 a.c.", "p. 12", "50 %", "R&D",
                 "Feed'st thy", "mak’st", "o'er the", "'tis", "won 3:2", "at 10:30", "1/2"):
        assert flags.written_form(text), text
    for text in ("l'accident", "we'll go", "Mr", "the sound", "aujourd'hui", "Kyutai", "2024", "3.5"):
        assert flags.written_form(text) == (text == "Mr"), text
    f = flags.features(_cand([5], "M.", "Monsieur"), "fr", 0.9)
    assert f["written_form"] == 1.0


def test_features_per_word_gain_clamped():
    big = flags.features(_cand([5], rival_lp_gain=100.0), "fr", 0.9)
    worse = flags.features(_cand([5], rival_lp_gain=-100.0), "fr", 0.9)
    assert big["rival"] == flags.RIVAL_CAP and worse["rival"] == -flags.RIVAL_CAP
    assert worse["rival_pos"] == 0.0


def test_features_body_pieces():
    heard = flags.features(replace(_cand([5]), body_logprob=-0.04), "fr", 0.9)
    unheard = flags.features(replace(_cand([5]), body_logprob=-4.5), "fr", 0.9)
    assert heard["body_known"] == unheard["body_known"] == 1.0
    assert heard["body_heard"] == pytest.approx(-0.04 - flags.BODY_BAR) and heard["body_unheard"] == 0.0
    assert unheard["body_heard"] == 0.0 and unheard["body_unheard"] == pytest.approx(flags.BODY_BAR + 4.5)


def test_numbers_differ_only_when_recognition_was_sure_of_its_number():
    assert flags.features(_cand([6], "300", "deux cents"), "fr", 0.9)["numbers_differ"] == 1.0
    assert flags.features(_cand([6], "300", "deux cents", heard_prob=0.4), "fr", 0.9)["numbers_differ"] == 0.0
    # a garbled word beside a number recognition was sure of takes nothing from it
    beside = _cand([6], "300", "euh deux cents", heard_prob=0.2, number_prob=0.9)
    assert flags.features(beside, "fr", 0.9)["numbers_differ"] == 1.0
    assert flags.features(_cand([6], "grand", "petit"), "fr", 0.9)["numbers_differ"] == 0.0


def test_names_differ_when_recognition_was_sure_of_its_name():
    sure = _cand([6], "Anderson", "Henderson")
    sure.published_name, sure.name_prob = True, 0.93
    unsure = replace(sure, name_prob=0.6)
    assert flags.features(sure, "fr", 0.9)["names_differ"] == 1.0
    assert flags.features(unsure, "fr", 0.9)["names_differ"] == 0.0
    assert flags.features(unsure, "fr", 0.9)["published_name"] == 1.0


def test_capitals_do_not_mark_names_in_german():
    c = _cand([6], "Desinfektionsmittel", "das Infektionsmittel")
    c.published_name, c.name_prob = True, 0.95
    assert flags.features(c, "fr", 0.9)["published_name"] == 1.0
    assert flags.features(c, "de", 0.9)["published_name"] == 0.0
    assert flags.features(c, "de", 0.9)["names_differ"] == 0.0


def test_evidence_reads_names_on_both_sides(tr, plan_and_heard):
    plan, heard = plan_and_heard
    reg = regions(tr, plan, heard, "fr")[0]
    fits = {i: _fit(i, -0.5) for i in reg.tokens}
    heard = list(heard)
    for j in reg.heard:  # recognition wrote a name there, sure of it
        w = heard[j]
        heard[j] = HeardWord("Xavier", w.start, w.end, 0.95, "xavier")
    c = evidence(tr, reg, heard, fits, "fr", None)
    assert c.name_prob == pytest.approx(0.95)
    assert c.published_name == name_like(reg.published, tr.text[max(0, reg.char_start - 30):reg.char_start])


def test_verdict_probability_is_the_logistic_of_the_weighted_features():
    c = _cand([5], rival_lp_gain=2.0, sound=0.25)
    z = -1.0 + 1.0 * 2.0 - 4.0 * 0.25 + 1.0 * 1.0
    assert _p(c) == pytest.approx(1 / (1 + math.exp(-z)))
    # standardisation is part of the model
    v2 = Verdict(("rival",), (1.0,), (2.0,), (1.0,), 0.0)
    assert v2.probability({"rival": 3.0}) == pytest.approx(1 / (1 + math.exp(-1.0)))
    assert Verdict.from_dict(V.to_dict()) == V


def test_the_shipped_verdict_loads_and_names_known_features():
    from aligner import verdict

    from aligner.names import known_features

    v = verdict.default()
    known = set(flags.features(_cand([5]), "fr", 0.9)) | set(known_features(None))
    assert v.names and set(v.names) <= known
    assert 0.0 < v.probability(flags.features(_cand([5]), "fr", 0.9)) < 1.0


def test_unjudged_candidates():
    assert not flags.judged(_cand([5], rival_lp_gain=None))
    assert flags.judged(_cand(range(MAX_REGION_WORDS)))
    assert not flags.judged(_cand(range(MAX_REGION_WORDS + 1)))


# ---------------------------------------------------------------------------------- decide

def test_decide_offsets_point_at_focus_tokens(tr):
    c1 = _cand([5, 6, 7], "atteint 300 millions", "atteint deux cents millions", focus_=[6])
    c2 = _cand([13, 14], "lanceur Ariane", "lanceur à riz", focus_=[13, 14])
    out = decide(tr, [c1, c2], "fr", 0.9, min_confidence=0.5, verdict=V)
    assert len(out) == 2
    m1, m2 = out
    assert m1.kind == m2.kind == "substitution"
    assert (m1.char_start, m1.char_end) == (tr.tokens[6].char_start, tr.tokens[6].char_end)
    assert tr.text[m1.char_start:m1.char_end] == m1.transcript_text == "300"
    assert m1.category == "number"
    assert m1.heard_text == "atteint deux cents millions"
    assert tr.text[m2.char_start:m2.char_end] == m2.transcript_text == "lanceur Ariane"
    assert m2.char_start == tr.tokens[13].char_start and m2.char_end == tr.tokens[14].char_end
    assert m2.category == "name"
    for m, c in ((m1, c1), (m2, c2)):
        assert m.confidence == pytest.approx(_p(c), abs=1e-3)
        assert (m.start, m.end) == (c.start, c.end)
        assert "[" + m.transcript_text + "]" in m.context
        assert m.evidence["words"] == len(c.region.tokens)
        no_name = {**flags.features(c, "fr", 0.9), "known_name": 0.0, "known_gain": 0.0}
        assert m.evidence["features"] == pytest.approx(no_name, abs=1e-4)
    assert m1.confidence > m2.confidence  # numbers_differ weighs


def test_a_known_name_on_a_candidate_is_evidence_of_the_verdict(tr):
    from aligner.types import Mismatch

    c2 = _cand([13, 14], "lanceur Ariane", "lanceur à riz", focus_=[13, 14])
    a, b = tr.tokens[13].char_start, tr.tokens[14].char_end
    name = Mismatch(kind="substitution", category="name", start=0.0, end=1.0, char_start=a,
                    char_end=b, transcript_text="lanceur Ariane", heard_text="", confidence=0.7,
                    evidence={"gain_per_word": 9.0}, suggestion="Ariane")
    vk = Verdict(names=V.names + ("known_name",), mean=V.mean + (0.0,), scale=V.scale + (1.0,),
                 coef=V.coef + (2.0,), intercept=V.intercept)
    plain = decide(tr, [c2], "fr", 0.9, min_confidence=0.0, verdict=vk)[0]
    known = decide(tr, [c2], "fr", 0.9, min_confidence=0.0, verdict=vk, known=[name])[0]
    assert plain.evidence["features"]["known_name"] == 0.0
    assert known.evidence["features"]["known_name"] == 1.0
    assert known.evidence["features"]["known_gain"] == 5.0  # capped
    assert known.confidence > plain.confidence


def test_decide_filters_by_min_confidence(tr):
    strong = _cand([6], "300", "deux cents", focus_=[6])
    mid = _cand([14], "Ariane", "à riz", focus_=[14])
    weak = _cand([17], "Kourou", "courut", sound=0.8, rival_lp_gain=0.5, focus_=[17])
    never = _cand([19], "Guyane", "Guyane", rival_lp_gain=None, focus_=[19])  # not weighed
    cands = [mid, weak, strong, never]
    out = decide(tr, cands, "fr", 0.9, min_confidence=0.5, verdict=V)
    assert [m.transcript_text for m in out] == ["Ariane", "300"]
    out0 = decide(tr, cands, "fr", 0.9, min_confidence=0.0, verdict=V)
    assert [m.transcript_text for m in out0] == ["Ariane", "Kourou", "300"]
    assert out0[1].confidence < 0.5
    out_hi = decide(tr, cands, "fr", 0.9, min_confidence=0.99, verdict=V)
    assert [m.transcript_text for m in out_hi] == ["300"]


# ---------------------------------------------------------------------------------- focus

def _fit(i, pmi, lp=-1.0):
    return WordFit(i, float(i), float(i) + 0.3, 0.5, lp, pmi)


def _toks(words):
    from aligner.transcript import parse_transcript

    return parse_transcript(" ".join(words), language="fr").tokens


def test_focus_points_at_least_supported_word_and_unsupported_neighbours():
    toks = _toks(["alors", "voici", "chochoy", "wang", "demain", "encore", "fin"])
    reg = Region([1, 2, 3, 4, 5, 6], [], "", "", 0, 0)
    fits = {1: _fit(1, 2.0), 2: _fit(2, 0.3), 3: _fit(3, -0.8), 4: _fit(4, 1.5),
            5: _fit(5, 0.2), 6: _fit(6, 2.5)}
    assert focus(reg, fits, toks, "fr") == [2, 3]


def test_focus_prefers_a_content_word_to_a_function_word():
    toks = _toks(["et", "le", "rugissement", "du", "tigre"])
    reg = Region([1, 2, 3], [], "", "", 0, 0)
    fits = {1: _fit(1, -1.0), 2: _fit(2, 0.1), 3: _fit(3, 2.0)}
    # "le" is the least supported, but the flag starts from "rugissement" and takes "le" along
    assert focus(reg, fits, toks, "fr") == [1, 2]
    fits[1] = _fit(1, 1.0)
    assert focus(reg, fits, toks, "fr") == [2]


def test_focus_without_fits_is_whole_region():
    toks = _toks(["un", "deux", "trois", "quatre"])
    reg = Region([1, 2, 3], [], "", "", 0, 0)
    assert focus(reg, {}, toks, "fr") == [1, 2, 3]
    assert focus(reg, {2: _fit(2, -0.1)}, toks, "fr") == [2]


# -------------------------------------------------------------------------------- regions

@pytest.fixture(scope="module")
def plan_and_heard(tr):
    heard = _heard(HEARD.split())
    plan = make_plan(tr, heard, heard[-1].end + 1.0)
    return plan, heard


def test_regions_number_substitution_only(tr, plan_and_heard):
    plan, heard = plan_and_heard
    regs = regions(tr, plan, heard, "fr")
    # "DeepMind." vs "deep mind" differs in writing only: no region
    assert [r.tokens for r in regs] == [[6]]
    r = regs[0]
    assert r.published == "300"
    assert (r.char_start, r.char_end) == (tr.tokens[6].char_start, tr.tokens[6].char_end)
    assert heard[r.heard[0]].text == "deux"
    assert rivals(regs) == {6: [(7, r.heard_text)]}


def test_region_heard_text_covers_whole_published_token(tr, plan_and_heard):
    plan, heard = plan_and_heard
    regs = regions(tr, plan, heard, "fr")
    assert regs[0].heard_text == "deux cents"


def test_regions_never_span_two_lines(tr):
    words = HEARD.split()
    # the end of line 1 and the start of line 2 are misheard
    words[words.index("année."):words.index("lanceur")] = ["jamais", "vu", "ici"]
    heard = _heard(words)
    plan = make_plan(tr, heard, heard[-1].end + 1.0)
    regs = regions(tr, plan, heard, "fr")
    for r in regs:
        assert len({tr.tokens[i].line for i in r.tokens}) == 1
    toks = sorted(i for r in regs for i in r.tokens)
    assert {10, 11, 12} <= set(toks)


def test_evidence_measures_region(tr, plan_and_heard):
    plan, heard = plan_and_heard
    reg = regions(tr, plan, heard, "fr")[0]
    fits = {5: _fit(5, -0.5), 6: WordFit(6, 2.0, 2.4, 0.01, -3.5, -0.2), 7: _fit(7, -0.4)}
    rf = RivalFit(Rival(0, 1, reg.heard_text, 6, 7), published_lp=-5.0, rival_lp=-1.0)
    c = evidence(tr, reg, heard, fits, "fr", rf)
    assert c.focus == [6]
    assert (c.start, c.end) == (2.0, 2.4)
    assert c.min_logprob == pytest.approx(-3.5) and c.pmi == pytest.approx(-0.2)
    assert c.heard_prob == pytest.approx(0.9)
    assert c.rival_lp_gain == pytest.approx(4.0)
    assert c.content is True
    assert 0.0 <= c.sound <= 1.0 and 0.0 <= c.spelling < 1.0
    assert evidence(tr, reg, heard, fits, "fr", None).rival_lp_gain is None


# ----------------------------------------------------------------------------- structural

def _plan(tr, spoken, omitted, gaps):
    return Plan(spoken=spoken, unspoken_lines=[], omitted_runs=omitted, gaps=gaps, windows=[],
                matches=[[] for _ in tr.tokens], anchors={})


def test_structural_omission_sentence(tr):
    run = [13, 14, 15, 16, 17]
    spoken = [i for i in range(len(tr.tokens)) if i not in run]
    times = {i: (i * 0.3, i * 0.3 + 0.25) for i in spoken}
    out = structural(tr, _plan(tr, spoken, [run], []), [], times, "fr")
    assert len(out) == 1
    m = out[0]
    assert (m.kind, m.category) == ("omission", "sentence")
    assert (m.char_start, m.char_end) == (tr.tokens[13].char_start, tr.tokens[17].char_end)
    assert m.transcript_text == tr.text[m.char_start:m.char_end] == \
        "lanceur Ariane décollera depuis Kourou"
    assert m.start == m.end == pytest.approx(times[12][1])
    assert m.heard_text == "" and m.evidence["words"] == 5
    assert m.evidence["features"]["omission"] == 1.0
    assert m.evidence["features"]["log_words"] == pytest.approx(math.log(6))


def test_structural_omission_carries_how_it_was_squeezed(tr):
    # A run forced alignment squeezed into no time, against a window's edge: its features say
    # so, for the verdict to weigh.
    run = [13, 14, 15, 16, 17]
    spoken = [i for i in range(len(tr.tokens)) if i not in run]
    times = {i: (i * 0.3, i * 0.3 + 0.25) for i in spoken}
    plan = _plan(tr, spoken, [run], [])
    plan.squeezed[13] = SqueezedRun(run, sure=False, at_edge=True, against_gap=False,
                                    sentences=False, squeeze=0.1)
    f = structural(tr, plan, [], times, "fr")[0].evidence["features"]
    assert (f["squeezed"], f["window_edge"], f["squeeze"]) == (1.0, 1.0, 0.1)
    plain = structural(tr, _plan(tr, spoken, [run], []), [], times, "fr")[0].evidence["features"]
    assert (plain["squeezed"], plain["window_edge"]) == (0.0, 0.0)


def test_structural_short_omissions_get_word_categories(tr):
    runs = [[6, 7], [2, 3]]
    spoken = [i for i in range(len(tr.tokens)) if i not in {6, 7, 2, 3}]
    times = {i: (i * 0.3, i * 0.3 + 0.25) for i in spoken}
    out = structural(tr, _plan(tr, spoken, runs, []), [], times, "fr")
    assert [(m.transcript_text, m.category) for m in out] == [
        ("300 millions", "number"), ("de la", "word")]
    assert out[1].start == pytest.approx(times[1][1])


def test_a_squeezed_run_kept_timed_is_still_a_candidate_with_its_probability(tr):
    # The verdict found it less likely than not to be unsaid: its words keep their times, and
    # the candidate carries the same probability (shown only at a --min-confidence below it).
    from aligner.flags import unsaid_probability
    from aligner.plan import SqueezedRun
    run = [13, 14, 15, 16, 17]
    spoken = list(range(len(tr.tokens)))
    times = {i: (i * 0.3, i * 0.3 + (0.01 if i in run else 0.25)) for i in spoken}
    plan = _plan(tr, spoken, [], [])
    for heard in (False, True):
        sq = SqueezedRun(run, False, True, False, True, 0.05, heard)
        plan.kept_squeezed = [sq]
        [m] = structural(tr, plan, [], times, "fr")
        assert m.kind == "omission" and m.start == times[13][0]
        assert m.evidence["features"]["neighbours_heard"] == float(heard)
        assert m.confidence == pytest.approx(unsaid_probability(sq, plan.matched_fraction), abs=1e-3)


def test_an_insertion_that_sounds_like_the_unanchored_words_beside_it_says_so(tr):
    # Alignment squeezed "avec beaucoup d'attention." against a window's edge and recognition heard them,
    # garbled, just after: the gap is the text said there, and its evidence shows it.
    from aligner.plan import Gap
    spoken = list(range(len(tr.tokens)))
    times = {i: (i * 0.3, i * 0.3 + 0.25) for i in spoken}
    last = len(tr.tokens) - 1
    heard = _heard(["avèque", "boku", "datension"], t0=30.0)
    plan = _plan(tr, spoken, [], [Gap(30.0, 31.0, [0, 1, 2], last + 1)])
    plan.anchors = {i: times[i] for i in spoken if i < last - 2}
    [m] = structural(tr, plan, heard, times, "fr")
    alike = m.evidence["features"]["sounds_like_text"]
    heard2 = _heard(["la", "pluie", "tombe"], t0=30.0)
    [m2] = structural(tr, plan, heard2, times, "fr")
    assert alike > 0.4 > m2.evidence["features"]["sounds_like_text"]
    plan.anchors = {i: times[i] for i in spoken}  # every word anchored: nothing unplaced beside it
    [m3] = structural(tr, plan, heard, times, "fr")
    assert m3.evidence["features"]["sounds_like_text"] == 0.0


def test_structural_omission_at_start_time_zero(tr):
    run = [0, 1]
    spoken = list(range(2, len(tr.tokens)))
    out = structural(tr, _plan(tr, spoken, [run], []), [], {i: (1.0, 1.2) for i in spoken}, "fr")
    assert out[0].start == 0.0 and out[0].transcript_text == "Le budget"


def test_structural_gaps(tr):
    heard = _heard(["bla"] * 3 + ["un", "deux", "trois", "quatre", "cinq"] + ["oui", "non"],
                   t0=0.0, step=0.5)
    spoken = list(range(len(tr.tokens)))
    g_start = Gap(0.0, 1.4, [0, 1, 2], before_token=0)
    g_mid = Gap(1.5, 3.9, [3, 4, 5, 6, 7], before_token=11)
    g_short = Gap(4.0, 6.0, [8, 9], before_token=23)
    g_end = Gap(7.0, 8.0, [8], before_token=len(tr.tokens))
    out = structural(tr, _plan(tr, spoken, [], [g_start, g_mid, g_short, g_end]), heard, {}, "fr")
    assert [m.kind for m in out] == ["insertion"] * 4
    assert [m.category for m in out] == ["segment", "sentence", "word", "segment"]
    for m, g in zip(out, [g_start, g_mid, g_short, g_end]):
        assert m.char_start is None and m.char_end is None
        assert m.transcript_text == ""
        assert (m.start, m.end) == (g.start, g.end)
        sv = verdict_mod.default("structural")
        assert m.confidence == pytest.approx(sv.probability(m.evidence["features"]), abs=1e-3)
        assert m.evidence["features"]["log_seconds"] == pytest.approx(math.log1p(g.end - g.start), abs=1e-3)
        assert 0.0 <= m.confidence <= 1.0
    assert out[0].heard_text == "bla bla bla"
    assert out[1].heard_text == "un deux trois quatre cinq"
    assert (out[1].evidence["seconds"], out[1].evidence["words"]) == (2.4, 5)
    assert [m.evidence["features"]["at_edge"] for m in out] == [1.0, 0.0, 0.0, 1.0]


def test_structural_long_gap_is_segment(tr):
    heard = _heard(["mot"] * 20, t0=0.0, step=0.3)
    spoken = list(range(len(tr.tokens)))
    g = Gap(2.0, 6.5, list(range(3, 18)), before_token=11)
    out = structural(tr, _plan(tr, spoken, [], [g]), heard, {}, "fr")
    assert out[0].category == "segment"
    assert out[0].evidence["features"]["log_words"] == pytest.approx(math.log1p(15), abs=1e-3)


def test_structural_gap_nothing_was_heard_in_reports_what_was_heard_again(tr):
    spoken = list(range(len(tr.tokens)))
    g = Gap(2.0, 9.0, [], before_token=11, heard_in_it=False, heard_again="[en] and now a word")
    out = structural(tr, _plan(tr, spoken, [], [g]), [], {}, "fr")
    assert out[0].kind == "insertion" and out[0].heard_text == "[en] and now a word"
    assert out[0].category == "segment"


def test_module_constants():
    assert flags.SAME_SOUND == pytest.approx(0.9)
    assert MAX_REGION_WORDS == 12


# ------------------------------------------------------------- which readings are worth weighing

@pytest.mark.parametrize("sound,min_logprob,pmi,content", [
    (0.3, -4.0, -0.5, True), (0.6, -1.0, 1.5, True), (0.5, -0.5, 2.0, False), (0.95, -4.0, 0.0, True)])
def test_a_reading_not_worth_weighing_never_makes_a_flag(tr, sound, min_logprob, pmi, content):
    """could_pass is an upper bound: when it says no, no rival gain gives a flag; when it says
    yes, some gain does (so pruning the weighing never changes the report)."""
    base = dict(sound=sound, min_logprob=min_logprob, pmi=pmi, content=content)
    worth = could_pass(_cand([5], **base, rival_lp_gain=None), "fr", 0.9, 0.5, V)
    flagged = [bool(decide(tr, [_cand([5], **base, rival_lp_gain=g)], "fr", 0.9, 0.5, V))
               for g in (-50.0, -2.0, 0.0, 2.0, 4.0, 6.0, 50.0)]
    assert worth == any(flagged)


def test_weighing_is_pruned_only_for_hopeless_candidates():
    assert could_pass(_cand([5], rival_lp_gain=None), "fr", 0.9, 0.5, V)  # a clear case
    alike = _cand([5], "le", "la", sound=0.95, content=False, rival_lp_gain=None)
    assert not could_pass(alike, "fr", 0.9, 0.7, V)  # even the best fit gives 0.55
    assert could_pass(alike, "fr", 0.9, 0.5, V)
    assert could_pass(alike, "fr", 0.9, 0.0, V)  # every candidate asked for: all are weighed
    assert not could_pass(_cand(range(MAX_REGION_WORDS + 1)), "fr", 0.9, 0.0, V)


# ---------------------------------------------------------------------------- attested readings

LUCIER = ("Alvin Lucier: I am going to play it back into the room again until the resident "
          "frequencies of the room reinforce themselves. What you will hear, then, are the "
          "natural resonant frequencies of the room articulated by speech. It is really loud and "
          "it is really long and it is really late.\n")


def _region_for(t, word: str, heard_words: list[str]):
    i = next(k for k, tok in enumerate(t.tokens) if tok.text.strip(".,") == word)
    heard = _heard(heard_words)
    return Region([i], list(range(len(heard))), word, " ".join(heard_words),
                  t.tokens[i].char_start, t.tokens[i].char_end), heard


def test_a_heard_word_the_text_uses_in_the_same_words_elsewhere_is_attested():
    t = parse_transcript(LUCIER, language="en")
    index = flags.TextIndex(t.tokens)
    reg, heard = _region_for(t, "resident", ["resonant"])
    assert flags.attested(index, reg, heard, "en")  # "resonant frequencies of" is published later
    reg, heard = _region_for(t, "resident", ["president"])
    assert not flags.attested(index, reg, heard, "en")  # a word the text never uses


def test_attestation_needs_the_same_words_around_and_a_rare_word():
    t = parse_transcript(LUCIER, language="en")
    index = flags.TextIndex(t.tokens)
    reg, heard = _region_for(t, "room", ["resonant"])  # "resonant reinforce themselves": not in the text
    assert not flags.attested(index, reg, heard, "en")
    # "it is really" recurs three times: a common word beside anything proves nothing
    reg, heard = _region_for(t, "loud", ["really"])
    assert not flags.attested(index, reg, heard, "en")


def test_an_attested_reading_is_a_feature():
    seen = _cand([6], "resident", "resonant")
    assert flags.features(seen, "en", 0.9)["attested"] == 0.0
    seen.attested = True
    assert flags.features(seen, "en", 0.9)["attested"] == 1.0


# ---------------------------------------------------------------------------- names spelled two ways

VARIANTS = ("Aude : Kyutai est un laboratoire. Kyutai recrute. Chez Kyutai, on publie. "
            "Kyuta exactement, et Merkel parle. Merkels Politik. Merkel encore, Merkel toujours. "
            "Les marches et les marches et les marches, la Marche.\n")


def test_a_name_spelled_once_unlike_its_usual_spelling_is_a_variant():
    t = parse_transcript(VARIANTS, language="fr")
    found = {t.tokens[v.token].text: v for v in flags.spelling_variants(t, range(len(t.tokens)))}
    assert set(found) == {"Kyuta"}  # "Merkels" is Merkel plus an ending; "marches" not a name
    v = found["Kyuta"]
    assert (v.usual, v.rival, v.uses, v.own_uses) == ("Kyutai", "Kyutai", 3, 1)


def _weighed(v, gain):
    r = Rival(0, 1, v.rival, v.token, v.token + 1)
    return {(v.token, v.rival): RivalFit(r, published_lp=-5.0, rival_lp=-5.0 + gain)}


def test_a_variant_is_flagged_unless_the_audio_prefers_the_published_spelling():
    t = parse_transcript(VARIANTS, language="fr")
    (v,) = flags.spelling_variants(t, range(len(t.tokens)))
    fits = {v.token: WordFit(v.token, 3.0, 3.4, 0.2, -2.0, 0.5)}
    (m,) = flags.decide_variants(t, [v], _weighed(v, -0.3), fits, "fr")
    assert (m.category, m.transcript_text, m.heard_text, m.start) == ("name", "Kyuta", "Kyutai", 3.0)
    assert t.text[m.char_start:m.char_end] == "Kyuta"
    assert 0.5 <= m.confidence <= 0.9
    assert flags.decide_variants(t, [v], _weighed(v, -2.0), fits, "fr") == []  # said as published
    assert flags.decide_variants(t, [v], {}, fits, "fr") == []  # not weighed: no evidence


def test_a_heard_number_partly_matching_the_published_one_joins_the_region_whole():
    # "2.300" is "dos mil trescientos": its "mil" matches the published "mil" exactly, but the
    # region must hold "mil doscientos" whole, or "2.300" is weighed against half a number.
    text = ("Carlos Romero : Hemos perdido mil doscientos kilómetros cuadrados de praderas "
            "marinas en la costa.\n")
    t = parse_transcript(text, language="es")
    heard = [HeardWord(w, 0.5 + 0.3 * k, 0.7 + 0.3 * k, 0.9, norm_token(w, "es"))
             for k, w in enumerate("Hemos perdido 2.300 kilómetros cuadrados de praderas "
                                   "marinas en la costa.".split())]
    plan = make_plan(t, heard, heard[-1].end + 1.0)
    regs = regions(t, plan, heard, "es")
    assert [(r.published, r.heard_text) for r in regs] == [("mil doscientos", "2.300")]


def test_a_partly_matched_number_starts_its_own_region():
    # "17" (dix sept) shares "dix" with the published "dix-huit": the number is its own place to
    # check, not the tail of the garbled words before it.
    text = "Alice : Il a heurté un mur tuant ainsi dix-huit personnes sur la piste.\n"
    t = parse_transcript(text, language="fr")
    heard = _heard("Il a heurté un mur puant un seul 17 personnes sur la piste.".split())
    plan = make_plan(t, heard, heard[-1].end + 1.0)
    regs = regions(t, plan, heard, "fr")
    assert [(r.published, r.heard_text) for r in regs] == [
        ("tuant ainsi", "puant un seul"), ("dix-huit", "17")]


def test_a_flag_on_a_number_heard_as_another_value_points_at_the_words_that_differ():
    # "1975" said "one thousand nine hundred and seventy five"; the text has "eight" for
    # "thousand".  "one" is heard exactly however little the audio supports it over silence:
    # the flag starts from "eight" (it may take unsupported neighbours along).
    text = "Reader: banned since one eight nine hundred and seventy five for elephants\n"
    t = parse_transcript(text, language="en")
    heard = [HeardWord(w, 0.5 + 0.3 * k, 0.7 + 0.3 * k, 0.9, norm_token(w, "en"))
             for k, w in enumerate("banned since 1975 for elephants".split())]
    plan = make_plan(t, heard, heard[-1].end + 1.0)
    reg = next(r for r in regions(t, plan, heard, "en") if r.heard_text == "1975")
    ix = {t.tokens[i].text: i for i in reg.tokens}
    assert ix["one"] in reg.exact and ix["eight"] not in reg.exact
    fits = {i: _fit(i, 1.5) for i in reg.tokens}
    fits[ix["one"]] = _fit(ix["one"], 0.8)  # the least supported word, but heard exactly
    fits[ix["eight"]] = _fit(ix["eight"], 1.2)
    assert focus(reg, fits, t.tokens, "en") == [ix["eight"]]


def test_heard_words_of_speech_with_no_text_are_left_out_of_a_region():
    # A wrong year ends a turn, then a sentence the text lacks: the year's region is weighed
    # against the year heard, not the year and the whole sentence after it.
    text = ("Alice : la séance a eu lieu en deux mille cinq cent deux\n"
            "Bruno : merci pour ces précisions sur les coulées de lave\n")
    t = parse_transcript(text, language="fr")
    said = "la séance a eu lieu en 2002".split()
    extra = "les réunions du comité duraient souvent très tard dans la nuit".split()
    heard = _heard(said)
    last = heard[-1].end
    heard += [HeardWord(w, last + 1.5 + 0.3 * k, last + 1.7 + 0.3 * k, 0.9, norm_token(w, "fr"))
              for k, w in enumerate(extra)]
    last = heard[-1].end
    heard += [HeardWord(w, last + 1.5 + 0.3 * k, last + 1.7 + 0.3 * k, 0.9, norm_token(w, "fr"))
              for k, w in enumerate("merci pour ces précisions sur les coulées de lave".split())]
    plan = make_plan(t, heard, heard[-1].end + 1.0)
    assert len(plan.gaps) == 1 and len(plan.gaps[0].heard) >= len(extra) - 2
    assert all(heard[j].text in extra for j in plan.gaps[0].heard)
    regs = regions(t, plan, heard, "fr")
    assert len(regs) == 1 and regs[0].heard_text.startswith("2002") and len(regs[0].heard) <= 2

# ---------------------------------------------------------------------------- speakers' names

def test_a_speakers_name_spelled_as_in_the_labels_weighs_less():
    text = ("Monde Numérique : Bonjour Aude Durand, vous êtes directrice générale.\n"
            "Aude Durand : Bonjour, oui, chez Kyutai à Paris.\n")
    t = parse_transcript(text, language="fr")
    toks = {tok.text.strip(",."): tok.index for tok in t.tokens}

    def reg(*words):
        ids = [toks[w] for w in words]
        return Region(ids, [0], " ".join(words), "au bureau", t.tokens[ids[0]].char_start,
                      t.tokens[ids[-1]].char_end)

    assert flags.speakers_named(t, reg("Aude", "Durand"))
    assert not flags.speakers_named(t, reg("Kyutai"))  # a name, but no speaker's
    assert not flags.speakers_named(t, reg("vous", "êtes"))  # no name at all
    named = _cand([6], "Aude Durand", "au bureau")
    named.speaker_name = True
    assert flags.features(named, "fr", 0.9)["speaker_name"] == 1.0


def test_spellings_that_sound_the_same_are_judged_by_the_text_alone():
    # "Mathieu" / "Matthieu" sound alike: the model's preference between them is a spelling
    # habit, not something it heard, so even a clear preference for "Mathieu" vetoes nothing.
    text = ("Alice : Matthieu arrive. Matthieu parle. Merci Matthieu. "
            "Bonjour Mathieu, bienvenue.\n")
    t = parse_transcript(text, language="fr")
    (v,) = flags.spelling_variants(t, range(len(t.tokens)))
    assert (t.tokens[v.token].text, v.usual) == ("Mathieu,", "Matthieu")
    fits = {v.token: WordFit(v.token, 3.0, 3.4, 0.2, -2.0, 0.5)}
    (m,) = flags.decide_variants(t, [v], _weighed(v, -3.0), fits, "fr")
    assert (m.transcript_text, m.heard_text) == ("Mathieu", "Matthieu")


def _body_fit(i, body):
    return WordFit(i, float(i), float(i) + 0.3, 0.5, -3.5, 0.5, body)


def test_body_heard_is_the_worst_later_piece_of_the_content_words():
    toks = _toks(["le", "rugissement", "du", "tigre"])
    fits = {0: _body_fit(0, None), 1: _body_fit(1, -0.04), 2: _body_fit(2, None),
            3: _body_fit(3, -0.9)}
    # function words do not count; content words all have a body: the worst one
    assert flags.body_heard([0, 1], fits, toks, "fr") == pytest.approx(-0.04)
    assert flags.body_heard([1, 2, 3], fits, toks, "fr") == pytest.approx(-0.9)
    # a content word of one piece: nothing to go on for the flag as a whole
    fits[3] = _body_fit(3, None)
    assert flags.body_heard([1, 3], fits, toks, "fr") is None
    assert flags.body_heard([0, 2], fits, toks, "fr") is None  # function words only



def test_derived_evidence_names_and_values():
    from aligner.flags import derived_features
    f = derived_features(1.0, 0.8, 0.6, "dix-huit personnes", "17 personnes", "fr")
    assert f == {"name_sound": 0.8, "name_spelling": 0.6, "value_unheard": 1.0}
    assert derived_features(0.0, 0.8, 0.6, "dix-sept", "17", "fr") == {
        "name_sound": 0.0, "name_spelling": 0.0, "value_unheard": 0.0}
    assert derived_features(0.0, 0.5, 0.5, "le rugissement", "votre jugement", "fr")["value_unheard"] == 0.0


def _flag(text: str, word: str, conf: float, suggestion: str | None = None, at: int = 0):
    from aligner.types import Mismatch

    a = text.index(word, at)
    return Mismatch("substitution", "word", 1.0, 1.5, a, a + len(word), word, word.upper(), conf,
                    evidence={"who": word}, suggestion=suggestion)


def test_flags_on_neighbouring_words_merge_into_one_place_to_check():
    text = "ce que va faire Kyuta exactement, 300 millions"
    a = _flag(text, "Kyuta", 0.6, suggestion="Kyutai")
    b = _flag(text, "exactement,", 0.85)
    [m] = flags.merged_adjacent([b, a], text)
    assert (m.char_start, m.char_end) == (a.char_start, b.char_end)
    assert m.transcript_text == "Kyuta exactement,"
    assert m.confidence == 0.85 and m.evidence["who"] == "exactement," and m.evidence["merged"] == 2
    assert m.suggestion == "Kyutai exactement,"  # the part's suggestion put in, the rest kept
    assert m.heard_text == "KYUTA EXACTEMENT,"
    assert (m.start, m.end) == (1.0, 1.5)


def test_flags_with_a_word_between_them_stay_apart():
    text = "ce que va faire Kyuta exactement, 300 millions"
    a, b = _flag(text, "faire", 0.7), _flag(text, "exactement,", 0.8)
    out = flags.merged_adjacent([a, b], text)
    assert sorted(m.transcript_text for m in out) == ["exactement,", "faire"]
    assert all(m.suggestion is None and "merged" not in m.evidence for m in out)
