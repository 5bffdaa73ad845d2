"""Other languages: synthetic episodes built from a spec, with their truth, scored like any case.

The dev cases are French and English.  podalign is judged on other languages too, so this builds
episodes the way ``monde-numerique`` was built (espeak-ng voices, a published transcript with a
header and speaker labels, and known differences between text and audio), in any language
espeak-ng speaks, from a small JSON spec (``bench/synth/*.json``):

- ``turns``: ``[speaker, text]`` as published; ``header``: lines before the first turn, never said;
- ``edits``: ``substitution`` (``find`` published, ``say`` spoken), ``omission`` (a published
  sentence never said), ``insertion`` (``say`` spoken after the published sentence ``find``);
- ``segments``: speech with no published text (``intro``, ``ad``) before turn ``before_turn``.

Each sentence is synthesised on its own and the pieces joined with pauses, so the truth knows
every sentence's speech edges (``segments`` in truth.json, scored as clip edges) and where each
difference lies.  The audio is written as MP3 at 64 kbit/s, as a feed would carry it.

    python bench/synth.py              # every spec; writes bench/results/synth.json, BENCHMARKS.md
    python bench/synth.py de --keep /tmp/synth   # one spec, keeping the built case folder

Needs the ``espeak-ng`` program (``apt-get install -y espeak-ng``).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aligner.audio import SAMPLE_RATE, decode  # noqa: E402
from bench.run import RESULTS, _save_json, print_row, scored_run, write_report  # noqa: E402
from bench.stress import write_audio  # noqa: E402

SPECS = REPO / "bench" / "synth"
LEAD_S, SENTENCE_PAUSE_S, TURN_PAUSE_S, SEGMENT_PAUSE_S = 1.0, 0.35, 0.8, 1.0
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def speak(text: str, voice: str, rate: int, work: Path) -> np.ndarray:
    """One sentence from espeak-ng at 16 kHz, trimmed to its speech (frames within 40 dB of the
    sentence's loudest, plus 30 ms)."""
    wav = work / "piece.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(wav), text], check=True,
                   capture_output=True)
    x = decode(str(wav))
    hop = SAMPLE_RATE // 100
    n = x.size // hop
    db = 20 * np.log10(np.sqrt((x[:n * hop].reshape(n, hop) ** 2).mean(axis=1)) + 1e-9)
    loud = np.flatnonzero(db > db.max() - 40)
    a = max(0, (loud[0] - 3) * hop)
    b = min(x.size, (loud[-1] + 4) * hop)
    return x[a:b]


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (split after . ! ? …)."""
    out, a = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append((a, m.start()))
        a = m.end()
    if a < len(text.rstrip()):
        out.append((a, len(text.rstrip())))
    return out


def build(spec: dict, work: Path) -> tuple[Path, Path, dict]:
    """Write ``episode.mp3`` and ``transcript.txt`` into ``work``; return them and the truth."""
    lang, rate = spec["language"], spec.get("rate", 160)
    voices = {**spec["voices"], **spec.get("extra_voices", {})}
    sep = " : " if lang == "fr" else ": "
    text = "".join(h + "\n" for h in spec.get("header", [])) + "\n"
    unspoken, turn_spans = [], []
    pos = 0
    for h in spec.get("header", []):
        unspoken.append([pos, pos + len(h)])
        pos += len(h) + 1
    for name, body in spec["turns"]:
        line = f"{name}{sep}"
        turn_spans.append(len(text) + len(line))
        text += line + body + "\n\n"

    def find(s: str) -> tuple[int, int]:
        k = text.find(s)
        if k < 0 or text.find(s, k + 1) >= 0:
            raise SystemExit(f"edit text must occur exactly once in the transcript: {s!r}")
        return k, k + len(s)

    edits = [dict(e, span=find(e["find"])) for e in spec.get("edits", [])]
    pieces: list[np.ndarray] = [np.zeros(int(LEAD_S * SAMPLE_RATE), np.float32)]
    t = LEAD_S
    segments, expected = [], []

    def add(x: np.ndarray, pause: float) -> tuple[float, float]:
        nonlocal t
        a = t
        pieces.append(x)
        pieces.append(np.zeros(int(pause * SAMPLE_RATE), np.float32))
        t += x.size / SAMPLE_RATE + pause
        return round(a, 3), round(a + x.size / SAMPLE_RATE, 3)

    for k, (name, body) in enumerate(spec["turns"]):
        for seg in spec.get("segments", []):
            if seg["before_turn"] == k:
                a, b = add(speak(seg["say"], voices[seg["speaker"]], rate, work), SEGMENT_PAUSE_S)
                expected.append({"id": seg["id"], "kind": "insertion", "category": seg["category"],
                                 "transcript_span": None, "transcript_text": "",
                                 "spoken_text": seg["say"], "start": a, "end": b})
        base = turn_spans[k]
        spans = sentences(body)
        for j, (s0, s1) in enumerate(spans):
            c0, c1 = base + s0, base + s1
            pause = TURN_PAUSE_S if j == len(spans) - 1 else SENTENCE_PAUSE_S
            said = body[s0:s1]
            mine = [e for e in edits if c0 <= e["span"][0] and e["span"][1] <= c1]
            if any(e["kind"] == "omission" for e in mine):
                e = next(e for e in mine if e["kind"] == "omission")
                expected.append({"id": f"e{edits.index(e)}", "kind": "omission", "category": e["category"],
                                 "transcript_span": list(e["span"]), "transcript_text": e["find"],
                                 "spoken_text": "", "start": round(t, 3), "end": round(t, 3)})
                continue
            for e in mine:
                if e["kind"] == "substitution":
                    said = said.replace(e["find"], e["say"])
            ins = [e for e in mine if e["kind"] == "insertion"]
            a, b = add(speak(said, voices[name], rate, work), SENTENCE_PAUSE_S if ins else pause)
            segments.append({"start": a, "end": b, "speaker": name, "src": [c0, c1]})
            for e in mine:
                if e["kind"] == "substitution":
                    expected.append({"id": f"e{edits.index(e)}", "kind": "substitution",
                                     "category": e["category"], "transcript_span": list(e["span"]),
                                     "transcript_text": e["find"], "spoken_text": e["say"],
                                     "start": a, "end": b})
            for e in ins:
                a, b = add(speak(e["say"], voices[name], rate, work), pause)
                expected.append({"id": f"e{edits.index(e)}", "kind": "insertion", "category": e["category"],
                                 "transcript_span": None, "transcript_text": "", "spoken_text": e["say"],
                                 "start": a, "end": b})
    audio = np.concatenate(pieces).astype(np.float32)
    audio *= 0.5 / max(1e-6, float(np.abs(audio).max()))
    ep, tr = work / "episode.mp3", work / "transcript.txt"
    write_audio(ep, audio, "libmp3lame", 64_000)
    tr.write_text(text, encoding="utf-8")
    truth = {"audio_seconds": round(audio.size / SAMPLE_RATE, 3), "language": lang,
             "speakers": list(spec["voices"]), "segments": segments, "expected": expected,
             "unspoken": unspoken}
    (work / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return ep, tr, truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="*", help="spec names in bench/synth (default: all)")
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compute-type", default="auto")
    ap.add_argument("--keep", type=Path, help="keep each built case and podalign's output here")
    args = ap.parse_args(argv)
    if not shutil.which("espeak-ng"):
        print("bench/synth.py needs espeak-ng (apt-get install -y espeak-ng)", file=sys.stderr)
        return 2
    names = args.specs or sorted(p.stem for p in SPECS.glob("*.json"))
    path = RESULTS / "synth.json"
    results = {"command": "python bench/synth.py", "cases": {}}
    if args.specs and path.is_file():  # a partial run updates its cases only
        results = json.loads(path.read_text(encoding="utf-8"))
    for name in names:
        spec = json.loads((SPECS / f"{name}.json").read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory(prefix=f"podalign-synth-{name}-") as tmp:
            work = Path(tmp)
            audio, transcript, truth = build(spec, work)
            keep = args.keep / name if args.keep else None
            row = scored_run(audio, transcript, truth, args.model, args.device, args.compute_type,
                             keep=keep)
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
                for p in (audio, transcript, work / "truth.json"):
                    shutil.copy2(p, keep / p.name)
        row.update(audio_s=truth["audio_seconds"], language=spec["language"])
        results["cases"][name] = row
        print_row(name, row, f"audio={row['audio_s']} s ")
    _save_json(path, results)
    write_report(REPO / "BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
