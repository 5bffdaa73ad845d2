"""Cut timed words into subtitle cues.

Hard rules (always hold): cues never overlap, a cue never mixes two speakers, a cue has at most
``max_lines`` lines of at most ``max_chars`` characters (a single word longer than that gets a line
of its own).  Soft rules, most important first: ``min_gap`` between cues, ``min_duration``,
``max_cps`` reading speed, and ``max_duration``.  A speaker's *ceiling* is max(``hard_cps``,
``rate_factor`` x their own rate): the characters of their timed words, spaces included, over the
sum of those words' durations.  A cue reads over it only where no cut of its stretch keeps every
cue under it, and then no faster than the best cut can.

Reading speed, line length and balance count the text the viewer sees: with ``speaker_prefix``
(SRT's ``Name: `` on a turn's first cue) that cue is cut and timed with the prefix counted; VTT
carries the name in a voice tag, so the same cues read a little slower there.

Within one speaker's stretch of speech the cut points are chosen by dynamic programming over the
words, in two passes: the first finds the lowest reachable worst excess over the ceiling (a
bottleneck path: max is monotone, so the DP is exact), the second the cheapest cut among those that
keep every cue within it.  A cue's cost comes from where it ends (sentence end < clause punctuation
< pause < anywhere else; never after a function word), its reading speed over ``max_cps``, its
duration, sentence ends left inside its lines and how well its lines balance.  Long silences always
end a cue.  Minimising the worst cue first is what keeps a cue from being crammed beside a flash:
a summed cost could pay for one 35 cps cue with a cheap break beside it.
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
    hard_cps: float = 20.0  # the ceiling's floor: max(hard_cps, rate_factor x the speaker's rate)
    rate_factor: float = 1.25
    min_gap: float = 0.08
    speaker_prefix: bool = True  # "Name: " on the first cue of each speaker turn, counted as shown text

    def ceiling(self, rate: float | None) -> float:
        """Reading-speed ceiling for a speaker whose own rate is ``rate`` characters/s."""
        return max(self.hard_cps, self.rate_factor * rate) if rate else self.hard_cps


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


def speech_rates(units: list[_Unit]) -> dict[str | None, float]:
    """Each speaker's own rate: the characters of their timed words, spaces included, over the sum
    of those words' durations (the pauses between words are not speech)."""
    chars: dict[str | None, int] = {}
    secs: dict[str | None, float] = {}
    for u in units:
        chars[u.speaker] = chars.get(u.speaker, 0) + len(u.text) + 1
        secs[u.speaker] = secs.get(u.speaker, 0.0) + (u.end - u.start)
    return {s: (chars[s] - 1) / secs[s] for s in chars if secs[s] > 0}


def word_rates(words: list[TimedWord]) -> dict[str | None, float]:
    """``speech_rates`` of timed words (what ``build_cues`` measures)."""
    return speech_rates(_units(words))


# A run of words is squashed when the aligner gave them under a quarter of the time their speaker
# needs for their characters (monde-numerique: runs of 20-50 published words at one instant, 250
# characters in 0.2 s, where the aligner lost the audio; read speech at its fastest, fleurs-fr's
# "qu'« on ne" at 0.02 s a word, is under this only for a word or two).
_SQUASHED = 4.0
# ... and it is respaced only when it lacks more than this (seconds): a word or two said fast are
# left to the cue cuts, which already allow 1.25 x the speaker's rate.
_SQUASH_DEFICIT = 0.5


def _respace(units: list[_Unit], rate: float | None) -> None:
    """Give runs of squashed words display time: widen the run over its neighbours until the
    window's time covers its characters at the speaker's own ``rate``, then share the window's
    time out in proportion to characters.  The window's ends stay where the audio put them; only
    cue times change (``Cue.words`` keep the aligner's times)."""
    if not rate or len(units) < 2:
        return
    need = [(len(u.text) + 1) / rate for u in units]
    n = len(units)
    k = 0
    while k < n:
        if units[k].end - units[k].start >= need[k] / _SQUASHED:
            k += 1
            continue
        b = k
        while b < n and units[b].end - units[b].start < need[b] / _SQUASHED:
            b += 1
        a = k
        k = b
        if sum(need[a:b]) - (units[b - 1].end - units[a].start) <= _SQUASH_DEFICIT:
            continue
        while units[b - 1].end - units[a].start < sum(need[a:b]) and (a > 0 or b < n):
            a, b = max(0, a - 1), min(n, b + 1)
        t0, t1 = units[a].start, units[b - 1].end
        total = sum(need[a:b])
        done = 0.0
        for u, nd in zip(units[a:b], need[a:b]):
            u.start = t0 + (t1 - t0) * done / total
            done += nd
            u.end = t0 + (t1 - t0) * (done - nd / (len(u.text) + 1)) / total  # the space is a gap
        k = max(k, b)


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


