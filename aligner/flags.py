"""Deciding what a producer must check by ear.

Where the published and heard words differ (after normalisation has removed differences of
writing only), the place is a *region*.  Recognition alone cries wolf: on hard audio it mishears
every other word.  So each region is weighed with evidence from the audio and from the text:
- *fit*: the heard reading is scored on the same audio, in the same context, as the published
  one (``forced.ForcedAligner``): which fits better, and by how much;
- *sound*: how alike the published and heard texts sound (espeak-ng phonemes); a slip sounds
  like the published word, a wrong name or number usually does not;
- *audio support*: the published words' lowest token probability under the audio, and how much
  the audio raises them above what the model expects from silence (PMI); and whether the audio
  bears out each word's later pieces once its first is given (``body_heard``): a rare word
  recognition turned into a common one is said, a wrong word is not;
- *the text itself*: a heard reading that, with the words around it, is a phrase the transcript
  uses elsewhere (``TextIndex``); and, apart from recognition, a name spelled once unlike the
  transcript's usual spelling of it (``spelling_variants``), its usual spelling weighed on the
  audio like a heard reading.
Structural differences (text never said, speech with no text) come from the plan.
"""
from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import ftfy
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .forced import RivalFit, WordFit
from .normalize import category as word_category
from .normalize import (bare_word, compact, has_number, is_function_word, name_like, norm_token,
                        number_values, same_words, shared_value)
from .names import known_features
from .phonetics import sound_similarity
from .plan import Plan, SqueezedRun
from . import verdict as verdict_mod
from .types import HeardWord, Mismatch, Token, Transcript
from .verdict import Verdict

CONTEXT_CHARS = 40


@dataclass
class Region:
    """A stretch where published and heard words differ: published tokens, heard words."""

    tokens: list[int]
    heard: list[int]
    published: str
    heard_text: str
    char_start: int
    char_end: int
    # published tokens all of whose units recognition heard exactly: the part of a number said
    # as written, in a region for the rest of it ("one [eight] nine hundred and seventy five"
    # heard "1975"); a flag points elsewhere in the region (``focus``)
    exact: frozenset = frozenset()


class TextIndex:
    """The transcript's own word sequences (normalised units), to tell when recognition heard,
    in some place, a phrase that the transcript itself uses somewhere else: a cache language
    model of the document.  Recognition never saw the text, so hearing "resonant frequencies of
    the room" where the text says "resident frequencies of the room", when the text says
    "resonant frequencies of the room" further on, is evidence that it heard right."""

    N = 3  # words in a phrase; shorter ones recur by chance

    def __init__(self, tokens: list[Token]):
        self.units: list[str] = []
        self.owner: list[int] = []
        for t in tokens:
            for u in t.norm.split():
                self.units.append(u)
                self.owner.append(t.index)
        self.at: dict[tuple[str, ...], list[int]] = {}
        for k in range(len(self.units) - self.N + 1):
            self.at.setdefault(tuple(self.units[k:k + self.N]), []).append(k)
        self.count = Counter(self.units)
        self.first: dict[int, int] = {}
        for k, i in enumerate(self.owner):
            self.first.setdefault(i, k)

    def around(self, tokens: list[int], n: int) -> tuple[list[str], list[str], list[str]]:
        """Up to ``n`` units before ``tokens`` (a run), up to ``n`` after, and their own."""
        a = self.first.get(tokens[0], 0)
        b = a
        while b < len(self.owner) and self.owner[b] <= tokens[-1]:
            b += 1
        return self.units[max(0, a - n):a], self.units[b:b + n], self.units[a:b]

    def used_elsewhere(self, phrase: list[str], avoid: set[int]) -> bool:
        n = self.N
        if len(phrase) < n:
            return False
        for k in self.at.get(tuple(phrase[:n]), ()):
            span = self.units[k:k + len(phrase)]
            if span == phrase and not avoid.intersection(self.owner[k:k + len(phrase)]):
                return True
        return False


RARE_USES = 2


def attested(index: TextIndex, region: Region, heard: list[HeardWord], language: str) -> bool:
    """Whether the heard reading of a region, with the published words around it, is a phrase
    the transcript uses elsewhere (see ``TextIndex``), on a content word the published side
    lacks."""
    said = [u for j in region.heard for u in heard[j].norm.split()]
    before, after, published = index.around(region.tokens, 2)
    # A word the text uses often recurs beside anything ("c'est vraiment"); one it uses once or
    # twice recurring in the same words is what a document's own vocabulary predicts.
    new = [u for u in said if u not in published and not is_function_word(u, language)
           and index.count.get(u, 0) <= RARE_USES]
    if not said or len(said) > 4 or not new:
        return False
    avoid = set(region.tokens)
    return any(index.used_elsewhere(p, avoid) for p in
               (said + after, before + said, before[-1:] + said + after[:1]))


