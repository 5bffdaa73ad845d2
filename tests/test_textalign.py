"""Unit tests of the text alignment (aligner/textalign.py): pure, no model, no audio."""
from __future__ import annotations

import random

import pytest

from aligner.normalize import norm_token
from aligner.textalign import MATCH_SIM, Pair, align_units, units, word_matches


def _check_complete(pairs: list[Pair], n_p: int, n_h: int) -> None:
    """Every unit of both sides appears, in order: once, or twice in a row where a joined word
    pairs with both halves of its split form."""
    assert sorted(set(pr.p for pr in pairs if pr.p is not None)) == list(range(n_p))
    assert sorted(set(pr.h for pr in pairs if pr.h is not None)) == list(range(n_h))
    for side in ("p", "h"):
        seq = [getattr(pr, side) for pr in pairs if getattr(pr, side) is not None]
        assert seq == sorted(seq)
    for pr in pairs:
        assert pr.p is not None or pr.h is not None
        assert 0.0 <= pr.sim <= 1.0
        if pr.p is None or pr.h is None:
            assert pr.sim == 0.0


# ------------------------------------------------------------------------------------- units

def test_units_flattens_and_remembers_owner():
    out, owner = units(["trois cents", "euros", "", "c est a dire"])
    assert out == ["trois", "cents", "euros", "c", "est", "a", "dire"]
    assert owner == [0, 0, 1, 3, 3, 3, 3]


def test_units_from_norm_token_numbers():
    out, owner = units([norm_token("300", "fr"), norm_token("euros", "fr")])
    assert out == ["trois", "cents", "euros"]
    assert owner == [0, 0, 1]


def test_units_empty():
    assert units([]) == ([], [])
    assert units(["", ""]) == ([], [])


# -------------------------------------------------------------------------------- align_units

def test_align_empty_sides():
    assert align_units([], []) == []
    assert align_units(["a", "b"], []) == [Pair(0, None, 0.0), Pair(1, None, 0.0)]
    assert align_units([], ["a"]) == [Pair(None, 0, 0.0)]


def test_identical_sequences_align_one_to_one():
    seq = "le chat est sur le tapis et le chien dort dans la cuisine".split()
    pairs = align_units(seq, list(seq))
    assert pairs == [Pair(i, i, 1.0) for i in range(len(seq))]


def test_identical_long_sequences_align_one_to_one():
    rng = random.Random(3)
    seq = [f"w{rng.randrange(400)}" for _ in range(2000)]  # past MAX_DP: anchored path
    pairs = align_units(seq, list(seq))
    assert pairs == [Pair(i, i, 1.0) for i in range(len(seq))]


def test_substituted_word_pairs_with_its_misspelling():
    P = "nous avons rencontre emmanuel macron hier soir".split()
    H = "nous avons rencontre emanuel macron hier soir".split()
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    assert len(pairs) == len(P)
    sub = pairs[3]
    assert (sub.p, sub.h) == (3, 3)
    assert MATCH_SIM <= sub.sim < 1.0
    assert sub.sim == pytest.approx(7 / 8)  # one deletion in "emmanuel"
    assert all(pr.sim == 1.0 for k, pr in enumerate(pairs) if k != 3)


def test_different_word_pairs_below_match_sim():
    P = "il a vu dix-huit chevaux".replace("-", " ").split()
    H = "il a vu dix sept chevaux".split()
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    sub = [pr for pr in pairs if pr.p == 4][0]
    assert sub.h == 4 and sub.sim < MATCH_SIM  # "huit" vs "sept"


def test_inserted_heard_stretch_is_h_only():
    P = "bonjour a tous bienvenue dans ce nouvel episode de notre podcast".split()
    extra = "cet episode vous est offert par notre partenaire habituel".split()
    H = P[:4] + extra + P[4:]
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    # every published unit matched exactly to the same word
    matched = [(pr.p, pr.h) for pr in pairs if pr.p is not None]
    assert matched == [(k, k if k < 4 else k + len(extra)) for k in range(len(P))]
    assert all(pr.sim == 1.0 for pr in pairs if pr.p is not None)
    h_only = [pr.h for pr in pairs if pr.p is None]
    assert h_only == list(range(4, 4 + len(extra)))


def test_omitted_published_stretch_is_p_only():
    P = "un deux trois quatre cinq six sept huit neuf dix onze douze".split()
    H = P[:3] + P[8:]
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    assert [pr.p for pr in pairs if pr.h is None] == [3, 4, 5, 6, 7]


def test_long_noisy_sequences_complete_in_order():
    rng = random.Random(11)
    vocab = [f"mot{i}" for i in range(2000)]
    P = [rng.choice(vocab) for _ in range(20000)]
    H: list[str] = []
    for u in P:  # 30% noise: deletions, substitutions, insertions
        r = rng.random()
        if r < 0.1:
            continue
        if r < 0.2:
            H.append(rng.choice(vocab))
        elif r < 0.3:
            H += [u, rng.choice(vocab)]
        else:
            H.append(u)
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    exact = sum(1 for pr in pairs if pr.p is not None and pr.h is not None and P[pr.p] == H[pr.h])
    assert exact >= 0.95 * 0.8 * len(P)  # ~80% of P survive unchanged in H


