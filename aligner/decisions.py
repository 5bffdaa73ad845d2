"""A person's answers to the flags, and the corrected transcript they make.

A decision is a character span of the *original* transcript (offsets as everywhere: the file
decoded, BOM removed, no newline translation) and the text that replaces it:

- "keep published": the span and its own text (no change; the flag is hidden on later runs);
- "use heard" / the suggestion: a substitution's span and the heard (or suggested) spelling, with
  the published word's edge punctuation and capital kept; an omission's span deleted (with one
  side's spaces, so no double space is left); an insertion's heard text put before the next
  published word (an empty span there), without the "[en]" language tag;
- "edit": the span and free text; any transcript word can be edited the same way.

The review page builds the same records in script from spans and texts this module computes
(``flag_choices``), so the page, ``podalign apply`` and ``align --decisions`` agree by
construction.  DECISIONS.json carries the original's sha256 and length: it is refused (exit 5) for
another transcript.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import DecisionsError, DecisionsMismatch, OutputError

FORMAT = "podalign-decisions"
VERSION = 1
ACTIONS = ("keep", "heard", "suggestion", "edit", "word")

_LANG_TAG = re.compile(r"^\s*\[[a-z]{2,3}(?:-[A-Za-z0-9]+)?\]\s*")


@dataclass(frozen=True)
class FlagRef:
    """Which flag a decision answers: enough to know it again on a later run."""

    kind: str
    char_start: int  # for an insertion: where its text goes (the next published word's start)
    char_end: int
    published: str = ""
    heard: str = ""


@dataclass(frozen=True)
class Decision:
    char_start: int
    char_end: int
    text: str  # what replaces original[char_start:char_end]
    action: str  # one of ACTIONS
    flag: FlagRef | None = None


@dataclass
class Decisions:
    transcript_sha256: str
    transcript_chars: int  # length of the decoded original: a corrected copy is recognised by it
    items: list[Decision] = field(default_factory=list)
    audio_sha256: str = ""
    transcript: str = ""  # the original's file name, for people reading the file


@dataclass(frozen=True)
class Choice:
    """One way to answer a flag: the edit it makes."""

    char_start: int
    char_end: int
    text: str


@dataclass(frozen=True)
class FlagChoices:
    """What the page offers for one flag (a pure function of the flag and the text)."""

    ref: FlagRef
    keep: Choice
    heard: Choice
    suggestion: Choice | None
    insertion_trailing: bool  # an edit's text goes after a space (end of text), not before one


# ------------------------------------------------------------------------------------------------
# the edits a flag offers


def strip_lang_tag(heard: str) -> str:
    """"[en] thank you" -> "thank you": the tag says which language recognition used, it is not
    something said."""
    return _LANG_TAG.sub("", heard or "").strip()


def _edges(s: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation)."""
    m = re.match(r"^(\W*)(.*?)(\W*)$", s, re.S)
    return (m.group(1), m.group(2), m.group(3)) if m else ("", s, "")


def carry_form(published: str, replacement: str) -> str:
    """The replacement wearing the published word's edge punctuation and initial capital
    ("Wang," + "huang" -> "Huang,"): the person accepts a spelling, not a lost comma."""
    rep = replacement.strip()
    if not rep:
        return rep
    lead, core, trail = _edges(published)
    rl, rcore, rt = _edges(rep)
    if not rcore:
        return rep
    if core[:1].isupper() and rcore[:1].islower():
        rcore = rcore[:1].upper() + rcore[1:]
    return (rl or lead) + rcore + (rt or trail)


def insertion_point(start: float | None, words: Sequence[tuple[int, int, float | None]],
                    text_len: int) -> tuple[int, bool]:
    """Where an insertion's heard text goes: before the first spoken published word that starts
    at or after it (as the review page places its marker); at the end when none does.

    ``words``: (char_start, char_end, start time or None) of the spoken words in text order.
    Returns (offset, trailing)."""
    timed = [(a, t) for a, _, t in words if t is not None]
    if start is not None:
        for a, t in timed:
            if t >= start - 0.01:
                return a, False
    end = max((b for _, b, _ in words), default=text_len)
    return end, True


def _deletion(text: str, a: int, b: int) -> tuple[int, int]:
    """An omission's span widened over the spaces on one side, so that "a b c" minus "b" is
    "a c", not "a  c"; line breaks are never eaten."""
    if b < len(text) and text[b] in " \t":
        while b < len(text) and text[b] in " \t":
            b += 1
    elif a > 0 and text[a - 1] in " \t":
        while a > 0 and text[a - 1] in " \t":
            a -= 1
    return a, b


