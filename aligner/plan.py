"""From heard words to a plan: which published words are said, where speech has no text, and the
windows in which the published words are force-aligned.

The evidence is the alignment of published and heard words (``textalign``), read with time in
mind: a header line with no counterpart was not said; a stretch of heard speech that takes far
longer than the published words around it would need holds speech the text lacks.  After forced
alignment, words squeezed into no time (text the audio lacks) and one word stretched over seconds
(speech the text lacks) are read here too.
"""
from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field, replace

from .forced import Window
from .windows import MAX_WINDOW_S
from .normalize import has_number, is_function_word, number_values, shared_value
from .recognize import looped
from .speech import PAUSE_BEFORE, pauses_within, speech_within
from .textalign import MATCH_SIM, Pair, _sim, align_units, units, word_matches
from .transcript import parse_transcript
from .types import HeardWord, Token, Transcript
from .windows import Span

HEADER_SPOKEN_MIN = 0.35  # share of a header line's words heard for it to count as said
INSERT_MIN_S = 2.0  # heard speech beyond what the text needs, before it counts as untranscribed
# ... and before it is a candidate the fitted verdict weighs: the corpus's cut sentences are 5-9
# words, 1.5-3 s; at 2.0 s a third of them (11 of 32) never reached the verdict.
INSERT_CANDIDATE_S = 1.0
INSERT_MIN_PROB = 0.45  # mean recognition probability of untranscribed speech
LOOP_DISTINCT = 0.5  # share of distinct words below which heard words are a recognition loop
WINDOW_TARGET_S = 24.0
EDGE_PAD_S = 0.6
STRETCH_MIN_S = 2.5  # a word placed over longer than this may hide speech with no text
UNHEARD_INSERT_MIN_S = 4.0  # speech (voice activity) with no text and nothing recognised in it
SQUEEZE_MIN_WORDS = 5
RECUT_MIN_WORDS = 3
SQUEEZE_WORD_S = 0.081  # four 20 ms alignment steps
EDGE_S = 0.1  # silence kept inside a window at a cut


@dataclass
class Gap:
    """Speech with no published text: [start, end] seconds and the heard words in it."""

    start: float
    end: float
    heard: list[int]
    before_token: int  # index of the first published token after the gap (len(tokens) at the end)
    heard_in_it: bool = True  # False: only voice activity says there is speech (see stretched_words)
    heard_again: str = ""  # what recognition made of the stretch heard again on its own


@dataclass
class Plan:
    spoken: list[int]  # published tokens to place on the audio, in order
    unspoken_lines: list[int]  # header lines never said
    omitted_runs: list[list[int]]  # runs of published tokens inside turns never said
    gaps: list[Gap]
    windows: list[Window]
    matches: list[list[int]]  # heard words matched to each published token (by token index)
    anchors: dict[int, tuple[float, float]]  # reliable token -> heard (start, end)
    pairs: list[Pair] = field(default_factory=list)
    p_owner: list[int] = field(default_factory=list)
    h_owner: list[int] = field(default_factory=list)
    unit_seconds: float = 0.3
    past_end_lines: list[int] = field(default_factory=list)  # closing lines the file lacks audio for

    @property
    def matched_fraction(self) -> float:
        n = len(self.spoken) + sum(len(r) for r in self.omitted_runs)
        return sum(1 for i in self.spoken if self.matches[i]) / n if n else 0.0

    content_matched: float = 0.0  # the same share on content words only (see content_matched)
    squeezed: dict[int, "SqueezedRun"] = field(default_factory=dict)  # omitted run's first token
    # squeezed runs the verdict found less likely than not to be unsaid: their words keep their
    # times, and each is still a candidate (shown at a --min-confidence below its probability)
    kept_squeezed: list["SqueezedRun"] = field(default_factory=list)


def _match(tokens: list[Token], idx: list[int], heard: list[HeardWord],
           language: str | None = None):
    P, p_owner_local = units([tokens[i].norm for i in idx])
    H, h_owner = units([h.norm for h in heard])
    pairs = align_units(P, H)
    m_local = word_matches(pairs, p_owner_local, h_owner, len(idx))
    matches = [[] for _ in tokens]
    for k, i in enumerate(idx):
        matches[i] = m_local[k]
        if matches[i] and _other_value(tokens[i].text, [heard[j].text for j in matches[i]], language):
            matches[i] = []
    p_owner = [idx[k] for k in p_owner_local]
    return pairs, p_owner, h_owner, matches


def _other_value(published: str, heard: list[str], language: str | None) -> bool:
    """A published number matched to heard words that hold another value: spelled out, two
    numbers a digit apart are nearly the same letters ("zweitausendfünfhundertzwei" and
    "zweitausendzwei": 0.82 alike), which matching took for the same word misspelled, so the
    wrong number was never a candidate (de-mix-a's "2502" where 2002 is said)."""
    if not has_number(published, language):  # digits, or number words
        return False
    said = " ".join(heard)
    return bool(number_values(published, language)) and bool(number_values(said, language)) \
        and not shared_value(published, said, language)


LETTERS_PER_UNIT = 5.0  # about an average word's letters in the languages at hand


# Letters each followed by a period ("a.C.", "e.g.", "U.S."): each stands for a word said.
_INITIALISM = re.compile(r"^\W*(?:[^\W\d_]\.){2,}\W*$")


def _n_units(tok: Token) -> float:
    """How long a word takes to say, in average words: its letters (its spoken form's, so a
    number counts as the words it is read as) over an average word's.  "Schölkopf" takes
    longer than "est", and a run of names longer than the same count of function words.  An
    initialism's letters are each a word ("a.C." is said "antes de Cristo": at two letters'
    length, its reading was taken for speech with no text)."""
    if _INITIALISM.match(tok.text):
        return float(sum(c.isalpha() for c in tok.text))
    letters = sum(c.isalnum() for c in tok.norm)
    return max(0.4, letters / LETTERS_PER_UNIT)


def _reliable(idx: list[int], matches: list[list[int]], tokens: list[Token]) -> set[int]:
    """Matched tokens trusted as time anchors: a matched neighbour, or a long word on its own.
    A lone short word matched among unmatched ones ("de", "le") is often a chance match."""
    out = set()
    for k, i in enumerate(idx):
        if not matches[i]:
            continue
        prev_ok = k > 0 and bool(matches[idx[k - 1]])
        next_ok = k + 1 < len(idx) and bool(matches[idx[k + 1]])
        if prev_ok or next_ok or len(tokens[i].norm.replace(" ", "")) >= 6:
            out.add(i)
    return out


# A label-like pattern inside a line was read aloud when more than half its words were heard:
# "Lecteur 1" unsaid still has its "un" matched by chance to a nearby article now and then (one
# of its two words); a greeting "Bonjour Aude Durand :" that was said has both name words heard.
LABEL_SPOKEN_MIN = 0.5