@dataclass
class Candidate:
    region: Region
    heard_text: str
    start: float | None
    end: float | None
    sound: float  # phonetic similarity of published and heard, 0..1
    spelling: float  # similarity of the compact normalised forms, 0..1
    min_logprob: float  # lowest log10 probability of a published token under the audio
    pmi: float  # lowest per-word PMI among the published words
    heard_prob: float  # lowest recognition probability among the heard words
    content: bool  # the published side holds a word that is not a function word
    number_prob: float = 0.0  # lowest recognition probability among the heard numbers
    published_name: bool = False  # the published side holds a name (a capital mid-sentence, ...)
    name_prob: float = 0.0  # lowest recognition probability among the heard names
    rival_lp_gain: float | None = None
    focus: list[int] = field(default_factory=list)  # the published tokens a flag points at
    attested: bool = False  # the heard reading, in this context, is a phrase the text uses elsewhere
    speaker_name: bool = False  # the published names are a speaker's, spelled as in the labels
    body_logprob: float | None = None  # see ``body_heard``


def _text_before(transcript: Transcript, a: int) -> str:
    """The text just before offset ``a``: enough to tell whether a word starts a sentence."""
    return transcript.text[max(0, a - 30):a]


def _content(token: Token, language: str) -> bool:
    """Whether a published token holds a word that is not a function word."""
    return any(not is_function_word(u, language) for u in token.norm.split())


def _context(text: str, a: int, b: int) -> str:
    left = text[max(0, a - CONTEXT_CHARS):a].split("\n")[-1]
    right = text[b:b + CONTEXT_CHARS].split("\n")[0]
    return f"…{left}[{text[a:b]}]{right}…".replace("\r", "")


def regions(transcript: Transcript, plan: Plan, heard: list[HeardWord], language: str) -> list[Region]:
    """Maximal runs of the unit alignment that are not exact matches, cut at line ends (a region
    never spans two turns), without those that differ in writing only."""
    tokens = transcript.tokens
    spoken = set(plan.spoken)
    raw: list[tuple[list[int], list[int]]] = []
    cur_p: list[int] = []
    cur_h: list[int] = []

    def close():
        nonlocal cur_p, cur_h
        if cur_p or cur_h:
            raw.append((cur_p, cur_h))
        cur_p, cur_h = [], []

    # Words only partly matched: an exact unit inside one ("300" = "trois cents" heard as
    # "deux cents"; "mil doscientos" heard as "2.300" = "dos mil trescientos") belongs to the
    # region with the rest of it, and so does the word on the other side: regions hold whole
    # words on both sides, or the rival reading is weighed against half a number.
    partial_p = {plan.p_owner[pr.p] for pr in plan.pairs
                 if pr.p is not None and (pr.h is None or pr.sim < 1.0)}
    partial_h = {plan.h_owner[pr.h] for pr in plan.pairs
                 if pr.h is not None and (pr.p is None or pr.sim < 1.0)}
    exact_p = {plan.p_owner[pr.p] for pr in plan.pairs if pr.p is not None} - partial_p
    for pr in plan.pairs:
        if pr.p is not None and pr.h is not None and pr.sim >= 1.0:
            i, j = plan.p_owner[pr.p], plan.h_owner[pr.h]
            if i not in partial_p and j not in partial_h:
                close()
                continue
            if i not in cur_p and j not in cur_h:
                close()  # the partly matched words start a region of their own
        if pr.p is not None:
            i = plan.p_owner[pr.p]
            if cur_p and tokens[i].line != tokens[cur_p[-1]].line:
                close()
            if i not in cur_p:
                cur_p.append(i)
        if pr.h is not None:
            j = plan.h_owner[pr.h]
            if j not in cur_h:
                cur_h.append(j)
    close()

    # Heard words the plan found to be speech with no text are that speech, reported once as
    # such: a region keeps them only when they are all it heard (then it is the gap's, and
    # ``pipeline.flagged`` leaves it out).  Else a wrong year before a sentence cut from the
    # text ("oravec 2502" said "2002", then "Die Sitzungen..." with no text) was weighed against
    # the year and the whole sentence, a reading no better than the published one.
    in_gap = {j for g in plan.gaps for j in g.heard}
    out = []
    for ps, hs in raw:
        ps = [i for i in ps if i in spoken]
        if not ps:
            continue  # heard words with no published counterpart: left to the gap finder
        if any(j not in in_gap for j in hs):
            hs = [j for j in hs if j not in in_gap]
        a, b = tokens[ps[0]].char_start, tokens[ps[-1]].char_end
        # mojibake repaired, as for matching: the evidence weighs what the editor meant to write
        pub = ftfy.fix_text(" ".join(transcript.spoken_text(tokens[i]) for i in ps))
        heard_text = " ".join(heard[j].text for j in hs)
        if hs and same_words(pub, heard_text, language):
            continue
        out.append(Region(ps, hs, pub, heard_text, a, b, frozenset(exact_p.intersection(ps))))
    return out