def _lead_in(start: float, speech_end: float, chars: int, prefix: int, limit: float, earliest: float,
             opts: CueOptions) -> float:
    """When a cue shows from: its first word, or, for a cue opening with the speaker prefix that
    would read over ``max_cps`` or last under ``min_duration``, up to the time reading the prefix
    takes (at ``max_cps``) earlier, in silence no cue holds (from ``earliest``).  The name is read
    before the voice starts, so the words keep their time."""
    if prefix <= 0 or opts.max_cps <= 0:
        return start
    shown = _shown_duration(start, speech_end, chars, limit, opts)
    need = max(chars / opts.max_cps - shown, opts.min_duration - shown)
    if need <= 0:
        return start
    return start - max(0.0, min(need, prefix / opts.max_cps, start - earliest))


@dataclass(frozen=True)
class _Candidate:
    """One possible cue of a stretch: units ``i``..``j-1``."""

    i: int
    j: int
    excess: float  # characters/s over the speaker's ceiling (0 when under it)
    cost: float


def _candidates(units: list[_Unit], opts: CueOptions, prefix: int, limit_after: float,
                ceiling: float, earliest: float) -> list[list[_Candidate]]:
    """Every cue the hard rules allow, grouped by the index it ends at."""
    n = len(units)
    texts = [u.text for u in units]
    ending: list[list[_Candidate]] = [[] for _ in range(n + 1)]
    for i in range(n):
        pre = prefix if i == 0 else 0
        chars = pre - 1
        for j in range(i + 1, n + 1):
            chars += len(texts[j - 1]) + 1
            lay = _layout(texts[i:j], opts, pre)
            if lay is None:  # adding words cannot make it fit again
                break
            excess, cost = _cue_cost(units, i, j, chars, lay, opts, limit_after, ceiling, pre, earliest)
            ending[j].append(_Candidate(i, j, excess, cost))
    return ending


# Two worst cues whose excesses differ by less than this are taken as equal, so the summed cost
# (breaks, balance) decides between them rather than a hundredth of a character per second.
# Set by hand, not measured (a quarter of a character per second is far below what a reader
# notices); the subtitle bars on the three example cases hold with it (bench/subtitles.py).
_EXCESS_STEP = 0.25


def _segment(units: list[_Unit], opts: CueOptions, prefix: int, limit_after: float,
             ceiling: float, earliest: float = -math.inf) -> list[list[int]]:
    """Split one speaker stretch (no long silence inside) into cues; returns index groups.

    Lexicographic: the lowest reachable worst excess over ``ceiling`` first, then the lowest
    summed cost among the cuts that keep every cue within it."""
    n = len(units)
    ending = _candidates(units, opts, prefix, limit_after, ceiling, earliest)
    inf = math.inf
    worst = [inf] * (n + 1)  # bottleneck DP: the lowest worst excess of a cut of units 0..j-1
    worst[0] = 0.0
    for j in range(1, n + 1):
        for c in ending[j]:
            worst[j] = min(worst[j], max(worst[c.i], c.excess))
    bound = worst[n] + _EXCESS_STEP if worst[n] > 0 else 0.0
    best = [inf] * (n + 1)
    back: list[_Candidate | None] = [None] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        for c in ending[j]:
            if c.excess > bound or best[c.i] == inf:
                continue
            v = best[c.i] + c.cost
            if v < best[j]:
                best[j] = v
                back[j] = c
    groups = []
    j = n
    while j > 0:
        c = back[j]
        groups.append(list(range(c.i, j)))
        j = c.i
    groups.reverse()
    return groups


def _cue_cost(units: list[_Unit], i: int, j: int, chars: int, layout: tuple[float, list[int]],
              opts: CueOptions, limit_after: float, ceiling: float, prefix: int = 0,
              earliest: float = -math.inf) -> tuple[float, float]:
    """(excess over the ceiling, summed-cost share) of the cue of units ``i``..``j-1``; ``chars``
    counts what the viewer sees (its ``prefix`` characters of speaker prefix included);
    ``earliest``: where a cue opening with the prefix may show from."""
    first, last = units[i], units[j - 1]
    nxt = units[j] if j < len(units) else None
    limit = (nxt.start if nxt else limit_after) - opts.min_gap
    speech = max(last.end - first.start, 1e-3)
    start = _lead_in(first.start, last.end, chars, prefix, limit, earliest, opts)
    shown = _shown_duration(start, last.end, chars, limit, opts)
    cps = chars / shown
    cost = 2.0  # per cue: prefer fuller cues when nothing else decides
    cost += _break_cost(last, nxt)
    cost += min(layout[0], 400.0) * 0.3
    # a sentence ending inside a cue reads badly, worst in the middle of a line
    line_ends = {i + s - 1 for s in layout[1][1:]}
    for k in range(i, j - 1):
        if _is_sentence_end(units[k].text):
            cost += 1.0 if k in line_ends else SENTENCE_INSIDE_LINE
    if cps > opts.max_cps:
        # convex: two cues at 20 cps read better than one at 23 beside one at 17
        cost += 3.0 * (cps - opts.max_cps) + 0.5 * (cps - opts.max_cps) ** 2
    excess = max(0.0, cps - ceiling)
    cost += 25.0 * excess
    if shown < opts.min_duration:
        cost += 6.0 * (opts.min_duration - shown)
    if speech > opts.max_duration:
        cost += 8.0 * (speech - opts.max_duration) + 5.0
    return excess, cost


