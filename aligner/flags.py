"""Deciding what a producer must check by ear.

Three kinds of evidence are weighed for every place where the published and heard words differ
(after normalisation has removed differences of writing only):
- *sound*: how alike the two texts sound (espeak-ng phonemes); a slip of recognition usually
  sounds like the published word, a wrong name or number usually does not;
- *audio support*: the published word's token probabilities under the audio, and how much the
  audio raises them above what the model expects from silence (PMI);
- *recognition confidence*: how sure Whisper was of what it heard.
Structural differences (text never said, speech with no text) come from the plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .forced import WordFit
from .normalize import category as word_category
from .normalize import compact, is_function_word, same_words
from .phonetics import sound_similarity
from .plan import Plan
from .types import HeardWord, Mismatch, Token, Transcript

CONTEXT_CHARS = 40


@dataclass
class Candidate:
    tokens: list[int]  # published token indices
    heard: list[int]  # heard word indices
    published: str
    heard_text: str
    char_start: int
    char_end: int
    start: float | None
    end: float | None
    spelling: float  # similarity of the compact normalised forms, 0..1
    sound: float  # phonetic similarity, 0..1
    min_logprob: float  # lowest log10 probability of a published token under the audio
    pmi: float  # lowest per-word PMI among the published words
    heard_prob: float  # mean recognition probability of the heard words
    content: bool  # the published side holds a word that is not a function word


def _context(text: str, a: int, b: int) -> str:
    left = text[max(0, a - CONTEXT_CHARS):a].split("\n")[-1]
    right = text[b:b + CONTEXT_CHARS].split("\n")[0]
    return f"…{left}[{text[a:b]}]{right}…".replace("\r", "")


def candidates(transcript: Transcript, plan: Plan, heard: list[HeardWord],
               fits: dict[int, WordFit], language: str) -> list[Candidate]:
    """Maximal runs of the unit alignment that are not exact matches, as published/heard texts."""
    tokens = transcript.tokens
    spoken = set(plan.spoken)
    regions: list[tuple[set[int], set[int]]] = []
    cur_p: set[int] = set()
    cur_h: set[int] = set()
    for pr in plan.pairs:
        exact = pr.p is not None and pr.h is not None and pr.sim >= 1.0
        if exact:
            if cur_p or cur_h:
                regions.append((cur_p, cur_h))
            cur_p, cur_h = set(), set()
            continue
        if pr.p is not None:
            cur_p.add(plan.p_owner[pr.p])
        if pr.h is not None:
            cur_h.add(plan.h_owner[pr.h])
    if cur_p or cur_h:
        regions.append((cur_p, cur_h))

    out = []
    for ps, hs in regions:
        ps = sorted(i for i in ps if i in spoken)
        if not ps:
            continue  # heard words with no published counterpart: left to the gap finder
        hs = sorted(hs)
        a, b = tokens[ps[0]].char_start, tokens[ps[-1]].char_end
        pub = transcript.text[a:b]
        heard_text = " ".join(heard[j].text for j in hs)
        if hs and same_words(pub, heard_text, language):
            continue
        pf = [fits[i] for i in ps if i in fits]
        start = min((f.start for f in pf), default=None)
        end = max((f.end for f in pf), default=None)
        pc = compact(" ".join(tokens[i].norm for i in ps))
        hc = compact(" ".join(heard[j].norm for j in hs))
        from rapidfuzz.distance import Levenshtein

        out.append(Candidate(
            tokens=ps, heard=hs, published=pub, heard_text=heard_text, char_start=a, char_end=b,
            start=start, end=end,
            spelling=Levenshtein.normalized_similarity(pc, hc) if hc else 0.0,
            sound=sound_similarity(pub, heard_text, language) if hs else 0.0,
            min_logprob=min((f.min_logprob for f in pf), default=0.0),
            pmi=min((f.pmi for f in pf), default=0.0),
            heard_prob=sum(heard[j].probability for j in hs) / len(hs) if hs else 0.0,
            content=any(not is_function_word(u, language) for i in ps for u in tokens[i].norm.split()),
        ))
    return out


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def score(c: Candidate) -> float:
    """How sure we are that the published text differs from what is said, 0..1.

    Each signal counts in its own unit: sound-alike text is the strongest sign of a mere
    recognition slip; low probability of the published words under the audio, and little
    support over silence, are signs the published words were not said.
    """
    if not c.heard:
        # Published words recognition did not hear at all: only strong audio evidence counts.
        x = -2.0 - 1.5 * (c.pmi - 0.5) - 0.8 * (c.min_logprob + 2.0)
        return _sigmoid(x)
    x = (
        4.0 * (0.62 - c.sound)
        - 1.2 * (c.min_logprob + 1.5)
        - 1.0 * (c.pmi - 1.0)
        + 1.5 * (c.heard_prob - 0.6)
    )
    if not c.content:
        x -= 2.0
    return _sigmoid(x)


def decide(transcript: Transcript, cands: list[Candidate], language: str,
           threshold: float = 0.5) -> list[Mismatch]:
    out = []
    for c in cands:
        conf = score(c)
        if conf < threshold:
            continue
        tokens = [transcript.tokens[i] for i in c.tokens]
        kind = "substitution" if c.heard else "omission"
        out.append(Mismatch(
            kind=kind, category=word_category(c.published, c.heard_text, language),
            start=c.start, end=c.end, char_start=c.char_start, char_end=c.char_end,
            transcript_text=c.published, heard_text=c.heard_text, confidence=round(conf, 3),
            context=_context(transcript.text, c.char_start, c.char_end),
            evidence={"sound": round(c.sound, 3), "spelling": round(c.spelling, 3),
                      "min_logprob": round(c.min_logprob, 2), "pmi": round(c.pmi, 2),
                      "heard_prob": round(c.heard_prob, 3), "words": len(tokens)},
        ))
    return out


def structural(transcript: Transcript, plan: Plan, heard: list[HeardWord],
               times: dict[int, tuple[float, float]], duration: float, language: str) -> list[Mismatch]:
    """Omitted runs of published words and untranscribed stretches of speech."""
    tokens: list[Token] = transcript.tokens
    out = []
    for run in plan.omitted_runs:
        a, b = tokens[run[0]].char_start, tokens[run[-1]].char_end
        prev = [i for i in plan.spoken if i < run[0] and i in times]
        t = times[prev[-1]][1] if prev else 0.0
        text = transcript.text[a:b]
        cat = "sentence" if len(run) >= 5 else word_category(text, "", language)
        out.append(Mismatch("omission", cat, t, t, a, b, text, "", 0.9,
                            _context(transcript.text, a, b), {"words": len(run)}))
    for g in plan.gaps:
        words = [heard[j].text for j in g.heard]
        dur = g.end - g.start
        at_edge = g.before_token == plan.spoken[0] if plan.spoken else True
        at_edge = at_edge or g.before_token >= len(tokens)
        cat = "segment" if (at_edge or dur >= 5.0) else ("sentence" if len(words) >= 4 else "word")
        conf = min(0.95, 0.5 + 0.08 * dur)
        out.append(Mismatch("insertion", cat, g.start, g.end, None, None, "", " ".join(words),
                            round(conf, 3), f"{dur:.1f} s of speech with no published text",
                            {"seconds": round(dur, 2), "words": len(words)}))
    return out