def settle_inline_labels(transcript: Transcript, heard: list[HeardWord]) -> Transcript:
    """Decide with the audio the turn starts found inside lines that lost their line breaks
    (``Transcript.label_candidates``), as header lines are decided (``make_plan``, step 1): the
    text with every candidate read as words is aligned with what was heard; a candidate more
    than LABEL_SPOKEN_MIN of whose words were heard was said and stays text, the others start a
    turn (their words are labels, never said).  Returns the transcript parsed with that
    decision; the same object when it changes nothing."""
    cands = transcript.label_candidates
    if not cands or not heard:
        return transcript
    every = frozenset(c.name_start for c in cands)
    as_text = parse_transcript(transcript.text, transcript.encoding, transcript.language_hint, every)
    toks = as_text.tokens
    _, _, _, matches = _match(toks, [t.index for t in toks if t.norm], heard)
    said = set()
    for c in cands:
        own = [t.index for t in toks if c.name_start <= t.char_start < c.colon_end and t.norm]
        held = [i for i in own if matches[i] and not _coin_toss(i, own, toks, matches)]
        if own and len(held) > LABEL_SPOKEN_MIN * len(own):
            said.add(c.name_start)
    if said == {c.name_start for c in cands if not c.turn}:
        return transcript
    return parse_transcript(transcript.text, transcript.encoding, transcript.language_hint,
                            frozenset(said))


def _coin_toss(i: int, own: list[int], toks: list[Token], matches: list[list[int]]) -> bool:
    """A label word matched where the same word just before or after the label went unmatched
    ("... salut Paul. Paul : ça va"): the alignment could have given the one heard "Paul" to
    either, so it says nothing about the label."""
    return any(0 <= j < len(toks) and j not in own and toks[j].norm == toks[i].norm
               and not matches[j] for j in (own[0] - 1, own[-1] + 1))


def make_plan(transcript: Transcript, heard: list[HeardWord], duration: float,
              speech: list[tuple[float, float]] | None = None,
              cuts: list[Span] | None = None, ends_early: bool = False) -> Plan:
    """``cuts``: the windows recognition encoded (``windows.cut_windows``); the published
    words are aligned in the same windows where they can be, so that each encoding serves
    both.  ``ends_early``: the file lacks the end of its audio (an incomplete download), so
    closing lines never heard are not taken for unspoken credits (``Plan.past_end_lines``)."""
    tokens = transcript.tokens
    all_idx = [t.index for t in tokens if t.norm]
    _, _, _, matches = _match(tokens, all_idx, heard, transcript.language_hint)

    # 1. Header lines (before the first labelled turn) never heard are unspoken.  Their content
    # words decide: a show's title shares "the", "el", "que" and its own name with an intro
    # that is not the title read aloud.
    # With no labels at all, the leading lines are the candidates, up to the first one heard,
    # and only a line none of whose words was heard is unspoken: nothing tells a title from the
    # first paragraph there, and recognition garbles whole opening paragraphs of hard audio
    # (monde-numerique with its labels stripped: 34 % and 13 % of two spoken lines heard).
    labelled = any(line.label for line in transcript.lines)
    unspoken_lines = []
    for line in transcript.lines:
        if labelled and not line.header:
            continue
        heard_share = _line_heard_share(transcript, line.index, all_idx, matches)
        if heard_share is None:
            continue
        unheard = heard_share < HEADER_SPOKEN_MIN if labelled else heard_share == 0
        if unheard:
            unspoken_lines.append(line.index)
        elif not labelled:
            break
    # The same at the end: closing lines (a last sentence, credits, show notes) none of whose
    # words was heard are unspoken, as a header is; never every line after the header (a text
    # none of which was heard is not this audio's, which the caller reports).
    trailing = trailing_unheard_lines(transcript, all_idx, matches, set(unspoken_lines))
    if trailing and _skipped_at_end(transcript, trailing, all_idx, matches, heard, speech or [],
                                    duration):
        trailing = []
    past_end: list[int] = []
    if ends_early:
        # In a file that lacks the end of its audio they may well have been said there: neither
        # aligned nor unspoken, their words stay untimed (``damage.mark`` says why)
        past_end, trailing = trailing, []
    elif labelled:
        # A closing line that starts with a speaker's label is a turn, not credits: never heard,
        # it is text cut from the audio, an omission like any other (CLARIFICATIONS: "text
        # inside a turn that is never heard is an omission"), aligned so that it is found
        # squeezed into no time; only lines after the last such turn can be credits
        last_turn = max((ln for ln in trailing if transcript.lines[ln].label), default=None)
        if last_turn is not None:
            trailing = [ln for ln in trailing if ln > last_turn]
    unspoken_lines += trailing
    skip_lines = set(unspoken_lines) | set(past_end)
    idx = [i for i in all_idx if tokens[i].line not in skip_lines]

    # 2. Align again without them, so that they cannot absorb speech they are not.
    pairs, p_owner, h_owner, matches = _match(tokens, idx, heard, transcript.language_hint)
    reliable = _reliable(idx, matches, tokens)
    anchors = {i: (min(heard[j].start for j in matches[i]), max(heard[j].end for j in matches[i]))
               for i in sorted(reliable)}
    anchors = _monotonic(anchors)
    unit_s = _unit_seconds(anchors, tokens)

    # 3. Text the audio lacks is found after forced alignment, which squeezes it into no time
    # (``squeezed_runs``): recognition's gaps are too noisy to decide it alone.
    omitted_runs: list[list[int]] = []
    spoken = list(idx)

    # 4. Heard speech with far more time than the published words between its anchors need.
    gaps = _find_gaps(spoken, anchors, heard, matches, tokens, unit_s, duration, speech or [],
                      transcript.language_hint)

    windows = _windows(spoken, anchors, gaps, tokens, unit_s, duration, speech or [])
    if cuts:
        windows = _windows_on_cuts(windows, spoken, anchors, gaps, tokens, unit_s, cuts, heard,
                                   matches)
    trail = set(trailing)
    judged = set(spoken) | {i for i in all_idx if tokens[i].line in trail}
    return Plan(spoken, unspoken_lines, omitted_runs, gaps, windows, matches, anchors,
                pairs, p_owner, h_owner, unit_s, past_end,
                # closing lines never heard count as unheard here: a wrong transcript would
                # otherwise be judged on its few lines that matched by chance
                content_matched(tokens, sorted(judged), matches, transcript.language_hint))


def content_matched(tokens: list[Token], idx: list[int], matches: list[list[int]],
                    language: str | None) -> float:
    """Share of the text's content words (``idx``, function words left out) that recognition
    heard.  Evidence that the text belongs to the audio which function words cannot fake:
    recognition in one language of speech in another still "hears" that language's articles
    and pronouns, and they match a wrong transcript's (English text on French audio: 19 % of
    all its words matched)."""
    content = [i for i in idx if not is_function_word(tokens[i].norm, language)]
    return sum(1 for i in content if matches[i]) / len(content) if content else 0.0