def speakers_named(transcript: Transcript, region: Region) -> bool:
    """Whether the names on the published side are all words of the speakers' labels ("Merci,
    Aude Durand"): the transcript vouches for their spelling in every label, so recognition
    garbling a name it has never heard ("au bureau") is the likelier story."""
    label_words = {u for name in transcript.speakers for w in name.split()
                   for u in norm_token(w).split()}
    names = []
    for i in region.tokens:
        t = transcript.tokens[i]
        if name_like(t.text, _text_before(transcript, t.char_start)):
            names += t.norm.split()
    return bool(names) and all(u in label_words for u in names)


def evidence(transcript: Transcript, region: Region, heard: list[HeardWord],
             fits: dict[int, WordFit], language: str, rival: RivalFit | None = None,
             index: TextIndex | None = None) -> Candidate:
    """The measurements one region is judged on."""
    pf = [fits[i] for i in region.tokens if i in fits]
    core = focus(region, fits, transcript.tokens, language)
    cf = [fits[i] for i in core if i in fits]
    pc = compact(" ".join(transcript.tokens[i].norm for i in region.tokens))
    hc = compact(" ".join(heard[j].norm for j in region.heard))
    return Candidate(
        region=region, heard_text=region.heard_text,
        start=min((f.start for f in cf), default=None), end=max((f.end for f in cf), default=None),
        sound=sound_similarity(region.published, region.heard_text, language) if hc else 0.0,
        spelling=Levenshtein.normalized_similarity(pc, hc) if hc else 0.0,
        min_logprob=min((f.min_logprob for f in pf), default=0.0),
        pmi=min((f.pmi for f in pf), default=0.0),
        heard_prob=min((heard[j].probability for j in region.heard), default=0.0),
        number_prob=min((heard[j].probability for j in region.heard
                         if has_number(heard[j].text, language)), default=0.0),
        published_name=name_like(region.published,
                                 _text_before(transcript, region.char_start)),
        name_prob=min((heard[j].probability for j in region.heard
                       if name_like(heard[j].text, heard[j - 1].text if j else None)), default=0.0),
        content=any(_content(transcript.tokens[i], language) for i in region.tokens),
        rival_lp_gain=rival.rival_lp - rival.published_lp if rival else None,
        focus=core,
        attested=index is not None and attested(index, region, heard, language),
        speaker_name=speakers_named(transcript, region),
        body_logprob=body_heard(core, fits, transcript.tokens, language),
    )


def body_heard(core: list[int], fits: dict[int, WordFit], tokens: list[Token],
               language: str) -> float | None:
    """How well the audio bears out the rest of each published content word once its first
    piece is given: the lowest log10 probability of their later tokens, None when one of them
    is a single token (nothing to go on).  The first piece of a word carries the language
    model's surprise at a rare word ("rug|issement" after "le": -3.6); given it, the audio of
    that word makes the rest near certain (-0.04), while the audio of another word makes it
    unlikely too ("fis|ich|elli" where "fisichella" is said: -4.7; "ped|ro" for "potro":
    -1.5).  So a word whose body is well heard was said, whatever recognition made of it.
    Pieces the language alone predicts (a plural "s") are left out: the audio has no say in
    them (``forced.TEXT_PREDICTS``)."""
    bodies = []
    for i in core:
        if not _content(tokens[i], language):
            continue
        f = fits.get(i)
        if f is None or f.body_logprob is None:
            return None
        bodies.append(f.body_logprob)
    return min(bodies) if bodies else None


FOCUS_PMI = 0.5  # neighbours the audio supports this little join the flag


