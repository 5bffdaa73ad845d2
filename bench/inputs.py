"""Inputs as they come: the fleurs-fr episode in the awkward forms files really arrive in (issue #17).

Each form is built in a temporary folder from ``../shared/episodes/fleurs-fr`` and run as a user
would, ``podalign align AUDIO TRANSCRIPT -o OUT --formats json --no-review -q``, one run at a time:

- ``clean``: the episode as given (scored against its truth by ``score.py``: the reference);
- ``mp3-reencode``: the MP3 decoded and encoded again (MP3 64 kbit/s): the control for the
  silence form, which must be re-encoded too;
- ``silence-3min``: 3 minutes of digital silence, then the samples podalign decodes from the episode,
  as FLAC (lossless: the silence is all that differs); ``silence-3min-mp3``: the same as MP3
  64 kbit/s, a re-encoding to compare with the MP3 control;
- ``room-tone-3min``: the same with 3 minutes of quiet pink noise (room tone) instead of silence;
- ``silence-2min-between``, ``silence-2min-after``: 2 minutes of digital silence inserted in the
  pause between two turns nearest the middle, or added after the end; lossless, as above;
- ``cut-short-mp3``: the MP3's first 60 % of bytes, an incomplete download (its header still
  states the whole length); clean-run flags on the audio it lacks are not counted lost;
- ``damaged-mp3``: 4 kB (4096 bytes) of the MP3 file zeroed in the middle of its bytes;
- ``no-line-breaks``: every newline of the transcript turned into a space (same length);
- ``web-page``: the transcript as an HTML page: ``<head><title>`` and a ``<script>``, each line a
  ``<p>`` element, all on one line, characters written as entities (``&amp;``, ``&#39;``, ...);
- ``mojibake``: the transcript's UTF-8 bytes read as cp1252 and written back as UTF-8
  (``text.encode('utf-8').decode('cp1252', errors='replace').encode('utf-8')``);
- ``flac-stereo``, ``aac-m4a``, ``aac-5.1-m4a``: the audio re-encoded (stereo FLAC, AAC in M4A,
  6-channel AAC in M4A), transcript as given.

Each run's flags are compared with the clean run's by (kind, category, transcript text with markup
and whitespace removed), as multisets: a clean-run flag found again is ``same``, a clean-run flag
missing is ``lost``, a flag the clean run does not have is ``extra``.  Recognition is cached per
audio content, so forms with the clean audio reuse its recognition; every new audio pays its own.

    python bench/inputs.py [--case DIR] [--no-save]

Results go to ``bench/results/inputs.json``; ``bench/run.py`` renders them into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import collections
import datetime as _dt
import html
from html.entities import codepoint2name
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from aligner.audio import SAMPLE_RATE, decode  # noqa: E402
from aligner.damage import NEAR_S  # noqa: E402
from bench.run import RESULTS, SHARED, _save_json, load_scorer  # noqa: E402

DEFAULT_CASE = SHARED / "episodes" / "fleurs-fr"
SILENCE_S = 180
ZEROED = 4096
GAP_S = 120
CUT_SHORT = 60  # per cent of the file's bytes kept
RUN_TIMEOUT_S = 600
# The forms that are the same audio encoded another way (no silence added, nothing damaged):
# how often one of them changes a flag is the figure the issue asks for.
REENCODINGS = ("mp3-reencode", "silence-3min-mp3", "flac-stereo", "aac-m4a", "aac-5.1-m4a")
_TAG = re.compile(r"<[^>]*>")


def podalign_bin() -> str:
    here = Path(sys.executable).parent / "podalign"
    return str(here) if here.exists() else (shutil.which("podalign") or "podalign")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def write_flac(samples: np.ndarray, path: Path) -> None:
    """16 kHz mono float samples that are 16-bit values (as decoded from a 16-bit source) as FLAC,
    exactly."""
    ints = np.round(samples * 32768.0)
    if np.abs(ints - samples * 32768.0).max() > 0:
        raise ValueError("samples are not 16-bit values: FLAC would not keep them")
    raw = path.with_suffix(".s16")
    raw.write_bytes(np.clip(ints, -32768, 32767).astype("<i2").tobytes())
    try:
        ffmpeg("-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", "1", "-i", str(raw), "-c:a", "flac", str(path))
    finally:
        raw.unlink()


def sample_rate(audio: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          "stream=sample_rate", "-of", "csv=p=0", str(audio)],
                         capture_output=True, text=True, check=True).stdout.strip()
    return int(out)


# ------------------------------------------------------------------------------------------------
# building the forms


def web_page(text: str) -> str:
    """The transcript as a one-line HTML page; every character that has an entity written as one."""
    def esc(s: str) -> str:
        s = html.escape(s, quote=True).replace("&#x27;", "&#39;")
        return "".join(c if ord(c) < 128 else f"&{codepoint2name[ord(c)]};"
                       if ord(c) in codepoint2name and c not in "’" else f"&#{ord(c)};" for c in s)

    paras = "".join(f"<p>{esc(ln)}</p>" for ln in text.splitlines() if ln.strip())
    return ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">"
            "<title>Dix phrases lues &amp; transcrites</title>"
            "<script>var t = '<p>pas du texte</p>'; if (1 < 2) { console.log(t); }</script>"
            "<style>p { margin: 0 }</style></head><body><article>"
            f"{paras}</article></body></html>")


def build_forms(case: Path, tmp: Path) -> list[tuple[str, Path, Path, str]]:
    """(name, audio, transcript, how it was made) for every form."""
    audio = next(p for p in sorted(case.glob("episode.*")) if p.is_file())
    transcript = case / "transcript.txt"
    text = transcript.read_text(encoding="utf-8")
    sr = sample_rate(audio)
    forms: list[tuple[str, Path, Path, str]] = [("clean", audio, transcript, "the episode as given")]

    def d(name: str) -> Path:
        p = tmp / name
        p.mkdir()
        return p

    p = d("mp3-reencode") / "episode.mp3"
    ffmpeg("-i", str(audio), "-c:a", "libmp3lame", "-b:a", "64k", str(p))
    forms.append(("mp3-reencode", p, transcript, "MP3 decoded and encoded again, 64 kbit/s (control)"))

    # The silence form proper is lossless: after the silence, the very samples podalign decodes
    # from the clean MP3 (its own decoder's, written as 16-bit FLAC: they are 16-bit already), so
    # what it measures is the silence alone.  FFmpeg's command line decodes the MP3 to samples
    # one step apart from PyAV's here and there, and that alone moved a flag.  The same form as
    # MP3 is reported beside the MP3 control (another encoding moves evidence on its own: see
    # REENCODINGS).
    silence = ("-f", "lavfi", "-t", str(SILENCE_S), "-i", f"anullsrc=r={sr}:cl=mono", "-i", str(audio),
               "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1[a]", "-map", "[a]")
    samples = decode(str(audio))
    p = d("silence-3min") / "episode.flac"
    write_flac(np.concatenate([np.zeros(int(SILENCE_S * SAMPLE_RATE), np.float32), samples]), p)
    forms.append(("silence-3min", p, transcript,
                  f"{SILENCE_S} s of silence, then the samples podalign decodes from the episode; "
                  "FLAC (lossless)"))
    # Room tone: the same 3 minutes not digitally silent but a quiet hiss (pink noise, seeded,
    # about -50 dBFS at its peaks: a recording started early in a quiet room), then the same
    # samples; lossless.  Voice activity and recognition see sound there, so this is the
    # non-speech case, not the silence one.
    tone = d("room-tone-3min") / "tone.wav"
    ffmpeg("-f", "lavfi", "-i", f"anoisesrc=d={SILENCE_S}:c=pink:r={SAMPLE_RATE}:a=0.003:s=7",
           "-ac", "1", "-c:a", "pcm_s16le", str(tone))
    p = tone.with_name("episode.flac")
    write_flac(np.concatenate([decode(str(tone)), samples]), p)
    tone.unlink()
    forms.append(("room-tone-3min", p, transcript,
                  f"{SILENCE_S} s of quiet pink noise (peaks about -50 dBFS), then the same samples; "
                  "FLAC (lossless)"))
    p = d("silence-3min-mp3") / "episode.mp3"
    ffmpeg(*silence, "-c:a", "libmp3lame", "-b:a", "64k", str(p))
    forms.append(("silence-3min-mp3", p, transcript,
                  "the same, as MP3 64 kbit/s (compare with the MP3 control)"))

    # Long silences between and after the speech (issue #17: "before, between or after"):
    # lossless, the same samples with 2 minutes of digital silence in the pause between two of
    # the truth's segments nearest the middle of the episode, or after the end.
    segs = json.loads((case / "truth.json").read_text(encoding="utf-8")).get("segments") or []
    pauses = [(a["end"] + b["start"]) / 2 for a, b in zip(segs, segs[1:]) if b["start"] > a["end"]]
    if pauses:
        mid = min(pauses, key=lambda t: abs(t - samples.size / SAMPLE_RATE / 2))
        k = int(round(mid * SAMPLE_RATE))
        p = d("silence-2min-between") / "episode.flac"
        write_flac(np.concatenate([samples[:k], np.zeros(GAP_S * SAMPLE_RATE, np.float32),
                                   samples[k:]]), p)
        forms.append(("silence-2min-between", p, transcript,
                      f"{GAP_S} s of silence inserted at {mid:.2f} s (a pause between turns); FLAC (lossless)"))
    p = d("silence-2min-after") / "episode.flac"
    write_flac(np.concatenate([samples, np.zeros(GAP_S * SAMPLE_RATE, np.float32)]), p)
    forms.append(("silence-2min-after", p, transcript,
                  f"the same samples, then {GAP_S} s of silence; FLAC (lossless)"))

    data = audio.read_bytes()
    p = d("cut-short-mp3") / "episode.mp3"
    p.write_bytes(data[:len(data) * CUT_SHORT // 100])
    forms.append(("cut-short-mp3", p, transcript,
                  f"the MP3's first {CUT_SHORT} % of bytes (an incomplete download); flags of the "
                  "clean run on the audio the file lacks are not counted lost"))

    p = d("damaged-mp3") / "episode.mp3"
    damaged = bytearray(data)
    mid = len(damaged) // 2 - ZEROED // 2
    damaged[mid:mid + ZEROED] = bytes(ZEROED)
    p.write_bytes(bytes(damaged))
    forms.append(("damaged-mp3", p, transcript,
                  f"{ZEROED} bytes zeroed at byte {mid} of {len(data)}"))

    p = d("no-line-breaks") / "transcript.txt"
    p.write_text(text.replace("\r\n", "  ").replace("\n", " "), encoding="utf-8")
    forms.append(("no-line-breaks", audio, p, "every newline a space"))

    p = d("web-page") / "transcript.html"
    p.write_text(web_page(text), encoding="utf-8")
    forms.append(("web-page", audio, p, "one-line HTML page: title, script, style, <p> per line, entities"))

    p = d("mojibake") / "transcript.txt"
    p.write_bytes(text.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8"))
    forms.append(("mojibake", audio, p, "UTF-8 read as cp1252, written back as UTF-8"))

    p = d("flac-stereo") / "episode.flac"
    ffmpeg("-i", str(audio), "-ac", "2", "-c:a", "flac", str(p))
    forms.append(("flac-stereo", p, transcript, "stereo FLAC"))

    p = d("aac-m4a") / "episode.m4a"
    ffmpeg("-i", str(audio), "-c:a", "aac", "-b:a", "96k", str(p))
    forms.append(("aac-m4a", p, transcript, "AAC 96 kbit/s in M4A"))

    p = d("aac-5.1-m4a") / "episode.m4a"
    ffmpeg("-i", str(audio), "-ac", "6", "-channel_layout", "5.1", "-c:a", "aac", "-b:a", "256k", str(p))
    forms.append(("aac-5.1-m4a", p, transcript, "5.1 (6-channel) AAC 256 kbit/s in M4A"))
    return forms


# ------------------------------------------------------------------------------------------------
# running and comparing


def flag_key(f: dict) -> tuple:
    t = html.unescape(_TAG.sub("", f.get("transcript_text") or ""))
    return (f.get("kind"), f.get("category"), "".join(t.split()))


def run_form(audio: Path, transcript: Path, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [podalign_bin(), "align", str(audio), str(transcript), "-o", str(out),
           "--formats", "json", "--no-review", "-q"]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        rc, err = p.returncode, p.stderr.strip()
    except subprocess.TimeoutExpired:
        rc, err = 124, f"timed out after {RUN_TIMEOUT_S} s"
    wall = time.monotonic() - t0
    jsons = sorted(out.glob("*.json"))
    doc = json.loads(jsons[0].read_text(encoding="utf-8")) if jsons and rc == 0 else None
    return {"rc": rc, "wall_s": round(wall, 1), "stderr": err[-400:], "doc": doc}


def summarise(r: dict, clean_flags: list[dict] | None) -> dict:
    doc = r.pop("doc")
    if doc is None:
        return r
    words = doc.get("words", [])
    flags = doc.get("mismatches", [])
    r["words"] = len(words)
    r["words_timed"] = sum(1 for w in words if w.get("start") is not None)
    untimed = collections.Counter(w.get("reason") or "none" for w in words if w.get("start") is None)
    r["untimed_reasons"] = dict(untimed)
    r["flags"] = len(flags)
    r["flag_keys"] = [list(flag_key(f)) for f in flags]
    r["warnings"] = [{k: w.get(k) for k in ("kind", "start", "end", "message")}
                     for w in doc.get("warnings") or []]
    r["duration"] = doc.get("duration")
    if clean_flags is not None:
        # a file cut short cannot give the flags on the audio it lacks (nor those near its end:
        # a word cut by the loss is heard wrong or not at all, as the product counts it)
        lost_from = min((w["start"] for w in r["warnings"] if w["kind"] == "truncated-audio"),
                        default=None)
        ref_flags = [f for f in clean_flags if lost_from is None
                     or (f.get("end") is not None and f["end"] < lost_from - NEAR_S)]
        r["beyond_end"] = len(clean_flags) - len(ref_flags)
        mine = collections.Counter(flag_key(f) for f in flags)
        ref = collections.Counter(flag_key(f) for f in ref_flags)
        r["same"] = sum((mine & ref).values())
        r["lost"] = [list(k) for k in (ref - mine).elements()]
        r["extra"] = [list(k) for k in (mine - ref).elements()]
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", type=Path, default=DEFAULT_CASE)
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args(argv)
    truth = json.loads((a.case / "truth.json").read_text(encoding="utf-8"))
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="podalign-inputs-") as t:
        tmp = Path(t)
        (tmp / "forms").mkdir()
        forms = build_forms(a.case, tmp / "forms")
        clean_flags = None
        for name, audio, transcript, how in forms:
            r = run_form(audio, transcript, tmp / "out" / name)
            doc = r.get("doc")
            if name == "clean":
                if doc is None:
                    print(f"clean run failed: rc {r['rc']}: {r['stderr']}", file=sys.stderr)
                    return 1
                clean_flags = doc.get("mismatches", [])
                sc = load_scorer().score(truth, doc)
                r["score"] = {k: sc.get(k) for k in ("timed_words", "recall", "precision", "flags", "missed")}
            r = summarise(r, clean_flags)
            r["how"] = how
            rows[name] = r
            print(f"{name:15s} rc {r['rc']} timed {r.get('words_timed')}/{r.get('words')} "
                  f"flags {r.get('flags')} same {r.get('same')} lost {len(r.get('lost', []))} "
                  f"extra {len(r.get('extra', []))} warnings {len(r.get('warnings', []))} "
                  f"{r['wall_s']} s", file=sys.stderr, flush=True)
    data = {
        "case": a.case.name,
        "command": "python bench/inputs.py",
        "machine": {"date": _dt.date.today().isoformat(), "cores": os.cpu_count(),
                    "cpu": platform.processor() or platform.machine()},
        "forms": rows,
    }
    if not a.no_save:
        _save_json(RESULTS / "inputs.json", data)
        from bench.run import write_report

        write_report(REPO / "BENCHMARKS.md")
    return 0 if all(r["rc"] == 0 for r in rows.values()) else 1


# ------------------------------------------------------------------------------------------------
# the report section


def _flag_text(k: list) -> str:
    kind, cat, text = k
    return f"{kind}/{cat} “{text[:30]}”" if text else f"{kind}/{cat} (no transcript text)"


def render(data: dict) -> list[str]:
    forms = data["forms"]
    clean = forms.get("clean", {})
    sc = clean.get("score", {})
    L = ["## Inputs as they come (`bench/inputs.py`)", "",
         f"The {data['case']} episode in the forms files really arrive in (issue #17), each built in "
         "a temporary folder and run as `podalign align AUDIO TRANSCRIPT --formats json --no-review "
         f"-q`. The clean run is scored against the truth by `score.py` ({sc.get('flags')}); every other form's flags are compared with the clean run's by "
         "(kind, category, transcript text without markup or whitespace): *same* = clean-run flags "
         "found again (right), *extra* = flags the clean run does not have (wrong), *lost* = "
         "clean-run flags missing. Words timed: published words with a start time, of the words "
         "in the JSON; warnings: the JSON's `warnings` list; wall: the whole command, recognition "
         "included (cached per audio content: forms with the clean audio reuse it, each new audio "
         "pays its own). Re-encodings (the last rows, the silence form as MP3 and the MP3 control) are reported, not barred: "
         "another decoding can move a word's evidence over or under the bar.", "",
         "| form | how | exit | words timed | flags: same / extra / lost | warnings | wall (s) |",
         "|---|---|---|---|---|---|---|"]
    for name, r in forms.items():
        how = (r.get("how") or "").replace("<p>", "`<p>`")
        if r.get("words") is None:
            L.append(f"| {name} | {how} | {r['rc']} | – | – | – | {r['wall_s']:.0f} |")
            continue
        timed = f"{r['words_timed']}/{r['words']}"
        if clean.get("words") is not None and r["words"] != clean["words"]:
            timed += f" (clean run: {clean['words']} words)"
        if r["words_timed"] < r["words"]:
            timed += " (" + ", ".join(f"{k}: {v}" for k, v in r.get("untimed_reasons", {}).items()) + ")"
        if name == "clean":
            fl = f"{r['flags']} flag{'s' if r['flags'] != 1 else ''}; vs truth: {sc.get('flags')}"
        else:
            fl = f"{r['same']} / {len(r['extra'])} / {len(r['lost'])}"
            if r.get("beyond_end"):
                fl += f" ({r['beyond_end']} on the audio the file lacks)"
            notes = [f"+{_flag_text(k)}" for k in r["extra"]] + [f"−{_flag_text(k)}" for k in r["lost"]]
            if notes:
                fl += " (" + "; ".join(notes) + ")"
        ws = r.get("warnings") or []
        wtxt = "; ".join(f"{w.get('kind')}: {w.get('message')}" for w in ws) if ws else "none"
        L.append(f"| {name} | {how} | {r['rc']} | {timed} | {fl.replace('|', '/')} | "
                 f"{wtxt.replace('|', '/')} | {r['wall_s']:.0f} |")
    enc = [n for n in REENCODINGS if forms.get(n, {}).get("words") is not None]
    changed = [n for n in enc if forms[n]["extra"] or forms[n]["lost"]]
    if enc:
        L += ["", f"Re-encodings of the same audio ({', '.join(enc)}): {len(changed)} of {len(enc)} "
              "change a flag" + (f" ({', '.join(changed)})" if changed else "") + "; in all "
              f"{sum(len(forms[n]['extra']) for n in enc)} flag(s) added and "
              f"{sum(len(forms[n]['lost']) for n in enc)} lost against the clean run's "
              f"{clean.get('flags')} each."]
    m = data.get("machine", {})
    L += ["", f"Measured {m.get('date')} on {m.get('cores')} cores, one run at a time."]
    return L


if __name__ == "__main__":
    sys.exit(main())