def _line_heard_share(transcript: Transcript, line_index: int, all_idx: list[int],
                      matches: list[list[int]]) -> float | None:
    """Share of a line's words heard, counted on its content words when it has three or more
    (function words match by chance); None for a line with no words to say."""
    tokens = transcript.tokens
    own = [i for i in all_idx if tokens[i].line == line_index]
    content = [i for i in own if not is_function_word(tokens[i].norm, transcript.language_hint)]
    own = content if len(content) >= 3 else own
    if not own:
        return None
    return sum(1 for i in own if matches[i]) / len(own)


def _skipped_at_end(transcript: Transcript, trailing: list[int], all_idx: list[int],
                    matches: list[list[int]], heard: list[HeardWord],
                    speech: list[tuple[float, float]], duration: float) -> bool:
    """Whether the closing lines none of whose words was heard may be speech recognition skipped
    rather than text never said: after the last heard word matched to the text before them,
    recognition heard nothing credible, yet voice activity holds at least half the time those
    lines need (the share ``_unheard_edge`` asks of opening or closing words).  Whisper may end
    its last window early and give no word for the end of an episode (fleurs-fr as 5.1 AAC:
    its last turn, 15 s of speech, unheard, was called unsaid and its speech untranscribed);
    forced alignment then places those lines, and text the audio really lacks is still found
    squeezed into no time (``squeezed_candidates``)."""
    tokens = transcript.tokens
    closing = set(trailing)
    before = [i for i in all_idx if tokens[i].line not in closing and matches[i]]
    if not speech or not before:
        return False
    t_last = max(heard[j].end for j in matches[before[-1]])
    after = [heard[j] for j in _heard_within(heard, t_last, float("inf"))]
    if credible_speech(after):
        return False  # recognition heard speech there and it is not these lines: unsaid
    anchors = {i: (min(heard[j].start for j in matches[i]), max(heard[j].end for j in matches[i]))
               for i in before}
    unit_s = _unit_seconds(_monotonic(anchors), tokens)
    need = sum(_n_units(tokens[i]) for i in all_idx if tokens[i].line in closing) * unit_s
    have = sum(b - a for a, b in speech_within(speech, t_last, duration))
    return have >= EDGE_SPEECH_SHARE * need


def trailing_unheard_lines(transcript: Transcript, all_idx: list[int], matches: list[list[int]],
                           skip: set[int]) -> list[int]:
    """The last lines of the text, back to the last one any word of which was heard: text after
    the last thing said (a closing sentence, credits, show notes).  Empty when no line after the
    header was heard at all."""
    out = []
    body = [ln for ln in transcript.lines if not ln.header and ln.index not in skip]
    for line in reversed(body):
        share = _line_heard_share(transcript, line.index, all_idx, matches)
        if share is None:
            continue
        if share > 0:
            return sorted(out)
        out.append(line.index)
    return []


def _squeezed(fits: dict, i: int) -> bool:
    f = fits.get(i)
    return f is not None and (f.end - f.start) < SQUEEZE_WORD_S


def recut_windows(plan: Plan, fits: dict) -> list[tuple[int, Window]]:
    """Windows to align again, as (position in plan.windows, new window).

    When anchors put a cut in the wrong place, the words whose audio lies across the cut are
    squeezed into the last (or first) frames of their window.  Those words move to the window
    that holds their audio, and the cut moves to the last (or first) word placed normally."""
    out: dict[int, Window] = {}
    ws = plan.windows
    for k in range(len(ws) - 1):
        w, v = out.get(k, ws[k]), ws[k + 1]
        tail = 0
        while tail < len(w.words) - 1 and _squeezed(fits, w.words[-1 - tail]):
            tail += 1
        head = 0
        while head < len(v.words) - 1 and _squeezed(fits, v.words[head]):
            head += 1
        if tail >= RECUT_MIN_WORDS and abs(w.end - v.start) < 1.0:
            keep = w.words[:-tail]
            cut = fits[keep[-1]].end + EDGE_S if keep[-1] in fits else w.end
            if v.end - cut <= MAX_WINDOW_S and cut > w.start:
                out[k] = Window(w.start, cut, keep)
                out[k + 1] = Window(cut, v.end, w.words[-tail:] + v.words)
        elif head >= RECUT_MIN_WORDS and abs(w.end - v.start) < 1.0:
            keep = v.words[head:]
            cut = fits[keep[0]].start - EDGE_S if keep[0] in fits else v.start
            if cut - w.start <= MAX_WINDOW_S and cut < v.end:
                out[k] = Window(w.start, cut, w.words + v.words[:head])
                out[k + 1] = Window(cut, v.end, keep)
    return sorted(out.items())


@dataclass(frozen=True)
class SqueezedRun:
    """A run of published words forced alignment could only squeeze into almost no time, with
    what the fitted verdict weighs to say whether the audio lacks them (``flags.structural``)."""

    tokens: list[int]
    sure: bool  # the hand-set rules of ``_squeezed_inside`` keep it (no window edge explains it)
    at_edge: bool  # it touches a window's edge: a cut in the wrong place may explain it
    against_gap: bool  # it lies against speech with no text
    sentences: bool  # it starts (give or take one word) and ends where a sentence does
    squeeze: float  # the time it was given over the time such words need here
    # recognition heard the published words on both sides of it, one right after the other:
    # the audio goes from one to the next with nothing between (an editor's added sentence);
    # a loop or a garble leaves the neighbours unheard or words heard between them
    neighbours_heard: bool = False


def squeezed_runs(plan: Plan, fits: dict, tokens: list[Token],
                  speech: list[tuple[float, float]] | None = None) -> list[list[int]]:
    """The squeezed runs the hand-set rules are sure of (see ``squeezed_candidates``)."""
    return [r.tokens for r in squeezed_candidates(plan, fits, tokens, speech) if r.sure]