def flag_choices(kind: str, char_start: int | None, char_end: int | None, start: float | None,
                 published: str, heard: str, suggestion: str | None, text: str,
                 words: Sequence[tuple[int, int, float | None]]) -> FlagChoices:
    """The edits "keep", "use heard" and the suggestion make for one flag of ``text``."""
    said = strip_lang_tag(heard)
    if kind == "insertion" or char_start is None or char_end is None:
        p, trailing = insertion_point(start, words, len(text))
        ref = FlagRef("insertion", p, p, "", said)
        ins = (" " + said) if trailing else (said + " ")
        return FlagChoices(ref, Choice(p, p, ""), Choice(p, p, ins if said else ""),
                           None, trailing)
    a, b = char_start, char_end
    ref = FlagRef(kind, a, b, published, said)
    keep = Choice(a, b, text[a:b])
    if kind == "omission":
        da, db = _deletion(text, a, b)
        use = Choice(da, db, "")
    else:
        use = Choice(a, b, carry_form(text[a:b], said)) if said else Choice(*_deletion(text, a, b), "")
    sug = Choice(a, b, carry_form(text[a:b], suggestion)) if suggestion else None
    return FlagChoices(ref, keep, use, sug, False)


# ------------------------------------------------------------------------------------------------
# applying


def _changes(items: Iterable[Decision], text: str) -> list[Decision]:
    """The decisions that change something, in text order; overlapping ones are an error."""
    out = sorted((d for d in items if text[d.char_start:d.char_end] != d.text),
                 key=lambda d: (d.char_start, d.char_end))
    prev = None
    for d in out:
        if prev is not None and d.char_start < prev.char_end:
            raise DecisionsError(f"two decisions overlap: characters {prev.char_start}-{prev.char_end} "
                                 f"and {d.char_start}-{d.char_end}")
        prev = d
    return out


def check_spans(dec: Decisions, text: str) -> None:
    if len(text) != dec.transcript_chars:
        raise DecisionsMismatch(f"the decisions were made on a transcript of {dec.transcript_chars} "
                                f"characters; this one has {len(text)}")
    for d in dec.items:
        if not (0 <= d.char_start <= d.char_end <= len(text)):
            raise DecisionsError(f"a decision's span {d.char_start}-{d.char_end} is outside the "
                                 f"transcript ({len(text)} characters)")


def apply_text(text: str, items: Iterable[Decision]) -> str:
    """``text`` with every decided span replaced (pure)."""
    out, pos = [], 0
    for d in _changes(items, text):
        out.append(text[pos:d.char_start])
        out.append(d.text)
        pos = d.char_end
    out.append(text[pos:])
    return "".join(out)


