"""Cut timed words into subtitle cues.

Hard rules (always hold): cues never overlap, a cue never mixes two speakers, a cue has at most
``max_lines`` lines of at most ``max_chars`` characters (a single word longer than that gets a line
of its own).  Soft rules, most important first: ``min_gap`` between cues, ``min_duration``,
``max_cps`` reading speed (``hard_cps`` is only exceeded where the speech itself is faster), and
``max_duration``.

Within one speaker's stretch of speech the cut points are chosen by dynamic programming over the
words: each candidate cue gets a cost from where it ends (sentence end < clause punctuation < pause
< anywhere else; never after a function word), its reading speed, its duration and how well its
lines balance.  Long silences always end a cue.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .nonspeech import shown_text
from .types import Cue, TimedWord

# Words a line (or a cue) must not end with: articles, prepositions, conjunctions, pronouns that
# lean on the next word.  French and English; compared lower case, apostrophes normalised.
FUNCTION_WORDS = frozenset(
    """
    le la les l' un une des du de d' au aux à a en et ou où mais que qu' qui dont pour par sur
    sous dans avec sans chez vers entre contre pendant selon malgré ni or car donc si s' comme
    lorsque quand puisque parce ce cet cette ces c' ç' mon ma mes ton ta tes son sa ses notre
    nos votre vos leur leurs je j' tu il ils on me m' te t' se ne n' y très quel quelle quels
    quelles
    the a an of to in on at for and or but nor with from by as into onto upon about than
    my your his her its our their i we he she they if because while when where whether via per
    very some any each every such
    """.split()
)

SENTENCE_END = re.compile(r"[.?!…]+[\"'»”’)\]]*$")
CLAUSE_END = re.compile(r"([,;:]|—|–|\s-)[\"'»”’)\]]*$")
_PUNCT_ONLY = re.compile(r"^[^\w]+$", re.UNICODE)
_WORDISH = re.compile(r"\w", re.UNICODE)
_OPENING = set("«“‘\"'([{¿¡")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})

LONG_SILENCE = 1.5  # seconds: always cut a cue across such a silence
PAUSE = 0.3  # seconds: a gap worth cutting at


@dataclass
class CueOptions:
    max_chars: int = 42
    max_lines: int = 2
    min_duration: float = 1.0
    max_duration: float = 7.0
    max_cps: float = 17.0
    hard_cps: float = 20.0
    min_gap: float = 0.08
    speaker_prefix: bool = True  # leave room for "Name: " on the first cue of each speaker turn


@dataclass
class _Unit:
    """One timed word plus any punctuation-only tokens glued to it."""

    text: str
    start: float
    end: float
    speaker: str | None
    words: list[TimedWord]


# --------------------------------------------------------------------------------------------
# word classification


def _bare(text: str) -> str:
    return text.lower().translate(_APOSTROPHES).strip(" \"«»“”()[]{}¿¡")


def is_function_word(text: str) -> bool:
    """True for a word that must not end a line: an article, preposition, conjunction, a
    proclitic pronoun or an elided form (l', d', qu', jusqu'...)."""
    t = text.strip()
    if not t or SENTENCE_END.search(t) or CLAUSE_END.search(t):
        return False
    b = _bare(t)
    if b in FUNCTION_WORDS:
        return True
    return b.endswith("'") and (len(b) <= 4 or b[:-1] in FUNCTION_WORDS or b.endswith("qu'"))


def is_weak_end(text: str) -> bool:
    """A function word, or a lone short word (one or two lower-case letters, no punctuation)."""
    if is_function_word(text):
        return True
    t = text.strip()
    if SENTENCE_END.search(t) or CLAUSE_END.search(t):
        return False
    b = _bare(t)
    return 0 < len(b) <= 2 and b.isalpha() and b.islower()


def _is_sentence_end(text: str) -> bool:
    return bool(SENTENCE_END.search(text.strip()))


def _is_clause_end(text: str) -> bool:
    return bool(CLAUSE_END.search(text.strip()))


# --------------------------------------------------------------------------------------------
# units


def _units(words: list[TimedWord]) -> list[_Unit]:
    """Timed words in order, with punctuation-only tokens glued to their neighbour."""
    units: list[_Unit] = []
    pending_open: list[TimedWord] = []  # opening punctuation waiting for the next word
    for w in words:
        if w.reason == "unspoken":
            continue
        text = shown_text(w.token.text)
        if not text:
            continue
        if _PUNCT_ONLY.match(text):
            if all(c in _OPENING for c in text.replace(" ", "")) and not (
                units and text in ("\"", "'") and units[-1].text.count(text) % 2 == 1
            ):
                pending_open.append(w)
            elif units and units[-1].speaker == w.token.speaker:
                units[-1].text += " " + text
                units[-1].words.append(w)
            continue
        if w.start is None:
            continue
        start = float(w.start)
        end = float(w.end) if w.end is not None else start
        end = max(end, start)
        prefix = " ".join(shown_text(p.token.text) for p in pending_open)
        u = _Unit(
            text=prefix + text if prefix and prefix[-1] in "“‘([{¿¡" else (prefix + " " + text).strip(),
            start=start,
            end=end,
            speaker=w.token.speaker,
            words=[*pending_open, w],
        )
        pending_open = []
        units.append(u)
    # keep times monotonic (a glitch upstream must not make cues overlap)
    for a, b in zip(units, units[1:]):
        if b.start < a.start:
            b.start = a.start
        if b.end < b.start:
            b.end = b.start
    return units


# --------------------------------------------------------------------------------------------
# line layout


def _layout(texts: list[str], opts: CueOptions, prefix: int = 0) -> tuple[float, list[int]] | None:
    """Best split of ``texts`` into at most ``max_lines`` lines.

    Returns (cost, line start indices) or None when no split respects the hard rules.  ``prefix``
    characters are reserved at the start of the first line (the "Name: " speaker prefix).
    """
    n = len(texts)
    lens = [len(t) for t in texts]
    cum = [0]
    for ln in lens:
        cum.append(cum[-1] + ln)

    def width(i: int, j: int) -> int:  # words i..j-1 joined by spaces
        return cum[j] - cum[i] + (j - i - 1)

    def fits(i: int, j: int) -> bool:
        w = width(i, j) + (prefix if i == 0 else 0)
        return w <= opts.max_chars or j - i == 1

    if fits(0, n):
        return 0.0, [0]
    best: tuple[float, list[int]] | None = None
    max_lines = max(1, opts.max_lines)
    if max_lines == 2:  # the usual case, linear
        total = width(0, n) + prefix
        for k in range(1, n):
            if not (fits(0, k) and fits(k, n)):
                continue
            w1 = width(0, k) + prefix
            c = ((w1 - (total - w1 - 1)) / 4.0) ** 2 / 2 + _line_end_cost(texts[k - 1])
            if best is None or c < best[0]:
                best = (c, [0, k])
        return best
    # dynamic programming for any max_lines; line-end penalties + squared deviation from balance
    for nlines in range(2, max_lines + 1):
        total = width(0, n) + prefix
        target = total / nlines
        # dp[k][j]: best cost to lay words 0..j-1 on k lines
        inf = math.inf
        dp = [[inf] * (n + 1) for _ in range(nlines + 1)]
        back = [[-1] * (n + 1) for _ in range(nlines + 1)]
        dp[0][0] = 0.0
        for k in range(1, nlines + 1):
            for j in range(1, n + 1):
                for i in range(k - 1, j):
                    if dp[k - 1][i] == inf or not fits(i, j):
                        continue
                    w = width(i, j) + (prefix if i == 0 else 0)
                    c = dp[k - 1][i] + ((w - target) / 4.0) ** 2
                    if j < n:
                        c += _line_end_cost(texts[j - 1])
                    if c < dp[k][j]:
                        dp[k][j] = c
                        back[k][j] = i
        if dp[nlines][n] < inf:
            starts = []
            j, k = n, nlines
            while k > 0:
                i = back[k][j]
                starts.append(i)
                j, k = i, k - 1
            cand = (dp[nlines][n] + 0.5 * (nlines - 2), sorted(starts))
            if best is None or cand[0] < best[0]:
                best = cand
        if best is not None:
            break  # fewest lines that work
    return best


def _line_end_cost(text: str) -> float:
    if _is_sentence_end(text):
        return -1.5
    if _is_clause_end(text):
        return -1.0
    if is_function_word(text):
        return 200.0
    if is_weak_end(text):
        return 20.0
    return 0.0


# --------------------------------------------------------------------------------------------
# cue segmentation


def _break_cost(u: _Unit, nxt: _Unit | None) -> float:
    """Cost of ending a cue after unit ``u`` (``nxt`` follows in the same speaker stretch)."""
    if nxt is None:
        return 0.0
    gap = max(0.0, nxt.start - u.end)
    if _is_sentence_end(u.text):
        cost = 0.0
    elif _is_clause_end(u.text):
        cost = 3.0
    else:
        cost = 7.0
    if gap > PAUSE:
        cost -= min(5.5, 2.5 + 5.0 * (gap - PAUSE))
    elif gap > 0.15:
        cost -= 1.0
    if is_function_word(u.text):
        cost += 60.0
    elif is_weak_end(u.text):
        cost += 8.0
    return cost


def _shown_duration(start: float, speech_end: float, chars: int, limit: float, opts: CueOptions) -> float:
    want = max(opts.min_duration, chars / opts.max_cps if opts.max_cps > 0 else 0.0)
    want = min(want, max(opts.max_duration, speech_end - start))
    end = max(speech_end, min(start + want, limit))
    return max(end - start, 1e-3)


def _segment(units: list[_Unit], opts: CueOptions, prefix: int, limit_after: float) -> list[list[int]]:
    """Split one speaker stretch (no long silence inside) into cues; returns index groups."""
    n = len(units)
    texts = [u.text for u in units]
    inf = math.inf
    best = [inf] * (n + 1)
    back = [-1] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == inf:
            continue
        pre = prefix if i == 0 else 0
        chars = -1
        for j in range(i + 1, n + 1):
            chars += len(texts[j - 1]) + 1
            lay = _layout(texts[i:j], opts, pre)
            if lay is None:  # adding words cannot make it fit again
                break
            c = best[i] + _cue_cost(units, i, j, chars, lay[0], opts, limit_after)
            if c < best[j]:
                best[j] = c
                back[j] = i
    groups = []
    j = n
    while j > 0:
        i = back[j]
        groups.append(list(range(i, j)))
        j = i
    groups.reverse()
    return groups


def _cue_cost(units: list[_Unit], i: int, j: int, chars: int, layout_cost: float,
              opts: CueOptions, limit_after: float) -> float:
    first, last = units[i], units[j - 1]
    nxt = units[j] if j < len(units) else None
    limit = (nxt.start if nxt else limit_after) - opts.min_gap
    speech = max(last.end - first.start, 1e-3)
    shown = _shown_duration(first.start, last.end, chars, limit, opts)
    cps = chars / shown
    cost = 2.0  # per cue: prefer fuller cues when nothing else decides
    cost += _break_cost(last, nxt)
    cost += min(layout_cost, 400.0) * 0.3
    # sentences ending inside a cue, away from a line break, read badly
    for k in range(i, j - 1):
        if _is_sentence_end(units[k].text):
            cost += 1.0
    if cps > opts.max_cps:
        cost += 3.0 * (cps - opts.max_cps)
    if cps > opts.hard_cps:
        cost += 25.0 * (cps - opts.hard_cps)
    if shown < opts.min_duration:
        cost += 6.0 * (opts.min_duration - shown)
    if speech > opts.max_duration:
        cost += 8.0 * (speech - opts.max_duration) + 5.0
    return cost


def build_cues(words: list[TimedWord], opts: CueOptions | None = None, language: str | None = None,
               *, duration: float | None = None) -> list[Cue]:
    """Subtitle cues for ``words`` (transcript order).  Untimed words are skipped (punctuation-only
    tokens are glued to their neighbour).  ``duration`` (the audio's) caps the last cue's end."""
    opts = opts or CueOptions()
    units = _units(words)
    if not units:
        return []
    # stretches: one speaker, no long silence inside
    stretches: list[tuple[list[_Unit], bool]] = []  # (units, starts a speaker turn)
    cur: list[_Unit] = [units[0]]
    new_turn = True
    for prev, u in zip(units, units[1:]):
        if u.speaker != prev.speaker:
            stretches.append((cur, new_turn))
            cur, new_turn = [u], True
        elif u.start - prev.end > LONG_SILENCE:
            stretches.append((cur, new_turn))
            cur, new_turn = [u], False
        else:
            cur.append(u)
    stretches.append((cur, new_turn))

    groups: list[list[_Unit]] = []
    for si, (stretch, turn) in enumerate(stretches):
        spk = stretch[0].speaker
        prefix = len(spk) + 2 if (opts.speaker_prefix and turn and spk) else 0
        after = stretches[si + 1][0][0].start if si + 1 < len(stretches) else (
            duration if duration is not None else math.inf)
        for g in _segment(stretch, opts, prefix, after):
            groups.append([stretch[k] for k in g])

    cues: list[Cue] = []
    for gi, g in enumerate(groups):
        spk = g[0].speaker
        turn = gi == 0 or groups[gi - 1][0].speaker != spk
        prefix = len(spk) + 2 if (opts.speaker_prefix and turn and spk) else 0
        texts = [u.text for u in g]
        lay = _layout(texts, opts, prefix) or (0.0, list(range(min(len(texts), opts.max_lines))))
        starts = lay[1] + [len(texts)]
        lines = [" ".join(texts[a:b]) for a, b in zip(starts, starts[1:])]
        words_in = [w for u in g for w in u.words]
        cues.append(Cue(start=g[0].start, end=g[-1].end, speaker=spk, text="\n".join(lines), words=words_in))

    _time_cues(cues, opts, duration)
    return cues


def _time_cues(cues: list[Cue], opts: CueOptions, duration: float | None) -> None:
    """Extend ends into silence for reading time, keep ``min_gap``, never overlap."""
    for k, c in enumerate(cues):
        nxt = cues[k + 1].start if k + 1 < len(cues) else (duration if duration is not None else math.inf)
        chars = len(c.text.replace("\n", ""))
        limit = nxt - opts.min_gap
        speech_end = c.end
        want = max(opts.min_duration, chars / opts.max_cps if opts.max_cps > 0 else 0.0)
        want = min(want, max(opts.max_duration, speech_end - c.start))
        end = max(speech_end, min(c.start + want, limit))
        if end > limit:  # touching the next cue: shorten to keep the gap, if the cue survives it
            end = max(limit, c.start + min(0.01, max(0.0, (nxt - c.start) / 2)))
        end = min(end, nxt)
        if duration is not None and k == len(cues) - 1:
            end = min(max(end, speech_end), max(duration, c.start + 0.01))
        if end <= c.start:
            end = c.start + 0.001 if nxt > c.start + 0.001 else c.start
        r = round(end, 3)
        if r < end and r + 0.001 <= limit:  # round up: rounding must not raise the reading speed
            r = round(r + 0.001, 3)
        c.end = r
        c.start = round(c.start, 3)
    for a, b in zip(cues, cues[1:]):  # rounding must not create overlap
        if b.start < a.end:
            a.end = b.start


# --------------------------------------------------------------------------------------------
# statistics


def cue_cps(c: Cue) -> float:
    d = c.end - c.start
    chars = len(c.text.replace("\n", ""))
    return chars / d if d > 0 else math.inf


def cue_stats(cues: list[Cue], opts: CueOptions | None = None) -> dict:
    """How many cues bend each soft rule, and hard-rule violations (should all be 0)."""
    opts = opts or CueOptions()
    n = len(cues)
    cps = [cue_cps(c) for c in cues]
    worst = max(range(n), key=lambda k: cps[k]) if n else None
    lines = [ln for c in cues for ln in c.text.split("\n")]
    over_chars = sum(1 for ln in lines
                     if len(ln) > opts.max_chars and sum(1 for p in ln.split() if _WORDISH.search(p)) > 1)
    fn_ends = 0
    for c in cues:
        for ln in c.text.split("\n"):
            parts = ln.split()
            if parts and is_function_word(parts[-1]):
                fn_ends += 1
    multi = 0
    for c in cues:
        spk = {w.token.speaker for w in c.words}
        if len(spk) > 1:
            multi += 1
    return {
        "cues": n,
        "short_gap": sum(1 for a, b in zip(cues, cues[1:]) if b.start - a.end < opts.min_gap - 1e-6),
        "short_duration": sum(1 for c in cues if c.end - c.start < opts.min_duration - 1e-6),
        "long_duration": sum(1 for c in cues if c.end - c.start > opts.max_duration + 1e-6),
        "over_max_cps": sum(1 for v in cps if v > opts.max_cps + 1e-6),
        "over_hard_cps": sum(1 for v in cps if v > opts.hard_cps + 1e-6),
        "share_within_max_cps": round(sum(1 for v in cps if v <= opts.max_cps + 1e-6) / n, 3) if n else 1.0,
        "worst_cps": None if worst is None else {
            "cps": round(cps[worst], 1) if math.isfinite(cps[worst]) else None,
            "index": worst,
            "start": cues[worst].start,
            "text": cues[worst].text.replace("\n", " "),
        },
        "max_line_chars": max((len(ln) for ln in lines), default=0),
        "lines_over_max_chars": over_chars,  # lines of several words only
        "too_many_lines": sum(1 for c in cues if c.text.count("\n") + 1 > opts.max_lines),
        "function_word_line_ends": fn_ends,
        "overlaps": sum(1 for a, b in zip(cues, cues[1:]) if b.start < a.end - 1e-9),
        "multi_speaker": multi,
    }