def squeezed_candidates(plan: Plan, fits: dict, tokens: list[Token],
                        speech: list[tuple[float, float]] | None = None) -> list[SqueezedRun]:
    """Runs of published words that forced alignment could only squeeze into almost no time:
    text the audio does not hold (a cut sentence), found even where recognition garbled the
    speech around it.  A run needs at least SQUEEZE_MIN_WORDS words, each placed in under
    SQUEEZE_WORD_S; ``sure`` when, moreover, no window edge explains it and it took under a
    quarter of the time such words need here.  Only the sure ones are reported (see
    pipeline.py for why); each carries its evidence, which the fitted verdict weighs.

    With ``speech`` (voice activity), the last window's end is the end of what is said when
    less speech follows it than a quarter of what the run squeezed against it needs: that run,
    of any length, is text after the last thing said (an unsaid end of the last turn)."""
    runs, cur = [], []
    for i in plan.spoken:
        if _squeezed(fits, i):
            cur.append(i)
        else:
            if len(cur) >= SQUEEZE_MIN_WORDS:
                runs.append(cur)
            cur = []
    last = plan.windows[-1].words[-1] if plan.windows and speech is not None else None
    trailing = None
    if cur and cur[-1] == last:
        need = sum(_n_units(tokens[i]) for i in cur) * plan.unit_seconds
        after = sum(b - a for a, b in speech_within(speech, plan.windows[-1].end, float("inf")))
        took = fits[cur[-1]].end - fits[cur[0]].start
        if after < 0.25 * need and took < 0.25 * need:
            trailing, cur = cur, []
    if len(cur) >= SQUEEZE_MIN_WORDS:
        runs.append(cur)
    out = _weigh_squeezed(plan, fits, tokens, runs)
    if trailing:
        out.append(replace(_weigh_squeezed(plan, fits, tokens, [trailing])[0], sure=True))
    return out


def placed_after_speech(plan: Plan, fits: dict, run: list[int],
                        speech: list[tuple[float, float]]) -> list[int]:
    """The words just before ``run`` (text after the last thing said) that alignment placed
    after the last speech voice activity finds and recognition never heard: the same text.
    The first word of a closing turn never said takes the pause at the episode's end
    (fleurs-fr with a turn added after its last one: "Merci" was given 0.34 s of silence, the
    12 words after it no time)."""
    out: list[int] = []
    k = plan.spoken.index(run[0])
    while speech and k > 0:
        i = plan.spoken[k - 1]
        f = fits.get(i)
        if f is None or plan.matches[i] or (f.start + f.end) / 2 <= speech[-1][1]:
            break
        out.insert(0, i)
        k -= 1
    return out


def _weigh_squeezed(plan: Plan, fits: dict, tokens: list[Token],
                    runs: list[list[int]]) -> list[SqueezedRun]:
    """Each run's evidence, and whether the hand-set rules take it for text the audio lacks
    rather than a window cut wrongly."""
    # A run squeezed against a window's edge says the window was cut in the wrong place (its
    # text runs on into the next one), not that the audio lacks the text; unless speech with no
    # text lies beyond that edge, where it cannot run on.
    after_gap, before_gap = set(), set()
    for g in plan.gaps:
        k = bisect.bisect_left(plan.spoken, g.before_token)
        after_gap.update(plan.spoken[k:k + 2])  # the tolerance of _touches_edge
        before_gap.update(plan.spoken[max(0, k - 2):k])
    edges = {w.words[0] for w in plan.windows if w.words[0] not in after_gap} | \
        {w.words[-1] for w in plan.windows if w.words[-1] not in before_gap}
    out = []
    for run in runs:
        took = fits[run[-1]].end - fits[run[0]].start
        need = sum(_n_units(tokens[i]) for i in run) * plan.unit_seconds
        against_gap = run[-1] in before_gap or run[0] in after_gap
        touches = _touches_edge(run, plan.windows)
        sentences = (_sentence_start(run[0], tokens) or
                     (run[0] > 0 and _sentence_start(run[0] - 1, tokens))) and \
            _ends_sentence(tokens[run[-1]].text)
        sure = not (edges & {run[0], run[-1]}) and took < 0.25 * need
        if sure and touches:
            # Against speech with no text, a run is unsaid only as whole sentences (what editors
            # cut): the end of a sentence recognition garbled just before an ad was heard as part
            # of the ad, and the window then left it no time.
            sure = against_gap and _sentence_start(run[0], tokens) and \
                _ends_sentence(tokens[run[-1]].text)
        out.append(SqueezedRun(run, sure, touches or bool(edges & {run[0], run[-1]}), against_gap,
                               sentences, took / need if need > 0 else 0.0,
                               _neighbours_heard(plan, run)))
    return out


def _neighbours_heard(plan: Plan, run: list[int]) -> bool:
    """Whether recognition heard the published word before ``run`` and the one after it as
    consecutive words (nothing heard between them)."""
    k = bisect.bisect_left(plan.spoken, run[0])
    j = bisect.bisect_right(plan.spoken, run[-1])
    if k == 0 or j >= len(plan.spoken):
        return False
    before, after = plan.matches[plan.spoken[k - 1]], plan.matches[plan.spoken[j]]
    return bool(before and after) and min(after) - max(before) == 1


STRETCH_RUN_WORDS = 5  # at most this many neighbouring words share a stretch between them
SLOW_WORD = 3.0  # a word placed over this many times what it needs is slow


def _need(plan: Plan, tok: Token) -> float:
    """Time a word may take before it counts as stretched: 1.5x its share at this pace."""
    return _n_units(tok) * plan.unit_seconds * 1.5


def _stretches(plan: Plan, fits: dict, tokens: list[Token]) -> list[list[int]]:
    """Runs of published words (positions in ``plan.spoken``) placed over far more time than
    they need: one word over seconds, or up to STRETCH_RUN_WORDS words of one line among
    which alignment spread the extra audio (a slow word, a normal one, two slow ones)."""
    need = [_need(plan, tokens[i]) for i in plan.spoken]
    dur = [fits[i].end - fits[i].start if i in fits else 0.0 for i in plan.spoken]
    slow = [d >= max(1.0, SLOW_WORD * n) for d, n in zip(dur, need)]
    out, k, n = [], 0, len(plan.spoken)
    while k < n:
        if dur[k] - need[k] >= STRETCH_MIN_S:
            out.append([k])  # one word holds it all (the caller checks that it is speech)
            k += 1
            continue
        if not slow[k]:
            k += 1
            continue
        j, last = k, k  # grow over slow words and single normal ones between them, one line
        while j + 1 < n and j + 1 - k < STRETCH_RUN_WORDS and plan.spoken[j + 1] in fits and \
                tokens[plan.spoken[j + 1]].line == tokens[plan.spoken[k]].line and \
                dur[j + 1] - need[j + 1] < STRETCH_MIN_S and (slow[j + 1] or j == last):
            j += 1
            if slow[j]:
                last = j
        run = list(range(k, last + 1))
        took, needs = sum(dur[m] for m in run), sum(need[m] for m in run)
        if len(run) >= 2 and sum(slow[m] for m in run) >= 2 and took - needs >= STRETCH_MIN_S \
                and took >= SLOW_WORD * needs:
            out.append(run)
        k = last + 1
    return out


Placement = tuple[int, float, float]  # a published token and its new start and end