# A sentence end in the middle of a line costs more than a bare break chosen instead (7; a clause
# break costs 3).  Measured with bench/subtitles.py: 4.0 left 20 such sentence ends on
# monde-numerique (where a break was possible), 8.0 leaves 14, every other column unchanged or
# within 4 cues.
SENTENCE_INSIDE_LINE = 8.0


def build_cues(words: list[TimedWord], opts: CueOptions | None = None, language: str | None = None,
               *, duration: float | None = None) -> list[Cue]:
    """Subtitle cues for ``words`` (transcript order).  Untimed words are skipped (punctuation-only
    tokens are glued to their neighbour).  ``duration`` (the audio's) caps the last cue's end."""
    opts = opts or CueOptions()
    units = _units(words)
    if not units:
        return []
    rates = speech_rates(units)  # the speech's own, before any display retiming
    turn_start = 0
    for k in range(1, len(units) + 1):  # squashed words may take the silences of their turn
        if k == len(units) or units[k].speaker != units[turn_start].speaker:
            _respace(units[turn_start:k], rates.get(units[turn_start].speaker))
            turn_start = k
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

    def prefix_of(k: int) -> int:
        spk, turn = stretches[k][0][0].speaker, stretches[k][1]
        return len(spk) + 2 if (opts.speaker_prefix and turn and spk) else 0

    cues: list[Cue] = []
    prefixes: list[int] = []
    earliest = 0.0  # where the next stretch's first cue may show from: after the cues before it
    for si, (stretch, turn) in enumerate(stretches):
        spk = stretch[0].speaker
        prefix = prefix_of(si)
        if si + 1 < len(stretches):
            after = stretches[si + 1][0][0].start
            # the next turn's name may be read before its voice: keep up to half the silence free
            silence = max(0.0, after - stretch[-1].end - opts.min_gap)
            after -= min(prefix_of(si + 1) / opts.max_cps if opts.max_cps > 0 else 0.0, silence / 2)
        else:
            after = duration if duration is not None else math.inf
        groups = _segment(stretch, opts, prefix, after, opts.ceiling(rates.get(spk)), earliest)
        for gi, g in enumerate(groups):
            us = [stretch[k] for k in g]
            pre = prefix if gi == 0 else 0
            texts = [u.text for u in us]
            lay = _layout(texts, opts, pre) or (0.0, list(range(min(len(texts), opts.max_lines))))
            starts = lay[1] + [len(texts)]
            lines = [" ".join(texts[a:b]) for a, b in zip(starts, starts[1:])]
            chars = pre + sum(len(t) for t in lines)
            nxt = stretch[g[-1] + 1].start if g[-1] + 1 < len(stretch) else after
            start = us[0].start
            if pre:
                start = _lead_in(start, us[-1].end, chars, pre, nxt - opts.min_gap, earliest, opts)
            cues.append(Cue(start=start, end=us[-1].end, speaker=spk, text="\n".join(lines),
                            words=[w for u in us for w in u.words]))
            prefixes.append(pre)
            if gi == len(groups) - 1:  # as _time_cues will show it, plus a millisecond of rounding
                end = start + _shown_duration(start, us[-1].end, chars, nxt - opts.min_gap, opts)
                earliest = end + opts.min_gap + 0.001

    _time_cues(cues, prefixes, opts, duration)
    return cues


def prefix_lengths(cues: list[Cue], opts: CueOptions) -> list[int]:
    """Characters of the ``Name: `` prefix SRT shows on each cue (a turn's first), as
    ``formats.to_srt`` writes it; all 0 without ``speaker_prefix``."""
    out: list[int] = []
    prev: object = object()
    for c in cues:
        out.append(len(c.speaker) + 2 if opts.speaker_prefix and c.speaker and c.speaker != prev else 0)
        prev = c.speaker
    return out


def _time_cues(cues: list[Cue], prefixes: list[int], opts: CueOptions, duration: float | None) -> None:
    """Extend ends into silence for reading time (the prefix counted), keep ``min_gap``, never
    overlap."""
    for k, c in enumerate(cues):
        nxt = cues[k + 1].start if k + 1 < len(cues) else (duration if duration is not None else math.inf)
        chars = len(c.text.replace("\n", "")) + prefixes[k]
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
    for a, b in zip(cues, cues[1:]):  # rounding (or words at one instant) must not create overlap
        if b.start < a.start + 0.002:  # two cues at one instant: the later one shows a moment later
            b.start = round(a.start + 0.002, 3)
            b.end = max(b.end, round(b.start + 0.001, 3))
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
    # on the text the viewer sees: with ``speaker_prefix``, SRT's "Name: " counts
    pre = prefix_lengths(cues, opts)
    cps = [(len(c.text.replace("\n", "")) + p) / (c.end - c.start) if c.end > c.start else math.inf
           for c, p in zip(cues, pre)]
    rates = word_rates([w for c in cues for w in c.words])
    ceilings = [opts.ceiling(rates.get(c.speaker)) for c in cues]
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
        "over_ceiling": sum(1 for v, m in zip(cps, ceilings) if v > m + 1e-6),
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