def focus(region: Region, fits: dict[int, WordFit], tokens: list[Token], language: str) -> list[int]:
    """The words of a region a flag points at: the published word the audio supports least over
    silence (PMI, not raw probability: a rare name that is said is unlikely but supported), with
    the neighbours that are nearly as unsupported.  Recognition's regions run long where it
    garbles; a flag should point at the word to check."""
    timed = [i for i in region.tokens if i in fits]
    if not timed:
        return region.tokens
    def rank(j: int):  # a content word before a function word ("rugissement", not "le")
        f = fits[timed[j]]
        return not _content(tokens[timed[j]], language), f.pmi, f.min_logprob

    # a word heard exactly (part of a number said as written) is not the one to check, however
    # little the audio supports it over silence ("one" of "one eight nine hundred...": -1.6,
    # where "eight" stands for the "thousand" said: +1.2)
    differ = [j for j in range(len(timed)) if timed[j] not in region.exact]
    k = min(differ or range(len(timed)), key=rank)
    a = b = k
    while a > 0 and fits[timed[a - 1]].pmi < FOCUS_PMI:
        a -= 1
    while b + 1 < len(timed) and fits[timed[b + 1]].pmi < FOCUS_PMI:
        b += 1
    return timed[a:b + 1]


def rivals(regs: list[Region]) -> dict[int, list[tuple[int, str]]]:
    """The heard reading of each region, to weigh against the published one on the audio."""
    out: dict[int, list[tuple[int, str]]] = {}
    for r in regs:
        if r.heard_text:
            out.setdefault(r.tokens[0], []).append((r.tokens[-1] + 1, r.heard_text))
    return out


# A region longer than this is a stretch recognition lost, not a place to check: a flag over it
# would point nowhere in particular.
MAX_REGION_WORDS = 12
SAME_SOUND = 0.9  # published and heard sound the same: nothing an ear could check
RIVAL_CAP = 5.0  # a heard reading's fit, per published word (log10), is clipped to +-this
BODY_BAR = -1.5  # later pieces likelier than this (log10) are borne out by the audio


def numbers_differ(c: Candidate, language: str) -> bool:
    """Both sides hold a number, not the same value, and recognition was sure of its own (of
    the number: a garbled word beside it says nothing about it)."""
    return numbers_both(c.region.published, c.heard_text, language) and c.number_prob >= 0.5 \
        and not shared_value(c.region.published, c.heard_text, language)


def numbers_both(published: str, heard: str, language: str) -> bool:
    """Both sides hold a number (whatever recognition's certainty: the verdict weighs that)."""
    return bool(heard) and has_number(published, language) and has_number(heard, language)


def names_differ(c: Candidate) -> bool:
    """Both sides hold a name and recognition was sure of its own: it writes a name it knows
    where one is said, and when that name is not the published one, which is right is for a
    person to check."""
    return c.published_name and c.name_prob >= 0.9


# Written forms that are read otherwise: abbreviations ("M.", "Dr", "St.", "a.c.", "p."),
# symbols, and archaic or elided spellings ("Feed'st", "o'er", "'tis") that recognition writes
# in the modern form.  A difference on them is usually one of writing, not an error.
_ABBREVIATION = re.compile(r"^(?:\w{1,3}\.)+$|^(?:dr|mr|mrs|ms|st|mme|mlle|mm|sr|sra|hr|fr|jr|vs|etc)\.?$",
                           re.IGNORECASE)
_ELIDED = re.compile(r"\w'(?:st|d|t)$|^'(?:tis|twas|twere|t)$|^(?:o|e|ne)'er$", re.IGNORECASE)
_SYMBOLS = set("%‰€$£¥&§@+=#°")
_JOINED_NUMBERS = re.compile(r"\d[:/]\d")  # a score, a time, a ratio: "3:2" is "three to two"


def written_form(published: str) -> bool:
    """Whether the published words hold a form that is read otherwise than it is written."""
    for w in published.split():
        core = w.strip(",;:!?\"«»“”()[]").replace("’", "'")
        if core and (_ABBREVIATION.match(core) or _ELIDED.search(core)
                     or _JOINED_NUMBERS.search(core) or any(ch in _SYMBOLS for ch in core)):
            return True
    return False


# Languages that capitalise every noun: a capital there does not mark a name ("Desinfektionsmittel"
# heard "das Infektionsmittel" was taken for a name on the corpus's German recording).
NOUNS_CAPITALISED = {"de", "lb"}


def _names_by_capitals(language: str) -> bool:
    return (language or "").split("-")[0].lower() not in NOUNS_CAPITALISED


def judged(c: Candidate) -> bool:
    """Whether a candidate can be judged at all: its heard reading was weighed on the audio, and
    it is a place, not a stretch recognition lost."""
    return c.rival_lp_gain is not None and len(c.region.tokens) <= MAX_REGION_WORDS