def _codec(data: bytes, encoding: str) -> tuple[bytes, str]:
    """(the BOM the file starts with, a codec that writes no BOM of its own)."""
    enc = codecs.lookup(encoding).name
    if enc == "utf-8-sig":
        return (codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""), "utf-8"
    if enc in ("utf-16", "utf-32"):
        for bom, c in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                       (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            if data.startswith(bom) and (enc == "utf-32") == ("32" in c):
                return bom, c
    return b"", enc


def encode_like(original: bytes, encoding: str, text: str, new_text: str) -> bytes:
    """``new_text`` in the original's own encoding and BOM.  ``DecisionsMismatch`` (exit 5) for a
    character that encoding cannot hold, or an original that would not come back byte for byte
    (then the untouched parts could not be promised unchanged)."""
    bom, codec = _codec(original, encoding)
    if bom + text.encode(codec) != original:
        raise DecisionsMismatch(f"the transcript does not re-encode byte for byte as {encoding}; "
                                "export the corrected text from the review page (UTF-8) instead")
    try:
        return bom + new_text.encode(codec)
    except UnicodeEncodeError as e:
        bad = new_text[e.start:e.end]
        raise DecisionsMismatch(f"the transcript's encoding ({encoding}) cannot hold {bad!r} "
                                f"(U+{ord(bad[0]):04X}) in a decision; change the decision, or "
                                "convert the transcript to UTF-8 first") from None


# ------------------------------------------------------------------------------------------------
# DECISIONS.json


def sha256_text(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def to_json(dec: Decisions) -> str:
    def ref(r: FlagRef | None):
        return None if r is None else {"kind": r.kind, "char_start": r.char_start, "char_end": r.char_end,
                                       "published": r.published, "heard": r.heard}

    body = {"format": FORMAT, "version": VERSION, "transcript": dec.transcript,
            "transcript_sha256": dec.transcript_sha256, "transcript_chars": dec.transcript_chars,
            "audio_sha256": dec.audio_sha256,
            "decisions": [{"char_start": d.char_start, "char_end": d.char_end, "text": d.text,
                           "action": d.action, "flag": ref(d.flag)} for d in dec.items]}
    return json.dumps(body, ensure_ascii=False, indent=1) + "\n"


def _int(v, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise DecisionsError(f"{what} is not a whole number: {v!r}")
    return v


def from_json(text: str, where: str = "DECISIONS.json") -> Decisions:
    """Parse a decisions file; ``DecisionsError`` (one line) when it is not one podalign wrote."""
    try:
        d = json.loads(text)
    except ValueError as e:
        raise DecisionsError(f"{where} is not JSON ({e})") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise DecisionsError(f"{where} is not a podalign decisions file (no \"format\": \"{FORMAT}\")")
    if d.get("version") != VERSION:
        raise DecisionsError(f"{where} has version {d.get('version')!r}; this podalign reads {VERSION}")
    sha = d.get("transcript_sha256")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise DecisionsError(f"{where} has no transcript_sha256")
    items = []
    raw = d.get("decisions")
    if not isinstance(raw, list):
        raise DecisionsError(f"{where} has no \"decisions\" list")
    for i, x in enumerate(raw):
        what = f"{where}: decision {i + 1}"
        if not isinstance(x, dict) or not isinstance(x.get("text"), str):
            raise DecisionsError(f"{what} has no text")
        if x.get("action") not in ACTIONS:
            raise DecisionsError(f"{what}: unknown action {x.get('action')!r} (one of {', '.join(ACTIONS)})")
        a, b = _int(x.get("char_start"), f"{what}'s char_start"), _int(x.get("char_end"), f"{what}'s char_end")
        if a > b:
            raise DecisionsError(f"{what} ends before it starts ({a}-{b})")
        f = x.get("flag")
        ref = None
        if isinstance(f, dict):
            ref = FlagRef(str(f.get("kind", "")), _int(f.get("char_start"), f"{what}'s flag span"),
                          _int(f.get("char_end"), f"{what}'s flag span"),
                          str(f.get("published") or ""), str(f.get("heard") or ""))
        items.append(Decision(a, b, x["text"], x["action"], ref))
    return Decisions(sha, _int(d.get("transcript_chars"), f"{where}'s transcript_chars"), items,
                     str(d.get("audio_sha256") or ""), str(d.get("transcript") or ""))


# ------------------------------------------------------------------------------------------------
# a later run: hide the flags a person kept


def span_map(dec: Decisions, original_sha: str, text: str):
    """A function from an original offset to an offset of ``text`` when ``text`` is the original
    (sha256 of its bytes) or the original with these decisions applied; ``DecisionsMismatch``
    (exit 5) otherwise.  The original is not at hand here, so a corrected copy is recognised by
    its length and by every decided text standing at its place."""
    changes = sorted((d for d in dec.items if d.action != "keep"), key=lambda d: (d.char_start, d.char_end))

    def shift(pos: int) -> int:
        delta = 0
        for d in changes:
            if d.char_end <= pos:  # an insertion at pos goes before the word starting there
                delta += len(d.text) - (d.char_end - d.char_start)
        return pos + delta

    if original_sha == dec.transcript_sha256:
        return lambda pos: pos
    expected = dec.transcript_chars + sum(len(d.text) - (d.char_end - d.char_start) for d in changes)
    ok = len(text) == expected
    delta = 0
    for d in changes if ok else []:
        p = d.char_start + delta
        if text[p:p + len(d.text)] != d.text:
            ok = False
            break
        delta += len(d.text) - (d.char_end - d.char_start)
    if not ok:
        raise DecisionsMismatch("the decisions were made on another transcript (neither the one "
                                f"with sha256 {dec.transcript_sha256[:12]}… nor its corrected copy)")
    return shift


def kept_spans(dec: Decisions, text: str, mapping) -> set[tuple[str, int, int]]:
    """(kind, start, end) in ``text`` of every flag a person kept, where ``text`` still holds
    the kept words there."""
    out = set()
    for d in dec.items:
        if d.action != "keep" or d.flag is None:
            continue
        a, b = mapping(d.flag.char_start), mapping(d.flag.char_end)
        if d.flag.kind == "insertion" or text[a:b] == d.text:
            out.add((d.flag.kind, a, b))
    return out


# ------------------------------------------------------------------------------------------------
# podalign apply


@dataclass(frozen=True)
class AlignmentFile:
    """What ``apply`` needs of an alignment JSON."""

    transcript_path: str
    transcript_sha256: str
    words: list[tuple[int, int, float | None]]  # spoken words: (char_start, char_end, start)
    flags: list[dict]


def read_alignment(path: str | Path) -> AlignmentFile:
    from .transcript import read_input

    raw = read_input(path, "alignment JSON")
    try:
        d = json.loads(raw.decode("utf-8"))
        words = [(int(w["char_start"]), int(w["char_end"]), w.get("start")) for w in d["words"]]
        flags = list(d["mismatches"])
        tpath = str(d["transcript"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise DecisionsError(f"{path} is not a podalign alignment JSON ({type(e).__name__}: {e})") from None
    sha = d.get("transcript_sha256")
    if not isinstance(sha, str) or not sha:
        raise DecisionsError(f"{path} records no transcript_sha256 (written before schema 3): "
                             "align the episode again")
    return AlignmentFile(tpath, sha, words, flags)


def choices_for(flag: dict, text: str, words) -> FlagChoices:
    return flag_choices(flag["kind"], flag.get("char_start"), flag.get("char_end"), flag.get("start"),
                        flag.get("transcript_text") or "", flag.get("heard_text") or "",
                        flag.get("suggestion"), text, words)


def accept_above(dec: Decisions, al: AlignmentFile, text: str, threshold: float) -> Decisions:
    """``dec`` plus "use heard" (or the suggestion, where there is one) for every flag at or
    above ``threshold`` that no decision answers yet."""
    answered = {(d.flag.kind, d.flag.char_start, d.flag.char_end) for d in dec.items if d.flag}
    items = list(dec.items)
    for f in sorted(al.flags, key=lambda f: -(f.get("confidence") or 0.0)):
        if (f.get("confidence") or 0.0) < threshold:
            continue
        ch = choices_for(f, text, al.words)
        r = ch.ref
        if (r.kind, r.char_start, r.char_end) in answered:
            continue
        pick, action = (ch.suggestion, "suggestion") if ch.suggestion else (ch.heard, "heard")
        cand = Decision(pick.char_start, pick.char_end, pick.text, action, r)
        try:  # a flag overlapping one already decided is left to the person
            _changes(items + [cand], text)
        except DecisionsError:
            continue
        items.append(cand)
        answered.add((r.kind, r.char_start, r.char_end))
    return Decisions(dec.transcript_sha256, dec.transcript_chars, items, dec.audio_sha256, dec.transcript)


@dataclass(frozen=True)
class Applied:
    output: Path
    changed: int  # decisions that changed the text
    kept: int
    encoding: str


def apply_files(alignment_json: str, decisions_json: str | None, output: str | Path,
                threshold: float | None = None, transcript: str | None = None) -> Applied:
    """Write the corrected transcript: the original's bytes with only the decided spans replaced,
    in its own encoding, BOM and line endings, atomically.  Inputs are only read."""
    from .output import write_bytes_atomically
    from .transcript import decode_transcript, read_input

    al = read_alignment(alignment_json)
    tpath = Path(transcript) if transcript else Path(al.transcript_path)
    if transcript is None and not tpath.is_absolute() and not tpath.exists():
        beside = Path(alignment_json).resolve().parent / tpath  # the JSON moved with its inputs
        if beside.exists():
            tpath = beside
    original = read_input(tpath, "transcript")
    sha = sha256_text(original)
    if sha != al.transcript_sha256:
        raise DecisionsMismatch(f"{tpath} is not the transcript {alignment_json} was made from "
                                f"(sha256 {sha[:12]}…, expected {al.transcript_sha256[:12]}…)")
    text, encoding = decode_transcript(original)
    if decisions_json is not None:
        dec = from_json(read_input(decisions_json, "decisions file").decode("utf-8", "replace"),
                        str(decisions_json))
        if dec.transcript_sha256 != sha:
            raise DecisionsMismatch(f"{decisions_json} was made for another transcript (sha256 "
                                    f"{dec.transcript_sha256[:12]}…, {tpath} is {sha[:12]}…)")
        check_spans(dec, text)
    else:
        dec = Decisions(sha, len(text), [], "", tpath.name)
    if threshold is not None:
        dec = accept_above(dec, al, text, threshold)
    changes = _changes(dec.items, text)
    data = encode_like(original, encoding, text, apply_text(text, dec.items))
    out = Path(output)
    if out.resolve() in (tpath.resolve(), Path(alignment_json).resolve()) or (
            decisions_json is not None and out.resolve() == Path(decisions_json).resolve()):
        raise OutputError(f"-o {out} would overwrite an input; inputs are never modified")
    write_bytes_atomically(out, data)
    kept = sum(1 for d in dec.items if d.action == "keep")
    return Applied(out, len(changes), kept, encoding)