def test_text_that_repeats_itself_pairs_each_repeat_with_its_own_speech():
    """A transcript repeating itself (a rerun, a refrain): no n-gram is found once, and
    recognition skipped half of the first repeat.  Each repeat's text still pairs with the
    speech of that repeat, not with the next one's."""
    rng = random.Random(3)
    vocab = [f"mot{i}" for i in range(300)]
    T = [rng.choice(vocab) for _ in range(250)]
    P = T * 4
    H = T[125:] + T * 3  # the first half of the first repeat was never heard
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    exact = [(pr.p, pr.h) for pr in pairs if pr.p is not None and pr.h is not None and P[pr.p] == H[pr.h]]
    assert len(exact) >= 0.95 * len(H)
    # the repeat a heard unit belongs to (the first heard 125 units are the end of repeat 0)
    heard_repeat = [0] * 125 + [k for k in range(1, 4) for _ in T]
    assert all(pi // len(T) == heard_repeat[hj] for pi, hj in exact)


def test_long_heard_only_stretch_between_anchors():
    rng = random.Random(1)
    P = [f"a{i}" for i in range(50)] + [f"b{i}" for i in range(50)]
    extra = [f"x{rng.randrange(5000)}" for _ in range(700)]
    H = P[:50] + extra + P[50:]
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    assert [pr.h for pr in pairs if pr.p is None] == list(range(50, 750))


def test_empty_published_long_heard():
    H = [f"x{i}" for i in range(700)]
    assert align_units([], H) == [Pair(None, j, 0.0) for j in range(700)]


# ------------------------------------------------------------------------------- word_matches

def test_word_matches_simple():
    pub = ["le", "chat", "emmanuel", "dort"]
    heard = ["le", "chat", "emanuel", "dort"]
    P, po = units(pub)
    H, ho = units(heard)
    assert word_matches(align_units(P, H), po, ho, len(pub)) == [[0], [1], [2], [3]]


def test_word_matches_number_in_digits_vs_words():
    pub = [norm_token(w, "fr") for w in ["il", "a", "300", "euros"]]
    heard = [norm_token(w, "fr") for w in ["il", "a", "trois", "cents", "euros"]]
    P, po = units(pub)
    H, ho = units(heard)
    m = word_matches(align_units(P, H), po, ho, len(pub))
    assert m == [[0], [1], [2, 3], [4]]


def test_word_matches_below_min_sim_unmatched():
    pub = ["il", "a", "vu", "huit", "chevaux"]
    heard = ["il", "a", "vu", "sept", "chevaux"]
    P, po = units(pub)
    H, ho = units(heard)
    m = word_matches(align_units(P, H), po, ho, len(pub))
    assert m == [[0], [1], [2], [], [4]]
    # with a permissive threshold the substitution counts
    assert word_matches(align_units(P, H), po, ho, len(pub), min_sim=0.0)[3] == [3]


def test_split_published_joined_heard_pairs_both_halves():
    """Published "deep mind" (one token, two units) vs heard "deepmind": one joined step pairs
    the heard word with both published units, at full similarity."""
    pub = ["deep mind", "est", "la"]
    heard = ["deepmind", "est", "la"]
    P, po = units(pub)
    H, ho = units(heard)
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    assert pairs == [Pair(0, 0, 1.0), Pair(1, 0, 1.0), Pair(2, 1, 1.0), Pair(3, 2, 1.0)]
    assert word_matches(pairs, po, ho, len(pub)) == [[0], [1], [2]]


def test_joined_step_needs_exact_halves():
    """Only an exact join counts: "deep mint" is not "deepmind"."""
    P, H = ["deep", "mint", "est"], ["deepmind", "est"]
    pairs = align_units(P, H)
    _check_complete(pairs, len(P), len(H))
    assert not any(pr.sim == 1.0 and pr.h == 0 for pr in pairs)


def test_two_published_words_joined_in_heard():
    """"Open AI" published as two words, heard "OpenAI": both words match the one heard word."""
    pub = [norm_token("Open"), norm_token("AI"), "a", "dit"]
    heard = [norm_token("OpenAI"), "a", "dit"]
    P, po = units(pub)
    H, ho = units(heard)
    assert word_matches(align_units(P, H), po, ho, len(pub)) == [[0], [0], [1], [2]]


@pytest.mark.parametrize("pub_word,heard_words", [
    ("deep mind", ["deepmind"]),
    ("DeepMind", ["deep", "mind"]),
])
def test_word_matches_joined_split_words_line_up(pub_word, heard_words):
    pub = [norm_token(pub_word), "est", "la"]
    heard = [norm_token(w) for w in heard_words] + ["est", "la"]
    P, po = units(pub)
    H, ho = units(heard)
    m = word_matches(align_units(P, H), po, ho, len(pub))
    assert m[0] == list(range(len(heard_words)))
