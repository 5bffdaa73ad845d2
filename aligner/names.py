"""Names the producer knows: a names file (``--names``) and the names of the transcript's header.

Recognition cannot spell a name it has never seen ("Jensen Wang" for Jensen Huang, "Bernard
Chochoy" for Bernhard Schölkopf): a wrong name in the text then goes unflagged, and a right one it
garbles gets flagged.  The producer usually knows the right names, and the header (title, summary,
credits) spells them too.  Known names are used twice:

- as recognition *hotwords* (faster-whisper's ``hotwords``: a prompt the decoder starts from), so
  that recognition can spell them;
- as *rivals*: a published name that sounds like a known one (or is spelled a letter or two from
  it) but is spelled otherwise has the known spelling weighed on the audio in its place, like
  ``flags.spelling_variants`` does with a transcript's usual spelling, and is flagged as a name
  substitution, with the known spelling as the suggestion, unless the audio clearly prefers the
  published spelling.

A name spelled only in the *body* of the transcript is never a known name: it would pull
recognition toward the very spelling under test.  A known name never removes a flag: a flag of its
own on a place already flagged is merged into that flag (``merge``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz.distance import Levenshtein

from .errors import InputNotFound
from .forced import RivalFit, WordFit
from .normalize import bare_word, compact, is_function_word, name_like, norm_token
from .phonetics import sound_similarity
from .transcript import read_input
from .types import HeardWord, Mismatch, Token, Transcript

MAX_RUN = 3  # a name is at most this many words ("Jean-Noël Barrot", "Bernhard Schölkopf")
MIN_LETTERS = 3  # shorter header words ("IA", "CC") are not names worth knowing
MIN_MATCH_LETTERS = 4  # shorter names sound like too many words to be weighed as rivals
MAX_HOTWORD_CHARS = 200  # Whisper's prompt holds ~223 tokens; names run ~3 characters a token
SOUND_BAR = 0.75  # a published name sounding at least this much like a known one is its rival,
SHARED_BAR = 0.6  # ... this much when they share a word ("Bernard Chochoy", "Bernhard Schölkopf"),
SPELL_BAR = 0.8  # ... and so is one spelled this close to it (a letter or two in a short name)
SAME_SOUND = 0.9  # the two spellings sound the same: the audio cannot tell them apart
CLEAR_PREFERENCE = -1.0  # the known spelling fitting this much worse per word (log10): not flagged
_TRAILING = ".,;:!?…)]}»\"”'’"
_LEADING = "([{«\"“'‘"
_ELIDED = re.compile(r"^(?:[a-z]{1,2}|qu|jusqu|lorsqu|puisqu)['’](?=\w)")  # "d'Aude" -> "Aude"


# ------------------------------------------------------------------------ the names file

def parse_names(text: str) -> list[str]:
    """One name or term per line; blank lines and lines starting with ``#`` are left out, and
    so are repeats (spelling aside of case)."""
    out, seen = [], set()
    for line in text.splitlines():
        name = " ".join(line.split())
        if not name or name.startswith("#"):
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


def read_names(path) -> list[str]:
    """The names of a names file (UTF-8, a BOM allowed); ``InputNotFound`` (a bad input file)
    when it is missing, a folder, unreadable or not UTF-8 text."""
    data = read_input(path, "names file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputNotFound(f"names file is not UTF-8 text: {path}") from None
    if "\x00" in text:
        raise InputNotFound(f"names file is not text: {path}")
    return parse_names(text)


# ------------------------------------------------------------------------ runs of name-like words

def _runs(tokens: list[Token], indices: list[int]) -> list[list[int]]:
    """Maximal runs of consecutive name-like tokens on one line ("Xavier Niel", "Bernard
    Chochoy"), cut at punctuation ("Niel (Iliad)," is two names)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    prev: Token | None = None
    for i in indices:
        t = tokens[i]
        same_line = prev is not None and prev.line == t.line and prev.index == t.index - 1
        before = prev.text if same_line else None
        core = _core(t.text)
        named = any(c.isalpha() for c in core) and name_like(core, before)
        if cur and (not named or not same_line or t.text[:1] in _LEADING
                    or prev.text[-1:] in _TRAILING):
            runs.append(cur)
            cur = []
        if named:
            cur.append(i)
        prev = t
    if cur:
        runs.append(cur)
    return runs


def _core(text: str) -> str:
    """A token's name: marks glued to it ("🎙 Interview", "France ?"), punctuation around it
    and an elided article before it ("d'Aude") off."""
    chunks = [bare_word(c) for c in text.split()]
    bare = " ".join(c for c in chunks if any(ch.isalnum() for ch in c))
    return _ELIDED.sub("", bare) or bare


def _text_of(tokens: list[Token], run: list[int]) -> str:
    return " ".join(_core(tokens[i].text) for i in run)


def _letters(s: str) -> int:
    return sum(c.isalpha() for c in s)


def header_names(transcript: Transcript, language: str | None = None) -> list[str]:
    """The name-like words and runs of the header lines (before the first labelled turn:
    title, summary, credits), said or not, in order, without repeats."""
    tokens = transcript.tokens
    out: list[str] = []
    for run in _runs(tokens, [t.index for t in tokens if t.header]):
        for k in range(0, len(run), MAX_RUN):
            piece = [i for i in run[k:k + MAX_RUN]
                     if not is_function_word(tokens[i].norm, language)]
            text = _text_of(tokens, piece)
            if piece and _letters(text) >= MIN_LETTERS:
                out.append(text)
    return _unique(out)


def _unique(names: list[str]) -> list[str]:
    out, seen = [], set()
    for n in names:
        key = compact(norm_token(n))
        if key and key not in seen:
            seen.add(key)
            out.append(n)
    return out


def known_names(transcript: Transcript, given: list[str] | None = None,
                language: str | None = None) -> list[str]:
    """The names given (a names file) first, then the header's: never a name spelled only in
    the body."""
    return _unique(list(given or []) + header_names(transcript, language))


def hotwords(names: list[str], max_chars: int = MAX_HOTWORD_CHARS) -> str | None:
    """The known names as one space-joined hotwords string for recognition, the first ones
    (the names file's) kept when they do not all fit; None when there are none, so that
    recognition is unchanged."""
    picked: list[str] = []
    used = 0
    for n in names:
        if used + len(n) + (1 if picked else 0) > max_chars:
            continue
        picked.append(n)
        used += len(n) + (1 if len(picked) > 1 else 0)
    return " ".join(picked) or None


# ------------------------------------------------------------------------ rivals

@dataclass(frozen=True)
class NameMatch:
    """Published tokens ``first .. end-1`` spell a name that sounds like a known one."""

    first: int
    end: int
    published: str  # the published name, punctuation around it off
    known: str  # the known spelling
    rival: str  # the tokens' text with the known spelling in place (punctuation kept)
    sound: float  # how alike the two sound, 0..1
    spelling: float  # how alike the two are spelled (normalised, compact), 0..1
    char_start: int
    char_end: int


def _key(text: str, language: str | None) -> str:
    return compact(norm_token(text, language))


def _share_word(a: str, b: str, language: str) -> bool:
    """Two names of several words with a word that sounds the same in both (a first name)."""
    wa, wb = a.split(), b.split()
    return len(wa) > 1 and len(wb) > 1 and any(
        sound_similarity(x, y, language) >= SAME_SOUND for x in wa for y in wb)


def name_matches(transcript: Transcript, spoken: list[int], known: list[str],
                 language: str) -> list[NameMatch]:
    """Runs of up to ``MAX_RUN`` name-like tokens of the body that sound like a known name
    (``SOUND_BAR``) or are spelled close to it (``SPELL_BAR``) but are spelled otherwise, the
    best known name per place, places not overlapping.  A run that is, or holds, a known name
    spelled right is left alone, and so is one that is part of a known name or a known name plus
    an ending (grammar)."""
    tokens = transcript.tokens
    forms = []  # (known text, its key, words, whole name or a surname alone)
    for n in known:
        key = _key(n, language)
        if len(key) >= MIN_MATCH_LETTERS:
            forms.append((n, key, len(n.split()), True))
        parts = n.split()
        if len(parts) > 1 and len(_key(parts[-1], language)) > MIN_MATCH_LETTERS:
            forms.append((parts[-1], _key(parts[-1], language), 1, False))
    if not forms:
        return []
    keys = {f[1] for f in forms}
    body = [i for i in spoken if not tokens[i].header]
    cands: list[tuple[float, int, NameMatch]] = []
    for run in _runs(tokens, body):
        subs = [run[a:b] for a in range(len(run)) for b in range(a + 1, min(len(run), a + MAX_RUN) + 1)]
        exact = {i for s in subs if _key(_text_of(tokens, s), language) in keys for i in s}
        for s in subs:
            if exact.intersection(s):
                continue  # a known name spelled right is not a misspelling of another one
            text = _text_of(tokens, s)
            key = _key(text, language)
            if len(key) < MIN_MATCH_LETTERS:
                continue
            for name, nkey, words, whole in forms:
                if abs(words - len(s)) > (1 if whole else 0) or key.startswith(nkey) or set(
                        _key(w, language) for w in text.split()) <= set(
                        _key(w, language) for w in name.split()):
                    continue  # the name plus an ending (grammar), or words of the name
                spelling = Levenshtein.normalized_similarity(key, nkey)
                sound = sound_similarity(text, name, language)
                if sound < SOUND_BAR and spelling < SPELL_BAR and not (
                        sound >= SHARED_BAR and _share_word(text, name, language)):
                    continue
                a, b = tokens[s[0]], tokens[s[-1]]
                core0, core1 = _core(a.text), _core(b.text)
                c0 = a.char_start + a.text.index(core0)
                c1 = b.char_start + b.text.rindex(core1) + len(core1)
                span = transcript.text[a.char_start:b.char_end]
                rival = span[:c0 - a.char_start] + name + span[c1 - a.char_start:]
                cands.append((max(sound, spelling), len(s), NameMatch(
                    s[0], s[-1] + 1, transcript.text[c0:c1], name, rival, sound, spelling, c0, c1)))
    out: list[NameMatch] = []
    taken: set[int] = set()
    for _score, _n, m in sorted(cands, key=lambda c: (-c[0], -c[1], c[2].first)):
        own = set(range(m.first, m.end))
        if not taken.intersection(own):
            taken |= own
            out.append(m)
    return sorted(out, key=lambda m: m.first)


def rivals(matches: list[NameMatch]) -> dict[int, list[tuple[int, str]]]:
    """The known spellings to weigh on the audio, in ``forced.align_windows``' form."""
    out: dict[int, list[tuple[int, str]]] = {}
    for m in matches:
        out.setdefault(m.first, []).append((m.end, m.rival))
    return out


def _context(text: str, a: int, b: int, chars: int = 40) -> str:
    left = text[max(0, a - chars):a].split("\n")[-1]
    right = text[b:b + chars].split("\n")[0]
    return f"…{left}[{text[a:b]}]{right}…".replace("\r", "")


def decide_names(transcript: Transcript, matches: list[NameMatch],
                 weighed: dict[tuple[int, str], RivalFit], fits: dict[int, WordFit],
                 heard: list[HeardWord], min_confidence: float = 0.5) -> list[Mismatch]:
    """A name flag for each published name whose known spelling the audio does not clearly
    reject.  ``rival_gain`` is how much better (log10, summed, with the two words after it) the
    known spelling fits the audio than the published one; when the two sound the same
    (``SAME_SOUND``) the audio cannot tell them apart and the gain is taken as 0: the producer's
    spelling decides."""
    out = []
    for m in matches:
        rf = weighed.get((m.first, m.rival))
        f0, f1 = fits.get(m.first), fits.get(m.end - 1)
        if rf is None or f0 is None or f1 is None:
            continue  # not said, or not weighed: nothing to go on
        measured = rf.rival_lp - rf.published_lp
        # Per word of the published name: a rare name's spelling is unlikely to the language
        # model in every word ("Bernard Chochoy" vs "Bernhard Schölkopf", said: -1.32 in all).
        gain = 0.0 if m.sound >= SAME_SOUND else measured / (m.end - m.first)
        if gain < CLEAR_PREFERENCE:
            continue  # the audio clearly prefers the published spelling: another name
        # Deliberately simple (a fitted verdict will replace it): the producer's spelling is
        # strong evidence on its own (0.6), moved by up to -0.1 / +0.2 by how much better, per
        # word, the known spelling fits the audio.  The measured numbers are in ``evidence``.
        conf = round(max(0.0, min(0.8, 0.6 + 0.1 * min(gain, 2.0))), 3)
        if conf < min_confidence:
            continue
        said = [h.text for h in heard if f0.start - 0.05 <= (h.start + h.end) / 2 <= f1.end + 0.05]
        out.append(Mismatch(
            kind="substitution", category="name", start=f0.start, end=f1.end,
            char_start=m.char_start, char_end=m.char_end, transcript_text=m.published,
            heard_text=" ".join(said), confidence=conf,
            context=_context(transcript.text, m.char_start, m.char_end),
            evidence={"known_name": m.known, "sound": round(m.sound, 3),
                      "spelling": round(m.spelling, 3), "rival_gain": round(measured, 2),
                      "gain_per_word": round(gain, 2),
                      "published_lp": round(rf.published_lp, 2), "rival_lp": round(rf.rival_lp, 2)},
            suggestion=m.known))
    return out


# The known spelling's gain per word is taken up to this much either way as evidence: beyond
# it, a rare name's spelling against the language model more than the audio (gains of 7 to 14
# were measured on the corpus's sound-alike names, against 2 to 6 for most).
KNOWN_GAIN_CAP = 5.0


def known_features(known: dict | None) -> dict[str, float]:
    """Evidence of the verdict from a known name matched to a candidate (``decide_names``'
    evidence; None: no known name there): that there is one, and how much better, per word,
    its spelling fits the audio than the published one."""
    if not known:
        return {"known_name": 0.0, "known_gain": 0.0}
    gain = float(known.get("gain_per_word") or 0.0)
    return {"known_name": 1.0, "known_gain": max(-KNOWN_GAIN_CAP, min(KNOWN_GAIN_CAP, gain))}


def merge(flags: list[Mismatch], named: list[Mismatch]) -> list[Mismatch]:
    """``flags`` with the name flags added; a name flag on a place already flagged adds its
    suggestion and evidence to that flag instead of making a second flag (and its confidence,
    when higher, to a flag the verdict did not weigh it in: ``flags.decide`` takes a known name
    as evidence).  No flag is ever removed."""
    out = list(flags)
    for n in named:
        k = next((k for k, s in enumerate(out) if s.char_start is not None
                  and s.char_start < n.char_end and n.char_start < s.char_end), None)
        if k is None:
            out.append(n)
            continue
        s = out[k]
        weighed = "features" in (s.evidence or {})
        out[k] = replace(s, category="name",
                         confidence=s.confidence if weighed else max(s.confidence, n.confidence),
                         suggestion=s.suggestion or n.suggestion,
                         evidence={**s.evidence, "known_name": n.evidence})
    return out
