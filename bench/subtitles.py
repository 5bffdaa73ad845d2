"""Subtitle table: how the written SRT and WebVTT read, measured on the text the viewer sees.

    python bench/subtitles.py [CASE_DIR ...] [--outputs DIR] [--no-save]

For every case (default: every folder under ``../shared/episodes/``) it reads podalign's alignment
JSON (``DIR/<case>/<stem>.json``, written by ``podalign align ... -o DIR/<case>``), builds the cues
again from its timed words with the current ``aligner.cues`` (seconds, no recognition), renders
them with ``aligner.formats`` as the CLI does and measures the rendered SRT and VTT *text*, parsed
back: SRT with its ``Name: `` prefix, VTT without its ``<v>`` voice tags.  ``--as-written`` measures
the .srt/.vtt files found next to the JSON instead.

Columns (per format): cues; hard-rule breaches (overlap, two speakers in a cue, more than 2
lines, a line over 42 characters holding several words); cues under 1 s and over 7 s; cues over
20 characters/s and over the speaker's ceiling max(20, 1.25 x the speaker's own rate: the
characters of their timed words, spaces included, over the sum of those words' durations); the
share at <= 17 characters/s; sentence ends left inside a line where a cue break was possible
(the words before it would have made a cue of >= 1 s under the ceiling, the words after it one
of >= 1 s or could have joined the next cue).

Results go to ``bench/results/subtitles.json``; ``bench/run.py`` renders them into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import srt

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DEFAULT_OUTPUTS = Path("/tmp/subs")

MAX_CHARS, MAX_LINES, MIN_S, MAX_S, TARGET_CPS, FLOOR_CPS, RATE_FACTOR = 42, 2, 1.0, 7.0, 17.0, 20.0, 1.25
LONG_SILENCE = 1.5  # as aligner.cues: a silence that always ends a cue
_SENTENCE_END = re.compile(r"[.?!…]+[\"'»”’)\]]*$")
_TAG = re.compile(r"<[^>]*>")


@dataclass
class Shown:
    """One cue as the viewer sees it."""

    start: float
    end: float
    lines: list[str]

    @property
    def chars(self) -> int:
        return sum(len(ln) for ln in self.lines)

    @property
    def cps(self) -> float:
        d = self.end - self.start
        return self.chars / d if d > 0 else float("inf")


@dataclass
class Row:
    """The table row of one case in one format."""

    cues: int
    hard: int
    under_1s: int
    over_7s: int
    over_20cps: int
    over_ceiling: int
    share_17: float
    sentence_inside: int
    worst_over: str  # the cue furthest over its ceiling, for the reader of the table


# ------------------------------------------------------------------------------------------------
# parsing what was written


def parse_srt(text: str) -> list[Shown]:
    return [Shown(s.start.total_seconds(), s.end.total_seconds(), s.content.split("\n"))
            for s in srt.parse(text)]


def _vtt_time(s: str) -> float:
    h, m, rest = s.strip().split(":")
    return int(h) * 3600 + int(m) * 60 + float(rest)


def parse_vtt(text: str) -> list[Shown]:
    """WebVTT cues with voice tags and karaoke stamps removed, entities decoded."""
    out = []
    for block in re.split(r"\n\s*\n", text.replace("\r", "")):
        lines = block.strip("\n").split("\n")
        k = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if k is None:
            continue
        a, b = lines[k].split("-->")
        body = [html.unescape(_TAG.sub("", ln)) for ln in lines[k + 1:]]
        out.append(Shown(_vtt_time(a), _vtt_time(b.split()[0]), body))
    return out


# ------------------------------------------------------------------------------------------------
# measuring


def speaker_ceilings(words: list[dict]) -> dict:
    """Speaker -> max(20, 1.25 x their own rate over their timed words)."""
    from aligner.nonspeech import shown_text

    chars: dict = {}
    secs: dict = {}
    for w in words:
        if w.get("start") is None or w.get("end") is None:
            continue
        t = shown_text(w["text"])
        if not t:
            continue
        s = w.get("speaker")
        chars[s] = chars.get(s, 0) + len(t) + 1
        secs[s] = secs.get(s, 0.0) + max(0.0, w["end"] - w["start"])
    return {s: max(FLOOR_CPS, RATE_FACTOR * (chars[s] - 1) / secs[s]) if secs[s] > 0 else FLOOR_CPS
            for s in chars}


def _cue_words(shown: list[Shown], speakers: list, words: list[dict], prefixed: bool) -> list[list[dict]]:
    """The published words each cue shows, found by its text in the words' sequence (cue times may
    differ from the words' where the aligner squashed them; text order cannot).  ``prefixed``: SRT,
    whose turns' first cues open with ``Name: ``."""
    from aligner.nonspeech import shown_text

    seq = ""
    owner: list[int] = []
    for k, w in enumerate(words):
        t = "".join(shown_text(w["text"]).split())
        seq += t
        owner += [k] * len(t)
    out: list[list[dict]] = []
    pos = 0
    prev: object = object()
    for c, spk in zip(shown, speakers):
        text = " ".join(c.lines)
        if prefixed and spk and spk != prev and text.startswith(f"{spk}: "):
            text = text[len(spk) + 2:]
        prev = spk
        t = "".join(text.split())
        at = seq.find(t, pos) if t else -1
        if at < 0:
            out.append([])
            continue
        ks = sorted({owner[i] for i in range(at, at + len(t))})
        out.append([words[i] for i in ks])
        pos = at + len(t)
    return out