def features(c: Candidate, language: str, matched_fraction: float,
             rival_gain: float | None = None) -> dict[str, float]:
    """The evidence of one candidate as numbers, for the fitted verdict (``verdict.py``).
    ``rival_gain`` overrides the measured one (to ask what the best possible fit would give)."""
    n = len(c.region.tokens)
    published_name = float(c.published_name and _names_by_capitals(language))
    gain = c.rival_lp_gain if rival_gain is None else rival_gain
    per_word = max(-RIVAL_CAP, min(RIVAL_CAP, (gain or 0.0) / n))
    body = c.body_logprob
    return {
        "rival": per_word,  # the heard reading fits the audio better (+) or worse (-), per word
        "rival_pos": max(0.0, per_word),
        "sound": c.sound,  # how alike published and heard sound (0..1)
        "same_sound": float(c.sound >= SAME_SOUND),
        "spelling": c.spelling,
        "min_logprob": max(-10.0, c.min_logprob),  # the published words under the audio
        "pmi": max(-5.0, min(10.0, c.pmi)),  # ... and over silence
        "heard_prob": c.heard_prob,  # recognition's own certainty
        "content": float(c.content),
        "numbers_differ": float(numbers_differ(c, language)),
        "numbers_both": float(numbers_both(c.region.published, c.heard_text, language)),
        "names_differ": float(names_differ(c) and _names_by_capitals(language)),
        "published_name": published_name,
        "attested": float(c.attested),
        "speaker_name": float(c.speaker_name),
        "body_known": float(body is not None),
        "body_heard": 0.0 if body is None else max(0.0, body - BODY_BAR),
        "body_unheard": 0.0 if body is None else max(0.0, BODY_BAR - max(-8.0, body)),
        "written_form": float(written_form(c.region.published)),
        **derived_features(published_name, c.sound, c.spelling, c.region.published, c.heard_text,
                           language),
        "words": math.log(n),
        "heard_words": math.log1p(len(c.region.heard)),
        "matched_fraction": matched_fraction,  # how well recognition does on this audio overall
    }


def derived_features(published_name: float, sound: float, spelling: float, published: str,
                     heard: str, language: str) -> dict[str, float]:
    """Evidence that is a product of other evidence or read from the two texts (the fit
    computes it for candidates collected before it existed)."""
    pv = number_values(published, language)
    return {
        # recognition cannot spell a name it never saw: for a name, how it sounds and how it is
        # spelled weigh otherwise than for a word (the held-out fit's log loss 0.1386 -> 0.136)
        "name_sound": published_name * sound,
        "name_spelling": published_name * spelling,
        # a value the published words hold is heard nowhere in the reading ("1763" heard
        # "1963", "dix-huit" heard "17"): a single digit makes another value, however alike
        # the two sound
        # (a year read out in words is the same value as its digits: "fourteen sixty-five")
        "value_unheard": float(bool(pv) and not shared_value(published, heard or "", language)),
    }


def could_pass(c: Candidate, language: str, matched_fraction: float, min_confidence: float,
               verdict: Verdict | None = None) -> bool:
    """Whether a candidate could reach ``min_confidence`` however well (or badly) the heard
    reading fits the audio: weighing that reading is the costliest measurement, so a candidate
    that fails at both ends of its range need not be weighed at all."""
    if len(c.region.tokens) > MAX_REGION_WORDS:
        return False
    if min_confidence <= 0.0:
        return True
    v = verdict or verdict_mod.default()
    n = len(c.region.tokens)
    return any(v.probability(features(c, language, matched_fraction, g * n)) >= min_confidence
               for g in (-RIVAL_CAP, RIVAL_CAP))


def focus_span(transcript: Transcript, c: Candidate) -> tuple[int, int]:
    """The characters of the published words a candidate's flag is about."""
    return transcript.tokens[c.focus[0]].char_start, transcript.tokens[c.focus[-1]].char_end


