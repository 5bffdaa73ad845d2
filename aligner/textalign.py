"""Aligning the published words with the heard words, in time and memory linear in their length.

Both sides are cut into *units*: the single words of their normalised forms ("300" gives "trois",
"cents"), so joined/split words and numbers in digits line up.  Units are first paired by unique
n-grams (found once on each side, kept in order by a longest increasing subsequence), then the
short stretches between those anchors get an exact edit-distance alignment whose substitution
cost is the spelling distance of the two units.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

# Stretches longer than this (in units, either side) between anchors are split at their middle
# rather than aligned whole, to bound the quadratic inner alignment.
MAX_DP = 600
THIN_DP = 8
MATCH_SIM = 0.75  # units at least this alike count as the same word heard (possibly misspelled)


@dataclass(frozen=True)
class Pair:
    """One step of the alignment: a published unit, a heard unit, or both."""

    p: int | None  # index into published units
    h: int | None  # index into heard units
    sim: float  # spelling similarity of the two units (0 when one side is missing)


def units(norms: list[str]) -> tuple[list[str], list[int]]:
    """Flatten normalised words into units, remembering which word each unit came from."""
    out, owner = [], []
    for i, n in enumerate(norms):
        for u in n.split():
            out.append(u)
            owner.append(i)
    return out, owner


def _sim(a: str, b: str) -> float:
    return 1.0 if a == b else Levenshtein.normalized_similarity(a, b)


def _ngram_positions(seq: list[str], a: int, b: int, n: int) -> dict[tuple, list[int]]:
    """Where each n-gram of seq[a:b] starts (absolute positions, in order)."""
    at: dict[tuple, list[int]] = {}
    for i in range(a, b - n + 1):
        at.setdefault(tuple(seq[i:i + n]), []).append(i)
    return at


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest chain of pairs increasing in both coordinates (pairs sorted by the first)."""
    tails, tails_idx, prev = [], [], [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    out, k = [], tails_idx[-1] if tails_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def _anchors(P: list[str], H: list[str], p0: int, p1: int, h0: int, h1: int, n: int):
    gp, gh = _ngram_positions(P, p0, p1, n), _ngram_positions(H, h0, h1, n)
    cand = sorted((ip[0], gh[g][0]) for g, ip in gp.items() if len(ip) == 1 and len(gh.get(g, ())) == 1)
    return _lis(cand)


REPEAT_N = 4  # n-grams this long ...
REPEAT_MAX = 16  # ... found at most this many times on each side anchor repeated text


def _repeated_anchors(P: list[str], H: list[str], p0: int, p1: int, h0: int, h1: int, n: int):
    """Pairs of equal n-grams, each found at most REPEAT_MAX times on either side, kept in order
    by a longest increasing subsequence: the chain through repeated text that pairs the most."""
    wp, wh = _ngram_positions(P, p0, p1, n), _ngram_positions(H, h0, h1, n)
    # the heard positions of one published position in decreasing order, so that the chain
    # (increasing in both) takes at most one of them
    cand = sorted(((i, j) for g, ip in wp.items() if len(ip) <= REPEAT_MAX
                   for j in wh.get(g, ()) if len(wh[g]) <= REPEAT_MAX for i in ip),
                  key=lambda x: (x[0], -x[1]))
    return _lis(cand)


def _dp(P: list[str], H: list[str], p0: int, p1: int, h0: int, h1: int) -> list[Pair]:
    """Edit-distance alignment with soft substitution cost (2 * spelling distance), plus free
    one-to-two steps for joined and split words."""
    n, m = p1 - p0, h1 - h0
    if n == 0:
        return [Pair(None, h0 + j, 0.0) for j in range(m)]
    if m == 0:
        return [Pair(p0 + i, None, 0.0) for i in range(n)]
    INF = float("inf")
    cost = [[INF] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    sims = [[0.0] * m for _ in range(n)]
    for i in range(n + 1):
        cost[i][0] = float(i)
        back[i][0] = 1
    for j in range(m + 1):
        cost[0][j] = float(j)
        back[0][j] = 2
    # A word written joined on one side and split on the other ("deepmind" / "deep mind") is
    # one step that pairs the joined unit with both halves, at no cost.
    pj = [None, None] + [P[p0 + i - 2] + P[p0 + i - 1] for i in range(2, n + 1)]
    hj = [None, None] + [H[h0 + j - 2] + H[h0 + j - 1] for j in range(2, m + 1)]
    for i in range(1, n + 1):
        pi = P[p0 + i - 1]
        row, prow, brow, srow = cost[i], cost[i - 1], back[i], sims[i - 1]
        for j in range(1, m + 1):
            hjm = H[h0 + j - 1]
            s = _sim(pi, hjm)
            srow[j - 1] = s
            best, b = prow[j - 1] + 2.0 * (1.0 - s), 0
            if prow[j] + 1.0 < best:
                best, b = prow[j] + 1.0, 1
            if row[j - 1] + 1.0 < best:
                best, b = row[j - 1] + 1.0, 2
            if best > 0.0:
                if i >= 2 and pj[i] == hjm and cost[i - 2][j - 1] < best:
                    best, b = cost[i - 2][j - 1], 3
                if j >= 2 and hj[j] == pi and row[j - 2] < best:
                    best, b = row[j - 2], 4
            row[j], brow[j] = best, b
    out, i, j = [], n, m
    while i > 0 or j > 0:
        b = back[i][j]
        if i > 0 and j > 0 and b == 0:
            out.append(Pair(p0 + i - 1, h0 + j - 1, sims[i - 1][j - 1]))
            i, j = i - 1, j - 1
        elif b == 3 and i > 1 and j > 0:  # two published units, one heard
            out += [Pair(p0 + i - 1, h0 + j - 1, 1.0), Pair(p0 + i - 2, h0 + j - 1, 1.0)]
            i, j = i - 2, j - 1
        elif b == 4 and i > 0 and j > 1:  # one published unit, two heard
            out += [Pair(p0 + i - 1, h0 + j - 1, 1.0), Pair(p0 + i - 1, h0 + j - 2, 1.0)]
            i, j = i - 1, j - 2
        elif i > 0 and (b == 1 or j == 0):
            out.append(Pair(p0 + i - 1, None, 0.0))
            i -= 1
        else:
            out.append(Pair(None, h0 + j - 1, 0.0))
            j -= 1
    return out[::-1]


def _stitch(P, H, anchors, p0, p1, h0, h1, n, inner_n) -> list[Pair]:
    """Matched n-grams as fixed points, the stretches between them aligned recursively."""
    out, cp, ch = [], p0, h0
    for i, j in anchors:
        if i < cp or j < ch:  # overlaps the previous n-gram
            continue
        out += _align(P, H, cp, i, ch, j, inner_n)
        out += [Pair(i + k, j + k, 1.0) for k in range(n)]
        cp, ch = i + n, j + n
    return out + _align(P, H, cp, p1, ch, h1, inner_n)


def _align(P, H, p0, p1, h0, h1, n) -> list[Pair]:
    np_, nh = p1 - p0, h1 - h0
    # Exact alignment when the table is small, or one side is so short that the table is thin
    # (splitting could not shrink it any further).
    if (np_ <= MAX_DP and nh <= MAX_DP) or min(np_, nh) <= THIN_DP:
        return _dp(P, H, p0, p1, h0, h1)
    anchors = _anchors(P, H, p0, p1, h0, h1, n)
    if anchors:
        return _stitch(P, H, anchors, p0, p1, h0, h1, n, n)
    if n > 1:
        return _align(P, H, p0, p1, h0, h1, n - 1)
    # Nothing found once on each side: text that repeats itself (a refrain, a jingle read out,
    # a transcript of a rerun).  N-grams found a few times on each side, chained in order, pin
    # the repeats to each other; splitting in proportion would pair one repeat's text with the
    # next one's speech wherever recognition heard more of one repeat than of another.
    anchors = _repeated_anchors(P, H, p0, p1, h0, h1, REPEAT_N)
    if anchors:
        return _stitch(P, H, anchors, p0, p1, h0, h1, REPEAT_N, REPEAT_N - 1)
    # No common ground in a long stretch: split both sides in proportion.
    pm = (p0 + p1) // 2
    hm = h0 + (h1 - h0) * (pm - p0) // max(1, p1 - p0)
    return _align(P, H, p0, pm, h0, hm, 3) + _align(P, H, pm, p1, hm, h1, 3)


def align_units(P: list[str], H: list[str], n: int = 4) -> list[Pair]:
    """Align two unit sequences; every unit of both appears in order, once, or twice where a
    joined word pairs with both halves of its split form."""
    # Anchor the whole sequences first so the inner alignments stay short.
    anchors = _anchors(P, H, 0, len(P), 0, len(H), n) if P and H else []
    return _stitch(P, H, anchors, 0, len(P), 0, len(H), n, 3)


def word_matches(pairs: list[Pair], p_owner: list[int], h_owner: list[int], n_pub: int,
                 min_sim: float = MATCH_SIM) -> list[list[int]]:
    """For each published word, the heard words its units were matched to (similar enough)."""
    out: list[list[int]] = [[] for _ in range(n_pub)]
    for pr in pairs:
        if pr.p is not None and pr.h is not None and pr.sim >= min_sim:
            hw = h_owner[pr.h]
            lst = out[p_owner[pr.p]]
            if hw not in lst:
                lst.append(hw)
    return out