def _sentence_ends_inside(c: Shown, cw: list[dict], ceiling: float, joinable: bool) -> int:
    """Sentence ends followed by more words on the same line, where a cue break was possible: the
    words before it would have made a cue of >= 1 s (shown until the next word starts) under the
    ceiling, and the words after it one of >= 1 s, or could have joined the next cue
    (``joinable``: the same speaker follows without a long silence)."""
    from aligner.nonspeech import shown_text

    cw = [w for w in cw if w.get("start") is not None]
    n = 0
    body = " ".join(c.lines)
    pos = 0
    used = 0
    for li, ln in enumerate(c.lines):
        toks = ln.split()
        for ti, tok in enumerate(toks[:-1]):
            if not _SENTENCE_END.search(tok) or toks[ti + 1] in ("?", "!", ":", ";", "»"):
                continue
            # the timed word that ends here: the next one (in order) whose text the token ends with
            bare = tok.rstrip("\"'»”’)]")
            hit = next((j for j in range(used, len(cw) - 1)
                        if bare.endswith(shown_text(cw[j]["text"]).rstrip("\"'»”’)]") or "\0")), None)
            if hit is None:
                continue
            used = hit + 1
            cut = body.find(tok + " " + toks[ti + 1], pos) + len(tok)
            pos = cut
            a_chars = cut - li  # the joins between lines are not shown characters (the SRT prefix is)
            a_dur = cw[hit + 1]["start"] - c.start
            b_dur = c.end - cw[hit + 1]["start"]
            if a_dur >= MIN_S and a_chars / a_dur <= ceiling and (joinable or b_dur >= MIN_S):
                n += 1
    return n


def measure(shown: list[Shown], speakers: list, words: list[dict], prefixed: bool) -> Row:
    """``speakers``: each cue's speaker (the cues' own, same order as ``shown``); ``prefixed``: SRT
    with its speaker prefix."""
    ceil = speaker_ceilings(words)
    cw = _cue_words(shown, speakers, words, prefixed)
    hard = sum(1 for ws in cw if not ws)  # a cue whose text is not the published words in order
    for a, b in zip(shown, shown[1:]):
        hard += b.start < a.end - 1e-9
    for c, ws, spk in zip(shown, cw, speakers):
        hard += len({w.get("speaker") for w in ws} | {spk}) > 1
        hard += len(c.lines) > MAX_LINES
        hard += sum(1 for ln in c.lines if len(ln) > MAX_CHARS and len(ln.split()) > 1)
    n = len(shown)
    cps = [c.cps for c in shown]
    ceilings = [ceil.get(s, FLOOR_CPS) for s in speakers]
    over = [k for k in range(n) if cps[k] > ceilings[k] + 1e-6]
    worst = max(range(n), key=lambda k: cps[k] / ceilings[k], default=None)
    return Row(
        cues=n, hard=hard,
        under_1s=sum(1 for c in shown if c.end - c.start < MIN_S - 1e-6),
        over_7s=sum(1 for c in shown if c.end - c.start > MAX_S + 1e-6),
        over_20cps=sum(1 for v in cps if v > FLOOR_CPS + 1e-6),
        over_ceiling=len(over),
        share_17=round(sum(1 for v in cps if v <= TARGET_CPS + 1e-6) / n, 3) if n else 1.0,
        sentence_inside=sum(_sentence_ends_inside(shown[k], cw[k], ceilings[k], k + 1 < n and speakers[k + 1] == speakers[k]
                                                  and shown[k + 1].start - shown[k].end < LONG_SILENCE)
                            for k in range(n)),
        worst_over="" if worst is None else
        f"{cps[worst]:.1f} cps / ceiling {ceilings[worst]:.1f}: {' / '.join(shown[worst].lines)}",
    )


# ------------------------------------------------------------------------------------------------
# cases


def words_from_json(data: dict):
    """The alignment JSON's words as ``TimedWord``s (what ``build_cues`` takes)."""
    from aligner.types import TimedWord, Token

    out = []
    for k, w in enumerate(data["words"]):
        tok = Token(k, w["text"], w["char_start"], w["char_end"], "", w.get("speaker"), 0, False)
        out.append(TimedWord(tok, w.get("start"), w.get("end"), w.get("confidence") or 0.0,
                             reason=w.get("reason")))
    return out