def decide(transcript: Transcript, cands: list[Candidate], language: str, matched_fraction: float,
           min_confidence: float = 0.5, verdict: Verdict | None = None,
           known: list[Mismatch] = ()) -> list[Mismatch]:
    """A flag for each candidate the fitted verdict finds likely enough to be a real difference;
    its probability is the flag's confidence.  ``known``: the flags of known names
    (``names.decide_names``); one on a candidate's words is evidence of the verdict there."""
    v = verdict or verdict_mod.default()
    out = []
    for c in cands:
        if not judged(c):
            continue
        r = c.region
        a, b = focus_span(transcript, c)
        name = next((n for n in known if n.char_start < b and a < n.char_end), None)
        feats = {**features(c, language, matched_fraction),
                 **known_features(name.evidence if name else None)}
        conf = v.probability(feats)
        if conf < min_confidence:
            continue
        before = _text_before(transcript, a)
        out.append(Mismatch(
            kind="substitution", category=word_category(transcript.text[a:b], c.heard_text, language,
                                                        published_before=before),
            start=c.start, end=c.end, char_start=a, char_end=b,
            transcript_text=transcript.text[a:b], heard_text=c.heard_text,
            confidence=round(conf, 3), context=_context(transcript.text, a, b),
            evidence={"sound": round(c.sound, 3), "spelling": round(c.spelling, 3),
                      "min_logprob": round(c.min_logprob, 2), "pmi": round(c.pmi, 2),
                      "heard_prob": round(c.heard_prob, 3), "rival_gain": round(c.rival_lp_gain, 2),
                      "content": c.content, "attested": c.attested,
                      "speaker_name": c.speaker_name,
                      "body": None if c.body_logprob is None else round(c.body_logprob, 2),
                      "words": len(r.tokens),
                      "features": {k: round(x, 4) for k, x in feats.items()}},
        ))
    return out


def structural_features(kind: str, words: int, seconds: float, heard_nothing: bool,
                        foreign: bool, at_edge: bool, matched_fraction: float,
                        squeezed: SqueezedRun | None = None, heard_prob: float = 0.0,
                        sounds_like_text: float = 0.0) -> dict[str, float]:
    """The evidence of an omission (published words the audio does not hold) or an insertion
    (speech with no published text), for the fitted verdict's ``structural`` model."""
    return {
        "omission": float(kind == "omission"),
        "log_words": math.log1p(words),  # published words left out, or heard words with no text
        "log_seconds": math.log1p(seconds) if kind == "insertion" else 0.0,
        "heard_nothing": float(heard_nothing),  # recognition gave nothing: heard again alone
        "foreign": float(foreign),  # it sounds like another language (an ad, a quote)
        "at_edge": float(at_edge),  # before the first or after the last published word
        "matched_fraction": matched_fraction,
        # an omission found by forced alignment squeezing the words into no time (plan.py):
        "squeezed": float(squeezed is not None),
        "window_edge": float(squeezed is not None and squeezed.at_edge),  # a wrong cut explains it?
        "against_gap": float(squeezed is not None and squeezed.against_gap),
        "sentences": float(squeezed is not None and squeezed.sentences),  # whole sentences
        "squeeze": 0.0 if squeezed is None else min(1.0, squeezed.squeeze),
        "squeezed_sure": float(squeezed is not None and squeezed.sure),  # the rules of plan.py
        "neighbours_heard": float(squeezed is not None and squeezed.neighbours_heard),
        "heard_prob": heard_prob,  # recognition's mean certainty over speech with no text
        # how alike it sounds to the unanchored published words beside it: the text said there,
        # garbled, while alignment squeezed those words against a window's edge
        "sounds_like_text": sounds_like_text,
    }


def _sounds_like_neighbours(plan: Plan, tokens: list[Token], g, words: list[str],
                            language: str) -> float:
    """The sound similarity of the words heard in a gap to as many published words just
    before it, or just after it, that no heard word anchors (the better of the two)."""
    if not words:
        return 0.0
    n = len(words)
    k = bisect.bisect_left(plan.spoken, g.before_token)
    before, after = [], []
    for i in reversed(plan.spoken[:k]):
        if i in plan.anchors or len(before) == n:
            break
        before.insert(0, i)
    for i in plan.spoken[k:]:
        if i in plan.anchors or len(after) == n:
            break
        after.append(i)
    said = " ".join(words)
    return max((sound_similarity(" ".join(tokens[i].text for i in side), said, language)
                for side in (before, after) if side), default=0.0)


OMIT_AT = 0.5  # a squeezed run's words are left out when that is likelier than not


def omission_features(words: int, matched_fraction: float,
                      squeezed: SqueezedRun | None) -> dict[str, float]:
    """The evidence of published words the audio lacks (``structural_features``'s omission)."""
    return structural_features("omission", words, 0.0, False, False, False, matched_fraction,
                               squeezed)


def unsaid_probability(sq: SqueezedRun, matched_fraction: float,
                       verdict: Verdict | None = None) -> float:
    """The fitted verdict's probability that a squeezed run is text the audio lacks."""
    v = verdict or verdict_mod.default("structural")
    return v.probability(omission_features(len(sq.tokens), matched_fraction, sq))