def stretched_words(plan: Plan, fits: dict, tokens: list[Token], heard: list[HeardWord],
                    speech: list[tuple[float, float]]) -> list[tuple[Gap, list[Placement]]]:
    """Speech with no text that recognition's anchors missed: forced alignment has to give the
    extra audio to the published words around it, which then last seconds instead of a fraction
    of one.  Returns (gap, [(token, new start, new end), ...]): the words keep their own share
    of the stretch, packed on the side of the pause they belong to (after it when the text
    before ends a sentence or turn).
    """
    out = []
    for run in _stretches(plan, fits, tokens):
        ids = [plan.spoken[m] for m in run]
        f0, f1 = fits[ids[0]], fits[ids[-1]]
        needs = [_need(plan, tokens[i]) for i in ids]
        need = sum(needs)
        talk = sum(b - a for a, b in speech_within(speech, f0.start, f1.end))
        if talk - need < INSERT_MIN_S:
            continue
        k = run[0]
        prev = tokens[plan.spoken[k - 1]] if k else None
        word_last = prev is None or prev.line != tokens[ids[0]].line or \
            prev.text.rstrip().endswith((".", "?", "!", "…", ":", ";"))
        g0, g1 = (f0.start, f1.end - need) if word_last else (f0.start + need, f1.end)
        inside = _heard_within(heard, g0 - 0.1, g1 + 0.1)
        heard_in_it = credible_speech([heard[j] for j in inside])
        if heard_in_it:
            span = heard[inside[0]].start, heard[inside[-1]].end
        else:
            # Recognition gave nothing credible there (speech in another language, singing,
            # crosstalk, or a stretch recognition skipped): the voice activity alone must show a
            # long stretch of speech, and the caller hears it again (``text_heard_again``).
            pieces = speech_within(speech, g0, g1)
            if sum(b - a for a, b in pieces) < UNHEARD_INSERT_MIN_S:
                continue
            span = pieces[0][0], pieces[-1][1]
        if any(g.start < span[1] and span[0] < g.end for g in plan.gaps):
            continue
        gap = Gap(span[0], span[1], inside, ids[0], heard_in_it)
        t = f1.end - need if word_last else f0.start
        placed = []
        for i, d in zip(ids, needs):
            placed.append((i, t, t + d))
            t += d
        out.append((gap, placed))
    return out


def edge_speech(plan: Plan, fits: dict, tokens: list[Token], heard: list[HeardWord],
                speech: list[tuple[float, float]], duration: float) -> list[Gap]:
    """Speech before the first published word or after the last that recognition gave nothing
    credible for (an intro or an ad in another language, recognised in the episode's): no word
    is stretched over it, since no window covers it.  Voice activity must show at least
    UNHEARD_INSERT_MIN_S of speech there; the caller hears it again before reporting it."""
    timed = [i for i in plan.spoken if i in fits]
    if not timed:
        return []
    out = []
    for a, b, before in ((0.0, fits[timed[0]].start, timed[0]),
                         (fits[timed[-1]].end, duration, len(tokens))):
        pieces = speech_within(speech, a, b)
        if sum(y - x for x, y in pieces) < UNHEARD_INSERT_MIN_S:
            continue
        span = pieces[0][0], pieces[-1][1]
        if any(g.start < span[1] and span[0] < g.end for g in plan.gaps):
            continue  # already found from what recognition heard there
        if credible_speech([heard[j] for j in _heard_within(heard, span[0] - 0.1, span[1] + 0.1)]):
            continue  # heard, and the plan judged it: not ours to second-guess
        out.append(Gap(span[0], span[1], [], before, heard_in_it=False))
    return out


def credible_speech(words: list[HeardWord], min_words: int = 3) -> bool:
    """At least ``min_words`` heard words that look like speech (see ``_credible_speech``)."""
    return len(words) >= max(1, min_words) and _credible_speech(words)


NEAR_WORDS = 40  # published words either side of a stretch that re-heard speech may be
REHEARD_OURS = 0.5  # share of re-heard content words found among them: the text we have


def text_heard_again(reheard: list[str], tokens: list[Token], spoken: list[int], i: int,
                     language: str) -> bool:
    """Whether speech heard again on its own (normalised words) is published text from around
    token ``i`` (recognition had skipped it) rather than speech with no text at all."""
    k = spoken.index(i) if i in spoken else 0
    near = {u for t in spoken[max(0, k - NEAR_WORDS):k + NEAR_WORDS + 1] for u in tokens[t].norm.split()}
    content = [u for w in reheard for u in w.split() if u and not is_function_word(u, language)]
    if not content:
        return False
    ours = sum(1 for u in content if any(_sim(u, v) >= MATCH_SIM for v in near))
    return ours / len(content) >= REHEARD_OURS


_SENTENCE_END = tuple(".?!…")
_CLOSERS = "»«”“’‘\"')]"  # « and “ ‘ close German quotations (»...«, „...“, ‚...‘)


def _ends_sentence(text: str) -> bool:
    """Whether a published word ends a sentence: its punctuation, inside closing quotes or
    brackets or not ("fin.»", "fin ».", "gut.“"); a closing quote alone ends a quotation, not always a
    sentence (FLEURS's «...» oravec 2002, the quote's source said after it in one breath)."""
    return text.rstrip().rstrip(_CLOSERS + " ").endswith(_SENTENCE_END)


def _sentence_start(i: int, tokens: list[Token]) -> bool:
    return i == 0 or tokens[i - 1].line != tokens[i].line or _ends_sentence(tokens[i - 1].text)


def _touches_edge(run: list[int], windows: list[Window]) -> bool:
    for w in windows:
        if run[0] in w.words:
            k0, k1 = w.words.index(run[0]), w.words.index(run[-1]) if run[-1] in w.words else -1
            return k0 <= 1 or k1 < 0 or k1 >= len(w.words) - 2
    return True


