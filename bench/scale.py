"""Scale runs for bench/run.py --scale.

End to end: the real-speech case ``fleurs-fr`` repeated x1, x4, x16 (~27 min): audio decoded with
PyAV (faster_whisper.audio.decode_audio) and concatenated into a 16 kHz mono WAV with the stdlib
``wave`` module, transcript as header once + labelled body repeated, truth shifted likewise so the
accuracy can still be scored.

A true ~3 h episode (``--scale 3h``, an invocation of its own): fleurs-fr x16 (~27 min, the
reference) then x106 (~3.0 h), each ``podalign align`` end to end in its own process: wall, x real
time, peak RSS, and the wall per audio hour of the long run over the reference's.

Stages alone, no recognition: (a) decoding up to ~3 h of audio (monde-numerique x15 as WAV, in a
child process, peak RSS), (b) ``textalign.align_units`` on 1k..30k published units vs a copy with
30 % of its words changed (time; peak Python memory by tracemalloc), (c) ``cues.build_cues`` and
``formats.to_srt``/``to_vtt`` on 1k..30k fake TimedWords.
"""
from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
import wave
from pathlib import Path

from bench.common import (Budget, _f, _rtf, _say, case_files, load_scorer, measure, run_plain,
                          run_podalign, shared_dir)

SR = 16000
E2E_REPEATS = (1, 4, 16)
BASELINE_REPEATS = (1, 4)
DECODE_REPEATS = (1, 4, 15)
LONG_HOURS = 3.0
LONG_REF = 16  # the reference: fleurs-fr x16, ~27 min
WORD_SIZES = (1000, 3000, 10000, 30000)


# ------------------------------------------------------------------------------------------------
# building long inputs


def _pcm16(audio) -> bytes:
    import numpy as np

    return np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2").tobytes()