def structural(transcript: Transcript, plan: Plan, heard: list[HeardWord],
               times: dict[int, tuple[float, float]], language: str,
               verdict: Verdict | None = None) -> list[Mismatch]:
    """Omitted runs of published words and untranscribed stretches of speech, each with the
    fitted verdict's probability that it is real."""
    v = verdict or verdict_mod.default("structural")
    tokens: list[Token] = transcript.tokens
    out = []
    kept = {sq.tokens[0]: sq for sq in plan.kept_squeezed}  # candidates whose words stay timed
    for run in plan.omitted_runs + [sq.tokens for sq in plan.kept_squeezed]:
        a, b = tokens[run[0]].char_start, tokens[run[-1]].char_end
        prev = [i for i in plan.spoken if i < run[0] and i in times]
        t = times[run[0]][0] if run[0] in kept and run[0] in times else \
            times[prev[-1]][1] if prev else 0.0
        text = transcript.text[a:b]
        cat = "sentence" if len(run) >= 5 else word_category(text, "", language)
        feats = omission_features(len(run), plan.matched_fraction,
                                  plan.squeezed.get(run[0]) or kept.get(run[0]))
        out.append(Mismatch("omission", cat, t, t, a, b, text, "",
                            round(v.probability(feats), 3), _context(transcript.text, a, b),
                            {"words": len(run), "features": feats}))
    for g in plan.gaps:
        words = [heard[j].text for j in g.heard]
        dur = g.end - g.start
        at_edge = not plan.spoken or g.before_token == plan.spoken[0] or g.before_token >= len(tokens)
        cat = "segment" if (at_edge or dur >= 4.0) else ("sentence" if len(words) >= 4 else "word")
        said = " ".join(words) or g.heard_again
        probs = [heard[j].probability for j in g.heard]
        feats = structural_features("insertion", len(words) or len(said.split()), dur,
                                    not words, said.startswith("["), at_edge, plan.matched_fraction,
                                    heard_prob=sum(probs) / len(probs) if probs else 0.0,
                                    sounds_like_text=_sounds_like_neighbours(plan, tokens, g, words,
                                                                             language))
        out.append(Mismatch("insertion", cat, g.start, g.end, None, None, "", said,
                            round(v.probability(feats), 3),
                            f"{dur:.1f} s of speech with no published text",
                            {"seconds": round(dur, 2), "words": len(words),
                             "features": {k: round(x, 4) for k, x in feats.items()}}))
    return out


# ------------------------------------------------------------------ names spelled two ways

VARIANT_MIN_USES = 3  # the usual spelling: at least this many uses ...
VARIANT_RATIO = 3  # ... and this many times the variant's
VARIANT_MAX_EDITS = 2
VARIANT_MIN_GAIN = -1.0  # the usual spelling may fit the audio this much worse (log10) and count


@dataclass(frozen=True)
class Variant:
    """A published name spelled, here, unlike the way the transcript usually spells it."""

    token: int
    usual: str  # the usual spelling, as the transcript writes it
    rival: str  # the token's text with the usual spelling in place (punctuation kept)
    uses: int  # how often the usual spelling is used
    own_uses: int  # how often this spelling is


def spelling_variants(transcript: Transcript, spoken: list[int]) -> list[Variant]:
    """Names the transcript spells once or twice one way and usually another, a letter or two
    apart ("Kyuta" once, "Kyutai" nine times): an editor's slip more often than two names.  A
    usual spelling plus an ending ("Nowak" / "Nowaka", "Merkel" / "Merkels") is grammar, not a
    slip, and is left alone; the audio then weighs the two spellings (see ``decide_variants``)."""
    tokens = transcript.tokens
    uses = Counter(t.norm for t in tokens if t.norm and " " not in t.norm)
    usual_forms = [f for f, n in uses.items() if n >= VARIANT_MIN_USES and len(f) >= 4]
    shown: dict[str, Counter] = {f: Counter() for f in usual_forms}  # how each is written
    for t in tokens:
        if t.norm in shown:
            shown[t.norm][bare_word(t.text)] += 1
    out = []
    for i in spoken:
        t = tokens[i]
        v, core = t.norm, bare_word(t.text)
        if not v or " " in v or len(v) < 4:
            continue
        if not core[:1].isupper():
            continue  # (a capital at a sentence start is enough: the usual spelling must be a name)
        near = process.extract(v, usual_forms, scorer=Levenshtein.distance, limit=None,
                               score_cutoff=VARIANT_MAX_EDITS)
        # not the usual spelling plus an ending (grammar), and used far more than this one
        near = [f for f, _, _ in near if f != v and not v.startswith(f)
                and uses[f] >= VARIANT_RATIO * uses[v]]
        best = max(near, key=lambda f: uses[f], default=None)
        if best is None:
            continue
        usual = shown[best].most_common(1)[0][0]
        if usual.islower():
            continue  # a common word the transcript uses often: not a name spelled two ways
        out.append(Variant(i, usual, t.text.replace(core, usual, 1), uses[best], uses[v]))
    return out