def _monotonic(anchors: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Keep the longest run of anchors whose times increase with the text."""
    from .textalign import _lis

    keys = sorted(anchors)
    chain = _lis([(k, int(anchors[k][0] * 1000)) for k in keys])
    return {k: anchors[k] for k, _ in chain}


def _unit_seconds(anchors: dict[int, tuple[float, float]], tokens: list[Token]) -> float:
    """Typical time one normalised word takes in this audio, from consecutive anchors."""
    keys = sorted(anchors)
    rates = []
    for a, b in zip(keys, keys[1:]):
        if b == a + 1:
            dt = anchors[b][0] - anchors[a][0]
            if 0 < dt < 3.0:
                rates.append(dt / _n_units(tokens[a]))
    return statistics.median(rates) if rates else 0.3


# Heard words repeating a phrase of up to this many words three times in a row are recognition
# in a loop, never speech with no text.  Recognition itself hears again only loops of up to 4
# words (``recognize.LOOP_PERIOD``), and keeps a loop it could not hear through.
# monde-numerique, heard on another CPU, looped on "mais si vous n'avez pas mis de coups à ma
# carrière" (12 words) ten times over 636-650 s; its last 6 words became an insertion (0.999)
# and the text said under them an omission (0.991).  No recording of the corpus (real or
# voiced) repeats a phrase of up to 16 words three times in a row, so the bar moves nothing
# there.
GAP_LOOP_PERIOD = 16


def _find_gaps(spoken, anchors, heard, matches, tokens, unit_s, duration,
               speech: list[tuple[float, float]], language: str | None = None) -> list[Gap]:
    """Between consecutive anchors (and before the first / after the last), compare the heard
    speech's extent with what the published words there need."""
    anchored = [i for i in spoken if i in anchors]
    if anchored:
        bounds = [(None, anchored[0]), *zip(anchored, anchored[1:]), (anchored[-1], None)]
    else:
        bounds = [(None, None)]
    used = {j for i in spoken if i in anchors for j in matches[i]}  # heard words of anchors
    used |= looped(heard, GAP_LOOP_PERIOD)  # recognition running in a loop: not speech
    pos = {i: k for k, i in enumerate(spoken)}
    starts = _start_order(heard)
    gaps = []
    for a, b in bounds:
        t0 = anchors[a][1] if a is not None else 0.0
        t1 = anchors[b][0] if b is not None else duration
        ka = pos[a] + 1 if a is not None else 0
        kb = pos[b] if b is not None else len(spoken)
        between = spoken[ka:kb]
        free = [j for j in _heard_within(heard, t0 - 0.05, t1 + 0.05, starts) if j not in used]
        if len(free) < 3:
            continue
        need = sum(_n_units(tokens[i]) for i in between) * unit_s
        # The longest stretch of free heard words without a long pause inside is the candidate.
        best = _longest_speech_run(free, heard)
        span = heard[best[-1]].end - heard[best[0]].start
        if span >= INSERT_CANDIDATE_S and (t1 - t0) - 1.3 * need > INSERT_CANDIDATE_S and len(best) >= 3:
            g0, g1 = heard[best[0]].start, heard[best[-1]].end
            c = _split_at_gap(spoken, ka, kb, tokens)
            if c < kb:  # a turn's unheard first words after it: the gap leaves them their time
                latest = t1 - sum(_n_units(tokens[i]) for i in spoken[c:kb]) * unit_s
                pauses = [a for a, _ in pauses_within(speech, g0 + INSERT_MIN_S, latest)]
                g1 = min(g1, max(pauses, default=latest))
            best = [j for j in best if heard[j].end <= g1 + 0.05]
            # Unheard published words on either side of it that the gap's own first (or last)
            # heard words sound like are those words garbled, not speech with no text: the gap
            # starts after them (monde-numerique: "Dans quelle direction vont ils aller?" heard
            # "Donc elle dit « M'ont dit malais »", then the ad) and ends before them.
            n = _garbled(best, heard, tokens, spoken[ka:c], language, at_start=True)
            rest = _rest_of_sentence(spoken, ka, c, tokens)
            if n:
                best = best[n:]
                g0 = max(g0, heard[best[0]].start)
            elif rest:  # a sentence under way before it is said before it: leave it its time
                ends = t0 + sum(_n_units(tokens[i]) for i in rest) * unit_s  # about
                pauses = pauses_within(speech, t0, g1 - INSERT_MIN_S)
                nearest = min(pauses, key=lambda p: abs(p[0] - ends), default=(ends, ends))
                g0 = max(g0, nearest[1])
            best = [j for j in best if heard[j].start >= g0 - 0.05]
            n = _garbled(best, heard, tokens, spoken[c:kb], language, at_start=False)
            best = best[:len(best) - n]
            while best and not any(ch.isalnum() for ch in heard[best[0]].text):
                best = best[1:]  # a mark left at an edge ("»."): no speech of its own
            while best and not any(ch.isalnum() for ch in heard[best[-1]].text):
                best = best[:-1]
            if not best:
                continue
            g0, g1 = max(g0, heard[best[0]].start), min(g1, heard[best[-1]].end)
            if g1 - g0 < INSERT_CANDIDATE_S or len(best) < 3:
                continue
            # Judged on the gap's own words: garbled published words around it, which
            # recognition hears with little certainty, say nothing of the speech inside it.
            if not _credible_speech([heard[j] for j in best]):
                continue
            gaps.append(Gap(g0, g1, best, spoken[c] if c < len(spoken) else len(tokens)))
    return gaps


# Sound similarity (``phonetics.sound_similarity``) above which heard words are taken for given
# published words garbled: 1 % of 294 pairs of a corpus candidate's published words with an
# unrelated heard reading of the same language reach 0.35 (median 0.11, 99th percentile 0.34),
# while garbled readings of the words said run 0.4-0.5 (bench/fit_verdict.py's runs).
GARBLED_SOUND = 0.35


def _garbled(words: list[int], heard: list[HeardWord], tokens: list[Token], published: list[int],
             language: str | None, at_start: bool) -> int:
    """How many of the first (``at_start``) or last heard ``words`` sound like the unheard
    ``published`` words (their garbled reading), 0 when none does."""
    if language is None or not published or len(words) < 2:
        return 0
    from .phonetics import sound_similarity

    text = " ".join(tokens[i].text for i in published)
    # up to twice the published words (recognition splits words): the best-sounding run
    most = min(len(words) - 1, 2 * len(published) + 2)
    best_sim, best_n = 0.0, 0
    for n in range(1, most + 1):
        run = words[:n] if at_start else words[-n:]
        sim = sound_similarity(text, " ".join(heard[j].text for j in run), language)
        if sim > best_sim:
            best_sim, best_n = sim, n
    return best_n if best_sim >= GARBLED_SOUND else 0


def _rest_of_sentence(spoken, ka: int, c: int, tokens: list[Token]) -> list[int]:
    """The unheard words spoken[ka:c] that finish a sentence begun before them (up to its end),
    or none when they start a sentence of their own: a sentence is said whole, so its end is
    said where its beginning was heard; whole sentences may be text the audio lacks."""
    if ka == 0 or ka >= c or _sentence_start(spoken[ka], tokens) or \
            tokens[spoken[ka]].line != tokens[spoken[ka - 1]].line:
        return []
    out = []
    for i in spoken[ka:c]:
        out.append(i)
        if _ends_sentence(tokens[i].text):
            break
    return out


def _split_at_gap(spoken, ka: int, kb: int, tokens: list[Token]) -> int:
    """Where, among the unheard published words spoken[ka:kb] between two anchors, speech with
    no text comes: at the last turn change among them (an ad or a remark between two turns:
    the next turn's first words, garbled, are said after it), else before the next anchor."""
    turns = [c for c in range(max(ka, 1), kb) if tokens[spoken[c]].line != tokens[spoken[c - 1]].line]
    return turns[-1] if turns else kb




def _start_order(heard: list[HeardWord]) -> tuple[list[float], list[int]]:
    order = sorted(range(len(heard)), key=lambda j: heard[j].start)
    return [heard[j].start for j in order], order


def _heard_within(heard: list[HeardWord], t0: float, t1: float,
                  starts: tuple[list[float], list[int]] | None = None) -> list[int]:
    """Indices (in order) of the heard words lying wholly inside [t0, t1]; with ``starts`` from
    ``_start_order`` a lookup costs the words it returns, not a scan of all of them."""
    keys, order = starts if starts is not None else _start_order(heard)
    lo, hi = bisect.bisect_left(keys, t0), bisect.bisect_right(keys, t1)
    return sorted(j for j in order[lo:hi] if heard[j].end <= t1)


def _credible_speech(words: list[HeardWord]) -> bool:
    """Heard words that look like real speech rather than recognition running in a loop
    ("la fin de la fin de la fin ...", "… … …") or guessing at noise."""
    if sum(1 for w in words if any(c.isalnum() for c in w.text)) < len(words) / 2:
        return False  # mostly marks with no letter: what recognition writes over music or noise
    distinct = len({w.norm for w in words}) / len(words)
    mean_prob = sum(w.probability for w in words) / len(words)
    return distinct >= LOOP_DISTINCT and mean_prob >= INSERT_MIN_PROB


def _longest_speech_run(free: list[int], heard: list[HeardWord]) -> list[int]:
    runs, cur = [], [free[0]]
    for j in free[1:]:
        if j == cur[-1] + 1 and heard[j].start - heard[cur[-1]].end < 1.5:
            cur.append(j)
        else:
            runs.append(cur)
            cur = [j]
    runs.append(cur)
    return max(runs, key=lambda r: heard[r[-1]].end - heard[r[0]].start)


def _estimate_times(spoken, anchors, tokens, unit_s, gaps: list[Gap] = ()) -> dict[int, float]:
    """A rough start for every spoken word: anchors as heard, others spread between anchors."""
    est: dict[int, float] = {}
    anchored = [k for k, i in enumerate(spoken) if i in anchors]
    for k in anchored:
        est[spoken[k]] = anchors[spoken[k]][0]
    if not anchored:
        t = 0.0
        for i in spoken:
            est[i] = t
            t += _n_units(tokens[i]) * unit_s
        return est
    for a, b in zip([-1] + anchored, anchored + [len(spoken)]):
        inner = spoken[a + 1:b]
        if not inner:
            continue
        if a < 0:
            t_end = anchors[spoken[b]][0]
            t = t_end - sum(_n_units(tokens[i]) for i in inner) * unit_s
            for i in inner:
                est[i] = max(0.0, t)
                t += _n_units(tokens[i]) * unit_s
        elif b >= len(spoken):
            t = anchors[spoken[a]][1]
            for i in inner:
                est[i] = t
                t += _n_units(tokens[i]) * unit_s
        else:
            t0, t1 = anchors[spoken[a]][1], anchors[spoken[b]][0]
            # Speech with no text between the two anchors holds none of these words: those
            # before it are spread before it, the rest after it (monde-numerique's unheard
            # question before the ad was estimated inside the ad, and aligned there).
            g = next((g for g in gaps if t0 - 0.05 <= g.start and g.end <= t1 + 0.05
                      and (g.before_token in inner or g.before_token == spoken[b])), None)
            if g is None:
                _spread(est, inner, t0, t1, tokens)
            else:
                c = inner.index(g.before_token) if g.before_token in inner else len(inner)
                _spread(est, inner[:c], t0, g.start, tokens)
                _spread(est, inner[c:], g.end, t1, tokens)
    return est


def _spread(est: dict[int, float], words: list[int], t0: float, t1: float,
            tokens: list[Token]) -> None:
    """Start times for ``words`` spread over [t0, t1] in proportion to their length."""
    n = sum(_n_units(tokens[i]) for i in words)
    acc = 0.0
    for i in words:
        est[i] = t0 + (t1 - t0) * acc / n
        acc += _n_units(tokens[i])


def _silence_between(t0: float, t1: float, speech: list[tuple[float, float]]):
    """The longest pause (between two speech regions) overlapping [t0, t1], or None."""
    best = None
    for (_, a), (b, _) in zip(speech, speech[1:]):
        if a < t1 and b > t0 and (best is None or b - a > best[1] - best[0]):
            best = (a, b)
    return best


def _unheard_edge(spoken, anchors, tokens, unit_s, speech, duration, at_end: bool) -> float:
    """Where the opening (or closing) words before the first (after the last) anchor may start
    (end).  Normally their estimate holds; but when voice activity shows far less speech there
    than they need (noise can hide a quiet voice from it, and recognition then misses them too),
    they get the audio beyond, up to twice the time they need: text the audio really lacks is
    still found later, squeezed into no time."""
    keys = [i for i in spoken if i in anchors]
    if not keys:
        return duration if at_end else 0.0
    if at_end:
        rest, t = [i for i in spoken if i > keys[-1]], anchors[keys[-1]][1]
    else:
        rest, t = [i for i in spoken if i < keys[0]], anchors[keys[0]][0]
    need = sum(_n_units(tokens[i]) for i in rest) * unit_s
    lo, hi = (t, t + 2 * need + 1.0) if at_end else (t - 2 * need - 1.0, t)
    have = sum(b - a for a, b in speech_within(speech, lo, hi))
    if not rest or have >= EDGE_SPEECH_SHARE * need:
        return 0.0 if at_end else duration
    return min(duration, hi) if at_end else max(0.0, lo)


# A window the text needs less of than recognition encoded, by more than this at the audio's
# first or last published word, is trimmed (and encoded again): music or an intro before the
# first words would otherwise be aligned with them.
TRIM_SLACK_S = 1.0
# Opening or closing words recognition gave nothing for are placed in the speech beyond them
# when voice activity holds at least this share of the time they need (``_unheard_edge``,
# ``_skipped_at_end``).
EDGE_SPEECH_SHARE = 0.5


def _cut_at_sentences(ks: list[int], spoken: list[int], timed: dict[int, float],
                      tokens: list[Token]) -> None:
    """Where the window changes between words whose times were only estimated, move the
    change to the nearest clause or turn end among them: a window is cut in a pause, and
    speakers pause at punctuation and between turns (fleurs-fr: a turn's first words, not
    heard, were estimated before the cut they follow and squeezed into its edge)."""
    n = len(spoken)
    for p in range(1, n):
        if ks[p] == ks[p - 1] or (spoken[p - 1] in timed and spoken[p] in timed):
            continue
        lo = p - 1  # the estimated words around the change, between two heard ones
        while lo > 0 and spoken[lo] not in timed:
            lo -= 1
        hi = p
        while hi < n - 1 and spoken[hi] not in timed:
            hi += 1
        ends = [q for q in range(lo + 1, hi + 1)
                if tokens[spoken[q - 1]].text.rstrip().endswith(PAUSE_BEFORE)
                or tokens[spoken[q - 1]].line != tokens[spoken[q]].line]
        if not ends:
            continue
        q = min(ends, key=lambda q: abs(q - p))
        for r in range(min(p, q), max(p, q)):
            ks[r] = ks[p - 1] if q > p else ks[p]


def _windows_on_cuts(own: list[Window], spoken, anchors, gaps, tokens, unit_s,
                     cuts: list[Span], heard: list[HeardWord],
                     matches: list[list[int]]) -> list[Window]:
    """The published words in recognition's windows: each word goes to the window that holds
    its start (as heard, else as estimated between heard words, never moving back), a window
    is cut again at speech with no text (which is never aligned with text), and the text's
    first and last windows end where ``own`` (the windows cut for the text alone, ``_windows``)
    do, when those are well inside.  A word given to the wrong side of a cut is squeezed into
    its window's edge and moved by ``recut_windows``."""
    if not own or not cuts:
        return own
    est = _estimate_times(spoken, anchors, tokens, unit_s, gaps)
    # Where each word starts: as heard when recognition heard it (matched, if not reliably
    # enough to anchor), else as estimated.
    timed = {i: heard[matches[i][0]].start for i in spoken if matches[i]}
    # between two windows, the middle of the pause they leave out is the border
    starts = [cuts[0].start] + [(a.end + b.start) / 2 for a, b in zip(cuts, cuts[1:])]
    ks: list[int] = []
    for i in spoken:
        ks.append(max(ks[-1] if ks else 0, bisect.bisect_right(starts, timed.get(i, est[i])) - 1, 0))
    _cut_at_sentences(ks, spoken, timed, tokens)
    gap_before = {g.before_token: g for g in gaps}
    groups: list[tuple[float, float, list[int]]] = []
    k_prev = 0
    for i, k in zip(spoken, ks):
        g = gap_before.get(i)
        if not groups or k != k_prev or g is not None:
            lo = cuts[k].start
            if g is not None:
                lo = max(lo, g.end)
                if groups:  # the words before the speech with no text end before it
                    a, b, ws = groups[-1]
                    ends = [anchors[j][1] for j in ws if j in anchors]
                    groups[-1] = (a, min(b, max([g.start] + ends)), ws)
            groups.append((lo, cuts[k].end, []))
        groups[-1][2].append(i)
        k_prev = k
    end_gap = gap_before.get(len(tokens))
    if end_gap is not None:
        a, b, ws = groups[-1]
        groups[-1] = (a, min(b, max(end_gap.start, a + 0.5)), ws)
    a, b, ws = groups[0]
    if own[0].start - a > TRIM_SLACK_S:
        groups[0] = (own[0].start, b, ws)
    a, b, ws = groups[-1]
    if b - own[-1].end > TRIM_SLACK_S:
        groups[-1] = (a, max(own[-1].end, a + 0.5), ws)
    return [Window(a, b, tuple(ws)) for a, b, ws in groups if b > a]


def _windows(spoken, anchors, gaps, tokens, unit_s, duration, speech) -> list[Window]:
    """Cut the spoken words into windows of at most 30 s, in pauses between anchored words,
    and never across speech with no text.  A window starts and ends just inside speech: the
    alignment gives a window's edge frames to its first and last words, so silence left inside
    would be counted as part of them."""
    if not spoken:
        return []
    est = _estimate_times(spoken, anchors, tokens, unit_s, gaps)
    gap_before = {g.before_token: g for g in gaps}

    def end_of(i):
        return anchors[i][1] if i in anchors else est[i] + _n_units(tokens[i]) * unit_s

    def cut_at(t0: float, t1: float) -> tuple[float, float]:
        pause = _silence_between(t0, t1, speech)
        if pause is None:
            mid = (t0 + t1) / 2
            return mid, mid
        a, b = pause
        return min(a + EDGE_S, b), max(b - EDGE_S, a)

    windows: list[Window] = []
    cur: list[int] = []
    first_gap = gap_before.get(spoken[0])
    if first_gap is not None:
        w_start = first_gap.end
    else:
        t_first = est[spoken[0]]
        w_start = cut_at(t_first - 2.0, t_first + 0.2)[1] if speech else t_first - 2.0
        w_start = min(max(0.0, w_start), max(0.0, t_first - 0.1))
        w_start = min(w_start, _unheard_edge(spoken, anchors, tokens, unit_s, speech, duration, False))
        if spoken[0] not in anchors:  # unheard opening words start with the speech they are in
            run = next(((a, b) for a, b in speech if a <= t_first <= b), None)
            if run is not None:
                w_start = min(w_start, max(0.0, run[0] - EDGE_S))
    for k, i in enumerate(spoken):
        g = gap_before.get(i)
        if cur and g is not None:
            # The words before speech with no text end before it, wherever the estimate spread
            # them: unheard, they were spread up to the next anchor, over that speech.  What
            # cannot fit before it is squeezed there and found unsaid (``squeezed_runs``).
            ends = [anchors[j][1] for j in cur if j in anchors]
            windows.append(Window(w_start, max([g.start] + ends), tuple(cur)))
            cur, w_start = [], g.end
        cur.append(i)
        nxt = spoken[k + 1] if k + 1 < len(spoken) else None
        if nxt is None:
            break
        span = est[nxt] - w_start
        can_cut = i in anchors and nxt in anchors
        pause = anchors[nxt][0] - anchors[i][1] if can_cut else 0.0
        must_cut = end_of(nxt) + 2 * unit_s - w_start > MAX_WINDOW_S - 1.0
        if (can_cut and span >= WINDOW_TARGET_S - 8 and pause >= 0.15) or \
                (can_cut and span >= WINDOW_TARGET_S) or must_cut:
            if can_cut:
                w_end, nxt_start = cut_at(anchors[i][1] - 0.3, anchors[nxt][0] + 0.3)
            else:
                w_end, nxt_start = cut_at(end_of(i) - 0.3, est[nxt] + 0.3)
            windows.append(Window(w_start, w_end, tuple(cur)))
            cur, w_start = [], nxt_start
    if cur:
        tail = end_of(cur[-1]) + EDGE_PAD_S + 2.0
        last_gap = gap_before.get(len(tokens))
        if last_gap is None:
            tail = max(tail, _unheard_edge(spoken, anchors, tokens, unit_s, speech, duration, True))
        end = min(duration, tail if last_gap is None else min(tail, last_gap.start))
        end = min(end, w_start + MAX_WINDOW_S)
        windows.append(Window(w_start, max(end, w_start + 0.5), tuple(cur)))
    return [Window(max(0.0, w.start), min(duration, w.end), w.words) for w in windows]