def case_rows(json_path: Path, as_written: bool = False) -> dict:
    from aligner import formats
    from aligner.cues import build_cues

    data = json.loads(json_path.read_text(encoding="utf-8"))
    if as_written:
        srt_text = json_path.with_suffix(".srt").read_text(encoding="utf-8")
        vtt_text = json_path.with_suffix(".vtt").read_text(encoding="utf-8")
        speakers = [c["speaker"] for c in data["cues"]]
    else:
        cues = build_cues(words_from_json(data), language=data.get("language"), duration=data.get("duration"))
        srt_text, vtt_text = formats.to_srt(cues), formats.to_vtt(cues)
        speakers = [c.speaker for c in cues]
    srt_cues, vtt_cues = parse_srt(srt_text), parse_vtt(vtt_text)
    assert len(srt_cues) == len(vtt_cues) == len(speakers), json_path
    return {"srt": asdict(measure(srt_cues, speakers, data["words"], True)),
            "vtt": asdict(measure(vtt_cues, speakers, data["words"], False)),
            "audio_s": data.get("duration")}


def passes(row: dict) -> bool:
    """The issue's bar: no hard breach; at most 3 % of cues (at least one) over the ceiling and at
    most 3 % outside 1-7 s."""
    allowed = max(1, int(0.03 * row["cues"]))
    return row["hard"] == 0 and row["over_ceiling"] <= allowed and row["under_1s"] + row["over_7s"] <= allowed


# ------------------------------------------------------------------------------------------------
# report


COLUMNS = ["case", "format", "cues", "hard breaches", "< 1 s", "> 7 s", "> 20 cps", "> ceiling",
           "<= 17 cps", "sentence ends inside a line", "bar"]


def render(data: dict) -> list[str]:
    L = ["## Subtitles (`bench/subtitles.py`)", "",
         "Measured on the text the viewer sees: SRT with its `Name: ` prefix (on each turn's first "
         "cue), WebVTT without its `<v>` voice tags; the cues are built from each case's alignment "
         "(`podalign align`, default options) by the current `aligner.cues`. Hard breaches: overlap, "
         "two speakers in a cue, more than 2 lines, a line of several words over 42 characters. "
         "Ceiling: max(20, 1.25 × the speaker's own rate, the characters of their timed words, "
         "spaces included, over the sum of those words' durations). Sentence ends inside a line: "
         "where a cue break was possible (the words before it would have made a cue of at least 1 s "
         "under the ceiling, the words after it one of at least 1 s or could have joined the next). "
         "Bar: no hard breach, at most 3 % of cues (at least one) over the ceiling and at most 3 % "
         "outside 1–7 s.", "",
         "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for name, c in data.get("cases", {}).items():
        for fmt in ("srt", "vtt"):
            r = c[fmt]
            L.append("| " + " | ".join([
                name, fmt.upper(), str(r["cues"]), str(r["hard"]), str(r["under_1s"]), str(r["over_7s"]),
                str(r["over_20cps"]), str(r["over_ceiling"]), f"{r['share_17'] * 100:.0f} %",
                str(r["sentence_inside"]), "met" if passes(r) else "not met"]) + " |")
    worst = [(n, c["srt"]["worst_over"]) for n, c in data.get("cases", {}).items() if c["srt"]["worst_over"]]
    if worst:
        L += ["", "Fastest SRT cue for its ceiling, per case: " +
              "; ".join(f"{n}: {w}" for n, w in worst) + "."]
    return L


def main(argv: list[str] | None = None) -> int:
    from bench.run import _save_json, find_cases

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*", metavar="CASE_DIR")
    ap.add_argument("--outputs", type=Path, default=DEFAULT_OUTPUTS,
                    help="folder holding <case>/episode.json from `podalign align -o`")
    ap.add_argument("--as-written", action="store_true", help="measure the written .srt/.vtt files")
    ap.add_argument("--no-save", action="store_true", help="print only; leave bench/results alone")
    a = ap.parse_args(argv)
    data: dict = {"command": "python bench/subtitles.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  "cases": {}}
    for case in find_cases(a.cases):
        found = sorted((a.outputs / case.name).glob("*.json"))
        found = [p for p in found if not p.name.endswith(".podcast.json")]
        if not found:
            print(f"[{case.name}] no alignment JSON under {a.outputs / case.name}: run podalign align first",
                  file=sys.stderr)
            continue
        data["cases"][case.name] = case_rows(found[0], a.as_written)
    print("\n".join(render(data)))
    if not a.no_save and data["cases"]:
        _save_json(RESULTS / "subtitles.json", data)
    return 0 if all(passes(c[f]) for c in data["cases"].values() for f in ("srt", "vtt")) else 1


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
