"""Render cues, words and mismatches as text in each output format (pure functions -> str).

SRT is composed with the ``srt`` library; VTT, JSON, CSV and plain text by hand (the tests read
them back with independent parsers).
"""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta
from typing import Iterable, Sequence

import srt

from .nonspeech import shown_text
from .types import Alignment, Cue, Mismatch, TimedWord

# The JSON's layout: 2 added ``schema_version`` and ``warnings`` (1: the files written before);
# 3 added ``transcript_sha256`` (what ``podalign apply`` checks the transcript against).
SCHEMA_VERSION = 3

# --------------------------------------------------------------------------------------------
# helpers


def _r(x: float | None, nd: int = 3) -> float | None:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, nd)


def _rounded(obj):
    """Round every float in a JSON-like structure to 3 decimals (NaN/inf -> None)."""
    if isinstance(obj, bool) or obj is None:
        return obj
    if isinstance(obj, float):
        return _r(obj)
    if isinstance(obj, dict):
        return {str(k): _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    if isinstance(obj, (int, str)):
        return obj
    return str(obj)


def _ms(t: float) -> int:
    return max(0, int(round(float(t) * 1000)))


def vtt_time(t: float) -> str:
    ms = _ms(t)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def clock(t: float | None) -> str:
    """HH:MM:SS (whole seconds) for plain text and reports."""
    if t is None:
        return "--:--:--"
    s = int(float(t))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean_cue_text(text: str) -> str:
    """Cue text without blank lines (a blank line ends an SRT/VTT cue)."""
    lines = [" ".join(ln.split()) for ln in text.replace("\r", "").split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------------------------
# SRT / VTT


def to_srt(cues: Sequence[Cue], speaker_prefix: bool = True) -> str:
    """SubRip.  ``Name: `` opens the first cue of each speaker's turn unless ``speaker_prefix`` is
    False."""
    subs = []
    prev: object = object()
    for k, c in enumerate(cues, 1):
        text = _clean_cue_text(c.text) or "…"
        if speaker_prefix and c.speaker and c.speaker != prev:
            text = f"{c.speaker}: {text}"
        prev = c.speaker
        start = timedelta(milliseconds=_ms(c.start))
        end = timedelta(milliseconds=max(_ms(c.end), _ms(c.start) + 1))
        subs.append(srt.Subtitle(index=k, start=start, end=end, content=text))
    return srt.compose(subs, reindex=False)


def _karaoke(c: Cue) -> str | None:
    """The cue text with ``<hh:mm:ss.mmm>`` before each timed word after the first, or None when
    the cue's words cannot be matched to its text."""
    text = _clean_cue_text(c.text)
    words = [w for w in c.words if w.reason != "unspoken"]
    if not words:
        return None
    out: list[str] = []
    pos = 0
    first_timed = True
    last_ms = _ms(c.start)
    end_ms = _ms(c.end)
    for w in words:
        t = shown_text(w.token.text)
        if not t:
            continue
        if text.startswith(t, pos):
            piece = t
        else:
            return None
        if w.timed and not first_timed:
            ms = _ms(w.start)
            if last_ms < ms < end_ms:
                out.append(f"<{vtt_time(ms / 1000)}>")
                last_ms = ms
        if w.timed:
            first_timed = False
        out.append(_vtt_escape(piece))
        pos += len(piece)
        if pos < len(text) and text[pos] in " \n":
            out.append(text[pos])
            pos += 1
    if pos != len(text):
        return None
    return "".join(out)


def to_vtt(cues: Sequence[Cue], word_timing: bool = False) -> str:
    """WebVTT with ``<v Name>`` voice tags; ``word_timing`` adds karaoke timestamps."""
    out = ["WEBVTT", ""]
    for k, c in enumerate(cues, 1):
        body = None
        if word_timing:
            body = _karaoke(c)
        if body is None:
            body = _vtt_escape(_clean_cue_text(c.text)) or "…"
        if c.speaker:
            name = _vtt_escape(_one_line(c.speaker))
            body = f"<v {name}>{body}</v>"
        start_ms = _ms(c.start)
        end_ms = max(_ms(c.end), start_ms + 1)
        out.append(str(k))
        out.append(f"{vtt_time(start_ms / 1000)} --> {vtt_time(end_ms / 1000)}")
        out.append(body)
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Podcasting 2.0 JSON, plain text


def _is_cues(items: Sequence) -> bool:
    return bool(items) and isinstance(items[0], Cue)


def to_podcast_json(items: Sequence[Cue] | Sequence[TimedWord], per: str = "cue") -> str:
    """Podcasting 2.0 transcript JSON (``application/json``): one segment per cue or per word."""
    if per not in ("cue", "word"):
        raise ValueError(f"per must be 'cue' or 'word', not {per!r}")
    items = list(items)
    segments = []
    if _is_cues(items) and per == "cue":
        for c in items:
            seg = {}
            if c.speaker:
                seg["speaker"] = c.speaker
            seg.update(startTime=_r(c.start), endTime=_r(c.end), body=_one_line(c.text))
            segments.append(seg)
    else:
        if _is_cues(items):
            words = [w for c in items for w in c.words]
        else:
            words = items
        if per == "cue":
            from .cues import build_cues

            return to_podcast_json(build_cues(list(words)), per="cue")
        for w in words:
            if not w.timed or w.reason == "unspoken":
                continue
            seg = {}
            if w.token.speaker:
                seg["speaker"] = w.token.speaker
            end = w.end if w.end is not None else w.start
            seg.update(startTime=_r(w.start), endTime=_r(end), body=shown_text(w.token.text))
            segments.append(seg)
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=2) + "\n"


def to_txt(items: Sequence[Cue] | Sequence[TimedWord]) -> str:
    """Plain text, one paragraph per speaker turn: ``[HH:MM:SS] Name: text``."""
    items = list(items)
    turns: list[tuple[str | None, float | None, list[str]]] = []
    prev: object = object()
    if _is_cues(items):
        for c in items:
            if c.speaker != prev or not turns:
                turns.append((c.speaker, c.start, []))
                prev = c.speaker
            turns[-1][2].append(_one_line(c.text))
    else:
        for w in items:
            if w.reason == "unspoken":
                continue
            spk = w.token.speaker
            if spk != prev or not turns:
                turns.append((spk, None, []))
                prev = spk
            if turns[-1][1] is None and w.timed:
                turns[-1] = (spk, w.start, turns[-1][2])
            t = shown_text(w.token.text)
            if t:
                turns[-1][2].append(t)
    paras = []
    for spk, start, texts in turns:
        if not texts:
            continue
        head = f"[{clock(start)}] " + (f"{spk}: " if spk else "")
        paras.append(head + " ".join(texts))
    return "\n\n".join(paras) + ("\n" if paras else "")


# --------------------------------------------------------------------------------------------
# full JSON, CSV


def _in_spans(a: int, b: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s <= a and b <= e for s, e in spans)


def spoken_words(alignment: Alignment) -> list[TimedWord]:
    """Every published word except the unspoken ones (headers etc.)."""
    spans = list(alignment.unspoken or [])
    return [w for w in alignment.words
            if w.reason != "unspoken" and not _in_spans(w.token.char_start, w.token.char_end, spans)]


def mismatch_dict(m: Mismatch) -> dict:
    return {
        "kind": m.kind,
        "category": m.category,
        "start": _r(m.start),
        "end": _r(m.end),
        "char_start": m.char_start,
        "char_end": m.char_end,
        "transcript_text": m.transcript_text,
        "heard_text": m.heard_text,
        "confidence": _r(m.confidence),
        "context": m.context,
        "suggestion": m.suggestion,
        "evidence": m.evidence or {},  # what the verdict weighed (its features, for refitting)
    }


def summary(alignment: Alignment) -> dict:
    words = spoken_words(alignment)
    untimed: dict[str, int] = {}
    for w in words:
        if not w.timed:
            untimed[w.reason or "unaligned"] = untimed.get(w.reason or "unaligned", 0) + 1
    by_kind: dict[str, int] = {}
    by_cat: dict[str, int] = {}
    for m in alignment.mismatches:
        by_kind[m.kind] = by_kind.get(m.kind, 0) + 1
        by_cat[m.category] = by_cat.get(m.category, 0) + 1
    return {
        "words": len(words),
        "timed_words": sum(1 for w in words if w.timed),
        "untimed_words": sum(1 for w in words if not w.timed),
        "untimed_by_reason": untimed,
        "mismatches": len(alignment.mismatches),
        "mismatches_by_kind": by_kind,
        "mismatches_by_category": by_cat,
        "cues": len(alignment.cues),
        "unspoken_spans": len(alignment.unspoken or []),
        "speakers": list(alignment.transcript.speakers) if alignment.transcript else [],
    }


def alignment_dict(alignment: Alignment) -> dict:
    tr = alignment.transcript
    shown = tr.shown if tr else (lambda a, b: "")  # a web page's text without its markup
    words = []
    for w in spoken_words(alignment):
        d = {
            "text": shown(w.token.char_start, w.token.char_end) if tr else w.token.text,
            "start": w.start,
            "end": w.end,
            "char_start": w.token.char_start,
            "char_end": w.token.char_end,
            "speaker": w.token.speaker,
            "confidence": w.confidence,
        }
        if w.reason is not None or not w.timed:
            d["reason"] = w.reason or "unaligned"
        words.append(d)
    data = {
        "schema_version": SCHEMA_VERSION,
        "audio": str(alignment.audio_path),
        "transcript": str(alignment.transcript_path),
        "transcript_sha256": alignment.transcript_sha256 or None,
        "language": alignment.language,
        "duration": alignment.duration,
        "model": alignment.model,
        "device": alignment.device,
        "compute_type": alignment.compute_type,
        "matched_fraction": alignment.matched_fraction,
        "timings": dict(alignment.timings or {}),
        "warnings": [{"kind": w.kind, "start": w.start, "end": w.end, "message": w.message}
                     for w in alignment.warnings],
        "summary": summary(alignment),
        "words": words,
        "cues": [{"start": c.start, "end": c.end, "speaker": c.speaker, "text": c.text} for c in alignment.cues],
        "mismatches": [mismatch_dict(m) for m in alignment.mismatches],
        "unspoken": [{"char_start": a, "char_end": b, "text": shown(a, b)} for a, b in (alignment.unspoken or [])],
        "heard": [{"text": h.text, "start": h.start, "end": h.end, "probability": h.probability}
                  for h in alignment.heard],
    }
    return _rounded(data)


def to_json(alignment: Alignment) -> str:
    """The full result as JSON (schema in the README; floats to 3 decimals)."""
    return json.dumps(alignment_dict(alignment), ensure_ascii=False, indent=1, allow_nan=False) + "\n"


CSV_COLUMNS = ["start", "end", "kind", "category", "published", "heard", "confidence", "context",
               "suggestion"]


def _csv_num(x: float | None) -> str:
    v = _r(x)
    return "" if v is None else f"{v:.3f}"


def to_csv(mismatches: Sequence[Mismatch]) -> str:
    """One row per mismatch; ``start``/``end`` in seconds (3 decimals), empty when unknown."""
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(CSV_COLUMNS)
    for m in mismatches:
        wr.writerow([
            _csv_num(m.start), _csv_num(m.end), m.kind, m.category,
            _one_line(m.transcript_text), _one_line(m.heard_text), _csv_num(m.confidence), _one_line(m.context),
            _one_line(m.suggestion or ""),
        ])
    return buf.getvalue()