def decide_variants(transcript: Transcript, variants: list[Variant],
                    weighed: dict[tuple[int, str], RivalFit], fits: dict[int, WordFit],
                    language: str, min_confidence: float = 0.5) -> list[Mismatch]:
    """Flag a name spelled unlike its usual spelling unless the two sound different and the
    audio prefers the published one clearly (two names, "Martin" and "Marin", are told apart by
    the audio; a slip of the pen, "Kyuta" for "Kyutai", fits about as well as the usual one).
    Spellings that sound the same ("Fisichela", "Fisichella") are for the text alone to judge:
    the model's preference between them is a spelling habit, not something it heard.
    Confidence grows with how much more the usual spelling is used and how well it fits."""
    out = []
    for v in variants:
        rf = weighed.get((v.token, v.rival))
        f = fits.get(v.token)
        if rf is None or f is None:
            continue
        t = transcript.tokens[v.token]
        core = bare_word(t.text) or t.text
        measured = rf.rival_lp - rf.published_lp
        gain = 0.0 if sound_similarity(core, v.usual, language) >= SAME_SOUND else measured
        # (two spellings that sound the same: the audio cannot tell them apart)
        if gain < VARIANT_MIN_GAIN:
            continue
        conf = 0.55 + 0.05 * math.log2(v.uses / v.own_uses) + 0.1 * min(gain, 2.0)
        conf = round(max(0.0, min(0.9, conf)), 3)
        if conf < min_confidence:
            continue
        a = t.char_start + t.text.index(core)
        b = a + len(core)
        out.append(Mismatch(
            kind="substitution", category="name", start=f.start, end=f.end,
            char_start=a, char_end=b, transcript_text=transcript.text[a:b], heard_text=v.usual,
            confidence=conf, context=_context(transcript.text, a, b),
            evidence={"spelled_elsewhere": v.usual, "uses": v.uses, "own_uses": v.own_uses,
                      "rival_gain": round(measured, 2)}))
    return out


def merged_adjacent(flags: list[Mismatch], text: str) -> list[Mismatch]:
    """Flags on neighbouring published words (nothing but spaces and marks between them) are one
    place to check by ear, and one difference: a garbled reading spills over the words beside
    an error (monde-numerique's "Kyuta exactement," was two flags, the second a duplicate).
    The merged flag keeps the surer one's confidence, category and evidence; its suggestion is
    the published words with each part's suggestion put in."""
    subs = sorted((m for m in flags if m.kind == "substitution" and m.char_start is not None),
                  key=lambda m: m.char_start)
    chosen = {id(m) for m in subs}
    rest = [m for m in flags if id(m) not in chosen]
    groups: list[list[Mismatch]] = []
    for m in subs:
        if groups and not any(ch.isalnum() for ch in text[groups[-1][-1].char_end:m.char_start]) \
                and m.char_start >= groups[-1][-1].char_end:
            groups[-1].append(m)
        else:
            groups.append([m])
    out = list(rest)
    for g in groups:
        if len(g) == 1:
            out.append(g[0])
            continue
        top = max(g, key=lambda m: m.confidence)
        a, b = g[0].char_start, g[-1].char_end
        suggestion = None
        if any(m.suggestion for m in g):
            pieces, at = [], a
            for m in g:
                pieces += [text[at:m.char_start], m.suggestion or text[m.char_start:m.char_end]]
                at = m.char_end
            suggestion = "".join(pieces + [text[at:b]])
        starts = [m.start for m in g if m.start is not None]
        ends = [m.end for m in g if m.end is not None]
        out.append(Mismatch(
            kind="substitution", category=top.category,
            start=min(starts) if starts else None, end=max(ends) if ends else None,
            char_start=a, char_end=b, transcript_text=text[a:b],
            heard_text=" ".join(dict.fromkeys(m.heard_text for m in g if m.heard_text)),
            confidence=top.confidence, context=_context(text, a, b),
            evidence={**top.evidence, "merged": len(g)}, suggestion=suggestion))
    return out