def write_repeated_wav(src: Path, n: int, dest: Path) -> float:
    """Decode ``src`` once and write it ``n`` times end to end as a 16 kHz mono WAV; return the
    total seconds."""
    from faster_whisper.audio import decode_audio

    pcm = _pcm16(decode_audio(str(src), sampling_rate=SR))
    with wave.open(str(dest), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        for _ in range(n):
            w.writeframes(pcm)
    return n * len(pcm) / 2 / SR


def body_start(text: str, truth: dict) -> int:
    """Where the labelled body starts: the line after the last unspoken header span."""
    ends = [b for _a, b in truth.get("unspoken", []) or []]
    if not ends:
        return 0
    k = text.find("\n", max(ends))
    if k < 0:
        return len(text)
    while k < len(text) and text[k] in "\r\n":
        k += 1
    return k


def repeat_case(case: Path, n: int, dest: Path) -> Path:
    """A valid case: audio x n, header once then the body x n, truth shifted to match."""
    audio, transcript, truth_path = case_files(case)
    with open(transcript, encoding="utf-8", newline="") as f:
        text = f.read()
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    dest.mkdir(parents=True, exist_ok=True)
    total = write_repeated_wav(audio, n, dest / "episode.wav")
    dur = total / n
    b0 = body_start(text, truth)
    body = text[b0:]
    if not body.endswith("\n"):
        body += "\n"
    blen = len(body)
    with open(dest / "transcript.txt", "w", encoding="utf-8", newline="") as f:
        f.write(text[:b0] + body * n)

    def shift_span(span, k):
        if not span:
            return span
        return [x + k * blen if x >= b0 else x for x in span]

    t2 = {k: v for k, v in truth.items() if k not in ("segments", "expected", "words")}
    t2["audio_seconds"] = round(total, 3)
    t2["segments"] = [
        {**s, "start": round(s["start"] + k * dur, 3), "end": round(s["end"] + k * dur, 3), "src": shift_span(s["src"], k)}
        for k in range(n) for s in truth.get("segments", [])]
    t2["expected"] = [
        {**e, "id": f"{e['id']}" + (f"x{k}" if n > 1 else ""), "transcript_span": shift_span(e.get("transcript_span"), k),
         "start": round(e["start"] + k * dur, 3), "end": round(e["end"] + k * dur, 3)}
        for k in range(n) for e in truth.get("expected", [])]
    if truth.get("words"):
        t2["words"] = [{**w, "start": w["start"] + k * dur, "end": w["end"] + k * dur,
                        "src": shift_span(w.get("src"), k)} for k in range(n) for w in truth["words"]]
    with open(dest / "truth.json", "w", encoding="utf-8") as f:
        json.dump(t2, f, ensure_ascii=False)
    return dest


# ------------------------------------------------------------------------------------------------
# (a) decoding


_DECODE_SNIPPET = (
    "import json, sys, time\n"
    "t = time.perf_counter()\n"
    "from aligner.audio import decode\n"
    "t1 = time.perf_counter()\n"
    "a = decode(sys.argv[1])\n"
    "t2 = time.perf_counter()\n"
    "print(json.dumps({'import_s': t1 - t, 'decode_s': t2 - t1, 'seconds': a.size / 16000, "
    "'array_mb': a.nbytes / 2**20}))\n"
)


def _run_decode(path: Path, budget: Budget) -> dict:
    m = measure([sys.executable, "-c", _DECODE_SNIPPET, str(path)], budget.timeout())
    res = {k: m.get(k) for k in ("rc", "wall_s", "rss_mb")}
    try:
        res.update(json.loads(m["stdout"].strip().splitlines()[-1]))
    except (ValueError, IndexError, KeyError):
        res["error"] = m.get("error") or (m.get("stderr") or "").strip()[-300:]
    return res


def stage_decode(budget: Budget, quiet: bool = False) -> dict:
    src, _, _ = case_files(shared_dir() / "episodes" / "monde-numerique")
    out: dict = {"source": f"monde-numerique/{src.name}", "runs": []}
    baseline = measure([sys.executable, "-c", "import aligner.audio, faster_whisper.audio"], budget.timeout())
    out["import_only"] = {"wall_s": baseline.get("wall_s"), "rss_mb": baseline.get("rss_mb")}
    _say(f"[decode] {src.name} as is ...", quiet)
    r = _run_decode(src, budget)
    r.update(label=f"{src.suffix[1:]} x1", repeats=1, format=src.suffix[1:])
    out["runs"].append(r)
    tmp = Path(tempfile.mkdtemp(prefix="podalign-bench-decode-"))
    try:
        for n in DECODE_REPEATS:
            if budget.left() < 300:
                break
            wav = tmp / f"long-x{n}.wav"
            _say(f"[decode] building WAV x{n} ...", quiet)
            write_repeated_wav(src, n, wav)
            size_mb = wav.stat().st_size / 2**20
            r = _run_decode(wav, budget)
            r.update(label=f"wav x{n}", repeats=n, format="wav", file_mb=round(size_mb, 1))
            out["runs"].append(r)
            _say(f"[decode] wav x{n}: {r.get('seconds', 0) / 3600:.2f} h in {r.get('decode_s', 0):.1f} s, "
                 f"{r.get('rss_mb')} MB", quiet)
            wav.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------------------------
# fake text


def vocabulary() -> list[str]:
    """Published words of the shared transcripts, with their natural frequencies."""
    words: list[str] = []
    for p in sorted((shared_dir() / "episodes").glob("*/transcript.txt")):
        words += p.read_text(encoding="utf-8").split()
    for p in sorted((shared_dir() / "transcripts").glob("*.txt")):
        words += p.read_text(encoding="utf-8", errors="replace").split()
    return [w for w in words if any(c.isalnum() for c in w)]


def _misspell(rng: random.Random, w: str) -> str:
    if len(w) < 2:
        return w + "e"
    i = rng.randrange(len(w))
    return w[:i] + rng.choice("aeiourstln") + w[i + 1:]


def noisy_units(P: list[str], rng: random.Random, vocab: list[str], rate: float = 0.3) -> list[str]:
    """A heard version of ``P``: ``rate`` of the words changed (substituted, misspelled, dropped,
    or followed by an inserted word, in equal shares)."""
    H: list[str] = []
    for u in P:
        if rng.random() >= rate:
            H.append(u)
            continue
        k = rng.randrange(4)
        if k == 0:
            H.append(rng.choice(vocab))
        elif k == 1:
            H.append(_misspell(rng, u))
        elif k == 3:
            H += [u, rng.choice(vocab)]
        # k == 2: dropped
    return H


def _units_vocab(words: list[str]) -> list[str]:
    from aligner.normalize import norm_token

    seen: dict[str, str] = {}
    out = []
    for w in words:
        n = seen.get(w)
        if n is None:
            n = seen[w] = norm_token(w, "fr")
        out += n.split()
    return out


# ------------------------------------------------------------------------------------------------
# (b) text alignment


def _best_of(k: int, fn) -> float:
    best = float("inf")
    for _ in range(k):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def stage_textalign(budget: Budget, quiet: bool = False) -> dict:
    """Two series: units drawn at random (most 4-grams unique, like a long talk) and the real
    monde-numerique text in order, repeated past its length (few unique n-grams: the hard case)."""
    from aligner.textalign import align_units

    rng = random.Random(3)
    vocab = _units_vocab(vocabulary())
    real = _units_vocab((shared_dir() / "episodes" / "monde-numerique" / "transcript.txt")
                        .read_text(encoding="utf-8").split())
    out = {"vocabulary_units": len(vocab), "distinct": len(set(vocab)), "real_units": len(real), "runs": []}
    for series in ("random", "real repeated"):
        for n in WORD_SIZES:
            if budget.left() < 120:
                break
            if series == "random":
                P = [rng.choice(vocab) for _ in range(n)]
            else:
                P = (real * (n // len(real) + 1))[:n]
            H = noisy_units(P, rng, vocab)
            pairs = align_units(P, H)
            dt = _best_of(3, lambda: align_units(P, H))
            exact = sum(1 for p in pairs if p.p is not None and p.h is not None and P[p.p] == H[p.h])
            tracemalloc.start()
            align_units(P, H)
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            r = {"series": series, "units": n, "heard": len(H), "seconds": round(dt, 4),
                 "peak_mb": round(peak / 2**20, 2), "pairs": len(pairs), "exact_pairs": exact,
                 "kept_exact": round(exact / sum(1 for a, b in zip(P, H) if a == b) if P else 0, 3)}
            out["runs"].append(r)
            _say(f"[textalign] {series} {n} units: {dt:.3f} s, peak {peak / 2**20:.1f} MB", quiet)
    return out


# ------------------------------------------------------------------------------------------------
# (c) cues and subtitle writing


def fake_timed_words(n: int, rng: random.Random, words: list[str]):
    """``n`` TimedWords in order: ~0.3 s words, pauses at sentence ends, a new speaker every
    ~300 words, commas and full stops as in speech transcripts."""
    from aligner.types import TimedWord, Token

    out, t, pos, spk, line = [], 0.5, 0, "Speaker A", 0
    since_stop = 0
    for i in range(n):
        w = rng.choice(words).strip(".,;:!?")  or "mot"
        since_stop += 1
        end_sentence = since_stop >= 6 and rng.random() < 0.12
        if end_sentence:
            w += "."
            since_stop = 0
        elif rng.random() < 0.08:
            w += ","
        if i and i % 300 == 0:
            spk = "Speaker B" if spk == "Speaker A" else "Speaker A"
            line += 1
        tok = Token(index=i, text=w, char_start=pos, char_end=pos + len(w), norm=w.lower(), speaker=spk,
                    line=line, header=False)
        pos += len(w) + 1
        d = rng.uniform(0.15, 0.45)
        out.append(TimedWord(token=tok, start=round(t, 3), end=round(t + d, 3), confidence=0.9))
        t += d + (rng.uniform(0.3, 0.9) if end_sentence else rng.uniform(0.0, 0.08))
    return out, t + 1.0


def stage_cues(budget: Budget, quiet: bool = False) -> dict:
    from aligner.cues import build_cues
    from aligner.formats import to_srt, to_vtt

    rng = random.Random(5)
    words = vocabulary()
    out = {"runs": []}
    for n in WORD_SIZES:
        if budget.left() < 120:
            break
        tw, dur = fake_timed_words(n, rng, words)
        t = time.perf_counter()
        cues = build_cues(tw, language="fr", duration=dur)
        t_cues = time.perf_counter() - t
        t = time.perf_counter()
        srt_text = to_srt(cues)
        t_srt = time.perf_counter() - t
        t = time.perf_counter()
        vtt_text = to_vtt(cues)
        t_vtt = time.perf_counter() - t
        t = time.perf_counter()
        to_vtt(cues, word_timing=True)
        t_karaoke = time.perf_counter() - t
        tracemalloc.start()
        c2 = build_cues(tw, language="fr", duration=dur)
        _c, peak_cues = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        to_srt(c2)
        to_vtt(c2)
        _c, peak_write = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        r = {"words": n, "audio_hours": round(dur / 3600, 2), "cues": len(cues), "build_cues_s": round(t_cues, 3),
             "to_srt_s": round(t_srt, 3), "to_vtt_s": round(t_vtt, 3), "to_vtt_karaoke_s": round(t_karaoke, 3),
             "srt_kb": round(len(srt_text.encode()) / 1024, 1), "vtt_kb": round(len(vtt_text.encode()) / 1024, 1),
             "peak_build_mb": round(peak_cues / 2**20, 2), "peak_write_mb": round(peak_write / 2**20, 2)}
        out["runs"].append(r)
        _say(f"[cues] {n} words: build {t_cues:.2f} s, srt {t_srt:.2f} s, vtt {t_vtt:.2f} s, "
             f"peak {peak_cues / 2**20:.1f} MB", quiet)
    return out


# ------------------------------------------------------------------------------------------------
# end to end


def e2e(model: str, device: str, compute_type: str, baseline: bool, budget: Budget, quiet: bool = False,
        case: Path | None = None, repeats: tuple[int, ...] = E2E_REPEATS) -> dict:
    case = case or shared_dir() / "episodes" / "fleurs-fr"
    out: dict = {"case": case.name, "runs": []}
    tmp = Path(tempfile.mkdtemp(prefix="podalign-bench-scale-"))
    try:
        for n in repeats:
            if budget.left() < 240:
                out["runs"].append({"repeats": n, "error": "skipped: 45-minute budget"})
                continue
            d = repeat_case(case, n, tmp / f"x{n}")
            audio, transcript, truth_path = case_files(d)
            with open(truth_path, encoding="utf-8") as f:
                truth = json.load(f)
            _say(f"[e2e] {case.name} x{n} ({truth['audio_seconds'] / 60:.1f} min): podalign ...", quiet)
            pa = run_podalign(audio, transcript, model, device, compute_type, budget.timeout())
            o = pa.pop("output", None)
            r = {"repeats": n, "audio_seconds": truth["audio_seconds"], "podalign": pa}
            if o is not None:
                pa["timings"] = o.get("timings", {})
                pa["device"], pa["compute_type"] = o.get("device"), o.get("compute_type")
                s = load_scorer().score(truth, o)  # score.py alone: the per-flag verdicts are not kept
                r["score"] = {k: s.get(k) for k in ("segment_edge_err_median_ms", "segment_edge_err_p90_ms",
                                                     "segments_timed", "recall", "precision", "flags")}
            _say(f"[e2e] x{n}: {pa.get('wall_s')} s, {pa.get('rss_mb')} MB {pa.get('error') or ''}", quiet)
            if baseline and n in BASELINE_REPEATS and budget.left() > 240:
                _say(f"[e2e] x{n}: plain faster-whisper ...", quiet)
                r["plain"] = run_plain(audio, model, device, compute_type, False, budget.timeout())
            out["runs"].append(r)
            shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def long_run(model: str, device: str, compute_type: str, budget: Budget, quiet: bool = False,
             repeats: int | None = None, ref: int | None = None, stored: dict | None = None) -> dict:
    """A true long episode end to end: fleurs-fr x ``ref`` (default 16, ~27 min) then x ``repeats``
    (default: enough for 3 h), each built as ``repeat_case`` builds it and run by ``podalign align``
    alone in its own process.  ``ref=0``: no reference run; the stored e2e run of x16 (``stored``,
    the scale.json of an earlier ``--scale e2e``) is the reference instead, and said so."""
    case = shared_dir() / "episodes" / "fleurs-fr"
    ref = LONG_REF if ref is None else ref
    if repeats is None:
        audio, _, truth_path = case_files(case)
        with open(truth_path, encoding="utf-8") as f:
            dur = json.load(f)["audio_seconds"]
        repeats = int(-(-LONG_HOURS * 3600 // dur))  # ceil: at least 3 h
    out = e2e(model, device, compute_type, False, budget, quiet, case=case,
              repeats=((ref,) if ref else ()) + (repeats,))
    out["long_repeats"], out["ref_repeats"] = repeats, ref
    if not ref:
        for r in ((stored or {}).get("e2e") or {}).get("runs", []):
            if r.get("repeats") == LONG_REF and (r.get("podalign") or {}).get("wall_s"):
                out["ref_stored"] = {**r, "source": "bench/results/scale.json e2e, an earlier invocation"}
    runs = [r for r in out["runs"] if (r.get("podalign") or {}).get("wall_s") and not r["podalign"].get("error")]
    long_r = next((r for r in runs if r["repeats"] == repeats), None)
    ref_r = next((r for r in runs if r["repeats"] == ref), None) if ref else out.get("ref_stored")
    if long_r:
        au, w = long_r["audio_seconds"], long_r["podalign"]["wall_s"]
        out["summary"] = {"audio_hours": round(au / 3600, 3), "wall_s": w, "x_real_time": round(au / w, 2),
                          "rss_mb": long_r["podalign"].get("rss_mb"), "wall_per_audio_hour_s": round(w / (au / 3600), 1)}
        if ref_r:
            rau, rw = ref_r["audio_seconds"], ref_r["podalign"]["wall_s"]
            per_h_ref = rw / (rau / 3600)
            out["summary"].update(ref_repeats=ref_r["repeats"], ref_audio_min=round(rau / 60, 1), ref_wall_s=rw,
                                  ref_wall_per_audio_hour_s=round(per_h_ref, 1),
                                  per_hour_ratio=round((w / (au / 3600)) / per_h_ref, 3))
        _say(f"[3h] {out['summary']}", quiet)
    return out


def run_scale(which: str, model: str, device: str, compute_type: str, baseline: bool,
              budget: Budget | None = None, quiet: bool = False, long_repeats: int | None = None,
              long_ref: int | None = None, stored: dict | None = None) -> dict:
    """``which``: all (stages + e2e), stages, e2e, or 3h (``long_run`` alone, under the key
    ``long``: an invocation of its own)."""
    budget = budget or Budget()
    load_scorer()
    data: dict = {}
    if which in ("all", "stages"):
        data["textalign"] = stage_textalign(budget, quiet)
        data["cues"] = stage_cues(budget, quiet)
        data["decode"] = stage_decode(budget, quiet)
    if which in ("all", "e2e"):
        data["e2e"] = e2e(model, device, compute_type, baseline, budget, quiet)
    if which == "3h":
        data["long"] = long_run(model, device, compute_type, budget, quiet, long_repeats, long_ref, stored)
    return data


# ------------------------------------------------------------------------------------------------
# report


def _growth(xs: list[float], ys: list[float]) -> float | None:
    """Cost per item at the largest size over cost per item at the smallest (1.0 = linear)."""
    if len(xs) < 2 or not ys[0] or not ys[-1]:
        return None
    return (ys[-1] / xs[-1]) / (ys[0] / xs[0])


def _verdict(g: float | None) -> str:
    if g is None:
        return "not enough points"
    if g < 1.5:
        return f"linear (cost per item ×{g:.2f} from the smallest to the largest size)"
    if g < 3:
        return f"slightly worse than linear (cost per item ×{g:.2f})"
    return f"NOT linear (cost per item ×{g:.2f})"


def render_long(lg: dict) -> list[str]:
    """The measured long run (``--scale 3h``) and its reference, with the issue's two bars."""
    L = [f"### A true long episode end to end: {lg.get('case', 'fleurs-fr')} ×{lg.get('long_repeats')} (measured)", "",
         f"`{lg.get('case', 'fleurs-fr')}` decoded and written ×{lg.get('long_repeats')} end to end into one 16 kHz WAV, "
         "transcript = header once + labelled body repeated, truth shifted likewise; `python -m aligner align` "
         "end to end in its own process (`/usr/bin/time -v`), nothing extrapolated. The reference is ×"
         f"{lg.get('ref_repeats') or LONG_REF}"
         + (f" ({lg['summary']['ref_audio_min']:.0f} min)" if (lg.get("summary") or {}).get("ref_audio_min") else "")
         + (" from the same invocation." if lg.get("ref_repeats") else
            f" from an earlier `--scale e2e` invocation ({(lg.get('ref_stored') or {}).get('source', 'none stored')}).")
         + " Bars (issue #13): peak RSS ≤ 1.5 GB, wall per audio hour within 10 % of the reference's.", "",
         "| repeats | audio (h) | wall (s) | ×RT | wall per audio hour (s) | peak RSS (MB) | recognize (s) "
         "| clip-edge err median / p90 (ms) | recall | precision |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    rows = list(lg.get("runs", []))
    if lg.get("ref_stored"):
        rows = [lg["ref_stored"]] + rows
    for r in rows:
        pa = r.get("podalign")
        if not pa:
            L.append(f"| ×{r['repeats']} | {r.get('error', '')} | | | | | | | | |")
            continue
        au, t, s = r["audio_seconds"], pa.get("timings") or {}, r.get("score") or {}
        per_h = pa["wall_s"] / (au / 3600) if pa.get("wall_s") else None
        L.append(f"| ×{r['repeats']}{' (stored)' if r is lg.get('ref_stored') else ''} | {au / 3600:.2f} | "
                 f"{_f(pa.get('wall_s'))} | {_rtf(au, pa.get('wall_s'))} | {_f(per_h, 0)} | {_f(pa.get('rss_mb'), 0)} | "
                 f"{_f(t.get('recognize'))} | {_f(s.get('segment_edge_err_median_ms'))} / "
                 f"{_f(s.get('segment_edge_err_p90_ms'))} | {_f(s.get('recall'), 2)} | {_f(s.get('precision'), 2)} |"
                 + (f" failed: {pa['error']}" if pa.get("error") else ""))
    sm = lg.get("summary")
    if sm:
        L += ["", f"Measured: {sm['audio_hours']:.2f} h of audio in {sm['wall_s'] / 60:.1f} min "
              f"({sm['x_real_time']:.1f}× real time), peak RSS {_f(sm.get('rss_mb'), 0)} MB "
              f"({'within' if (sm.get('rss_mb') or 1e9) <= 1536 else 'OVER'} the 1.5 GB bar); "
              f"{sm['wall_per_audio_hour_s']:.0f} s of wall per audio hour"
              + (f" against {sm['ref_wall_per_audio_hour_s']:.0f} s at ×{sm['ref_repeats']} "
                 f"({sm['ref_audio_min']:.0f} min): ×{sm['per_hour_ratio']:.2f} "
                 f"({'at most ×1.10: within' if sm['per_hour_ratio'] <= 1.10 else 'OVER ×1.10: outside'} the 10 % bar)."
                 if sm.get("per_hour_ratio") else "; no reference run to compare with.")]
    L.append("")
    return L


def render(data: dict) -> list[str]:
    L = ["## Scale", ""]
    if data.get("long"):
        L += render_long(data["long"])
    e = data.get("e2e")
    if e:
        runs = [r for r in e["runs"] if r.get("podalign")]
        L += [f"### End to end: {e['case']} repeated", "",
              f"Real speech (`{e['case']}`) decoded and concatenated "
              f"{', '.join('×%d' % r['repeats'] for r in e['runs'])} into a 16 kHz "
              "WAV; transcript = header once + labelled body repeated; truth shifted likewise. Each run is "
              "`python -m aligner align` in its own process. (The repeated text is a hard case for text "
              "alignment: no n-gram is unique across the repeats.)", "",
              "| repeats | audio (min) | podalign wall (s) | RTF | s per audio min | peak RSS (MB) | recognize (s) "
              "| plan+encode+align (s) | clip-edge err median / p90 (ms) | recall | precision | plain wall (s) "
              "| plain RTF | plain RSS (MB) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in e["runs"]:
            pa = r.get("podalign")
            if not pa:
                L.append(f"| ×{r['repeats']} | {r.get('error', '')} | | | | | | | | | | | | |")
                continue
            t = pa.get("timings") or {}
            au = r["audio_seconds"]
            s = r.get("score") or {}
            pl = r.get("plain") or {}
            pae = sum(t.get(k, 0) for k in ("plan", "encode", "align")) if t else None
            spm = pa["wall_s"] / (au / 60) if pa.get("wall_s") else None
            L.append(f"| ×{r['repeats']} | {au / 60:.1f} | {_f(pa.get('wall_s'))} | {_rtf(au, pa.get('wall_s'))} | "
                     f"{_f(spm, 2)} | {_f(pa.get('rss_mb'), 0)} | {_f(t.get('recognize'))} | {_f(pae)} | "
                     f"{_f(s.get('segment_edge_err_median_ms'))} / {_f(s.get('segment_edge_err_p90_ms'))} | "
                     f"{_f(s.get('recall'), 2)} | {_f(s.get('precision'), 2)} | {_f(pl.get('wall_s'))} | "
                     f"{_rtf(au, pl.get('wall_s'))} | {_f(pl.get('rss_mb'), 0)} |"
                     + (f" failed: {pa['error']}" if pa.get("error") else ""))
        ok = [r for r in runs if r["podalign"].get("wall_s") and not r["podalign"].get("error")]
        if len(ok) >= 2:
            xs = [r["audio_seconds"] for r in ok]
            ws = [r["podalign"]["wall_s"] for r in ok]
            rs = [r["podalign"]["rss_mb"] for r in ok]
            g = _growth(xs, ws)
            slope_mb_per_h = (rs[-1] - rs[-2]) / ((xs[-1] - xs[-2]) / 3600)  # the two longest runs
            rtf = xs[-1] / ws[-1]
            L += ["", f"Observed: wall time is {_verdict(g)} from {xs[0] / 60:.1f} to {xs[-1] / 60:.1f} min; peak RSS "
                  f"grows {rs[-1] - rs[0]:+.0f} MB over that span ({slope_mb_per_h:.0f} MB per audio hour between "
                  "the two longest runs; the "
                  "decoded float32 audio alone is 220 MB per hour).",
                  f"**Extrapolated** (not measured) to 3 h of audio at the ×{ok[-1]['repeats']} rate: about "
                  f"{3 * 3600 / rtf / 60:.0f} min wall and {rs[-1] + slope_mb_per_h * (3 - xs[-1] / 3600):.0f} MB "
                  "peak RSS."]
        L.append("")
    d = data.get("decode")
    if d:
        io = d.get("import_only", {})
        L += ["### Decoding alone (no recognition)", "",
              f"`aligner.audio.decode` in its own process on `{d['source']}` as is, then on WAVs of it repeated "
              f"(built with the `wave` module in a temp folder, deleted after). A process that only imports the "
              f"decoder peaks at {_f(io.get('rss_mb'), 0)} MB.", "",
              "| input | audio (h) | file (MB) | decode (s) | x real time | process wall (s) | peak RSS (MB) "
              "| decoded array (MB) | RSS − imports, per audio hour (MB) |",
              "|---|---|---|---|---|---|---|---|---|"]
        for r in d["runs"]:
            if r.get("error"):
                L.append(f"| {r['label']} | failed: {r['error']} | | | | | | | |")
                continue
            h = r.get("seconds", 0) / 3600
            per_h = (r["rss_mb"] - (io.get("rss_mb") or 0)) / h if h else None
            L.append(f"| {r['label']} | {h:.2f} | {_f(r.get('file_mb'))} | {_f(r.get('decode_s'), 1)} | "
                     f"{r['seconds'] / r['decode_s']:.0f}× | {_f(r.get('wall_s'))} | "
                     f"{_f(r.get('rss_mb'), 0)} | {_f(r.get('array_mb'), 0)} | {_f(per_h, 0)} |")
        wav = [r for r in d["runs"] if r.get("format") == "wav" and not r.get("error")]
        if len(wav) >= 2:
            g = _growth([r["seconds"] for r in wav], [r["decode_s"] for r in wav])
            big = wav[-1]
            bps = (big["rss_mb"] - (io.get("rss_mb") or 0)) * 2**20 / (big["seconds"] * SR)
            L += ["", f"Observed: decoding time is {_verdict(g)}. Peak memory is the audio buffer and grows in "
                  f"proportion to it: {bps:.1f} bytes per sample at the largest size (the float32 result is 4; "
                  "the rest is the preallocation's slack, PyAV's frame buffers and memory the allocator "
                  "keeps after decoding), i.e. about "
                  f"{bps * SR * 3600 / 2**20:.0f} MB per audio hour; nothing else grows."]
        L.append("")
    ta = data.get("textalign")
    if ta and ta.get("runs"):
        L += ["### Text alignment alone", "",
              f"`aligner.textalign.align_units(P, H)`, H = P with 30 % of its words changed (substituted, "
              "misspelled, dropped or followed by an extra word, in equal shares). Series *random*: P drawn at "
              f"random from the shared transcripts' words ({ta['distinct']} distinct units, natural frequencies), "
              "so most 4-grams are unique as in a long talk; *real repeated*: monde-numerique's text in order "
              f"({ta.get('real_units', '?')} units), repeated past its length (repeated n-grams are not unique: "
              "the hard case for anchoring). Time: best of 3, no tracing; peak Python memory from a separate "
              "run under tracemalloc.", "",
              "| series | units | heard units | time (s) | µs per unit | peak memory (MB) | bytes per unit "
              "| exact pairs |",
              "|---|---|---|---|---|---|---|---|"]
        for r in ta["runs"]:
            L.append(f"| {r.get('series', 'random')} | {r['units']:,} | {r['heard']:,} | {r['seconds']:.3f} | "
                     f"{1e6 * r['seconds'] / r['units']:.1f} | {r['peak_mb']:.1f} | "
                     f"{r['peak_mb'] * 2**20 / r['units']:.0f} | {r['exact_pairs']:,} |")
        L.append("")
        for series in dict.fromkeys(r.get("series", "random") for r in ta["runs"]):
            rs = [r for r in ta["runs"] if r.get("series", "random") == series]
            xs = [r["units"] for r in rs]
            g = _growth(xs, [r["seconds"] for r in rs])
            gm = _growth(xs, [r["peak_mb"] for r in rs])
            L.append(f"Observed ({series}): time is {_verdict(g)}; peak memory {rs[-1]['peak_mb']:.1f} MB at "
                     f"{xs[-1]:,} units, per unit ×{_f(gm, 2)} from the smallest to the largest size: linear in "
                     "the text (the pair list it returns), no quadratic table, and small next to the audio "
                     "buffer (~220 MB per audio hour of float32 samples).")
            L.append("")
    c = data.get("cues")
    if c and c.get("runs"):
        L += ["### Cue building and subtitle writing alone", "",
              "`aligner.cues.build_cues` on fake TimedWords (0.15–0.45 s words, pauses at sentence ends, commas, a "
              "new speaker every 300 words), then `formats.to_srt` / `to_vtt` (and `to_vtt(word_timing=True)`).", "",
              "| words | audio (h) | cues | build_cues (s) | to_srt (s) | to_vtt (s) | vtt karaoke (s) | SRT (KB) "
              "| peak build (MB) | peak write (MB) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
        for r in c["runs"]:
            L.append(f"| {r['words']:,} | {r['audio_hours']} | {r['cues']:,} | {r['build_cues_s']:.3f} | {r['to_srt_s']:.3f} | "
                     f"{r['to_vtt_s']:.3f} | {r['to_vtt_karaoke_s']:.3f} | {r['srt_kb']:.0f} | {r['peak_build_mb']:.1f} | "
                     f"{r['peak_write_mb']:.1f} |")
        xs = [r["words"] for r in c["runs"]]
        g = _growth(xs, [r["build_cues_s"] for r in c["runs"]])
        gw = _growth(xs, [r["to_srt_s"] + r["to_vtt_s"] for r in c["runs"]])
        L += ["", f"Observed: cue building is {_verdict(g)}; SRT+VTT writing is {_verdict(gw)}; memory grows with "
              "the cues held (the output itself), nothing quadratic.", ""]
    L += ["What is measured and what is extrapolated: the stage-alone rows above are measured at every size "
          "shown (up to ~3 h of audio and 30,000 words). End-to-end runs are measured up to fleurs-fr ×16"
          + (f" and, in the long run above, ×{data['long'].get('long_repeats')}" if data.get("long") else "")
          + "; anything longer is extrapolated from the largest measured run and marked so."]
    return L
