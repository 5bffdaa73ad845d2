"""Benchmark podalign: accuracy against the truth, speed and memory against stable-ts ``align()``
and plain faster-whisper.

    python bench/run.py [CASE ...] [--repeats 3] [--model base] [--device auto] [--compute-type auto]
                        [--no-stable-ts] [--stable-python PY] [--no-baseline] [--no-fast-baseline]
                        [--quick] [--scale [all|stages|e2e|3h]] [--scale-baseline]
                        [--long-repeats N] [--long-ref N] [--out BENCHMARKS.md]

Cases default to every folder under ``../shared/episodes/`` (a case holds ``episode.*``,
``transcript.txt`` and ``truth.json``); a CASE is a case folder, a folder of cases or a case's
name there (``fleurs-fr``).  Every measured command runs in its own child process under
``/usr/bin/time -v`` (peak RSS = "Maximum resident set size", wall = "Elapsed (wall clock)"; the
whole process: start-up and model load included), one after the other, never two at once.  Each
case runs ``--repeats`` rounds (default 3) of podalign, stable-ts ``align()``, plain
faster-whisper, in that order, alternating; plain faster-whisper with beam 1 + VAD runs in the
first round only.  Each tool's figures are the medians of its rounds.  Accuracy is scored by
``../shared/tools/score.py`` itself (imported by path, not ported) on podalign's first run.

stable-ts runs in its own venv ``bench/.venv-stable`` (``python bench/stable_align.py --setup``),
on the same model folder, device, compute type and thread count as podalign.

Results are kept in ``bench/results/cases.json`` and ``bench/results/scale.json``;
``BENCHMARKS.md`` is regenerated whole from both, so the case run and the ``--scale`` run can be
separate invocations (each fits the 45-minute limit).  ``--scale 3h`` is an invocation of its own:
fleurs-fr x16 (~27 min) then a true ~3 h episode, end to end.

``--quick``: the first case (or the given one), podalign only, one run, no baseline, nothing
written unless ``--out`` is given: a smoke test.  From Python: ``bench.run.smoke(case_dir)``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# What the other bench scripts import from here lives in bench/common.py; re-exported so
# ``from bench.run import ...`` keeps working.
from aligner.normalize import text_language  # noqa: E402
from bench.common import (BUDGET_S, RESULTS, SHARED, TIME_BIN, BenchError, Budget,  # noqa: E402,F401
                          _f, _flag_counts, _last_line, _load_json, _ratio, _rtf, _save_json, _say,
                          case_files, describe_flag, find_cases, flag_verdicts, is_case, load_scorer,
                          machine_info, measure, measure_startup, median_of, model_for_baselines,
                          parse_time_v, print_row, run_plain, run_podalign, run_stable, score_case,
                          scored_run, shared_dir, stable_python, turns_text)


# ------------------------------------------------------------------------------------------------
# running cases


TOOLS = ("podalign", "stable_ts", "plain", "plain_fast")
TOOL_NAMES = {"podalign": "podalign", "stable_ts": "stable-ts align", "plain": "plain faster-whisper",
              "plain_fast": "plain faster-whisper (beam 1, VAD)"}


def bench_case(case: Path, model: str, device: str, compute_type: str, baseline: bool = True,
               fast_baseline: bool = True, budget: Budget | None = None, quiet: bool = False,
               keep: Path | None = None, repeats: int = 1, stable: bool = True,
               stable_py: str | None = None, threads: int | None = None,
               plain_once: bool = False) -> dict:
    """One case: ``repeats`` rounds of podalign, stable-ts align and plain faster-whisper (each
    in its own process, one at a time, alternating), plain beam 1 + VAD in the first round only
    (plain too with ``plain_once``);
    each tool's figures are the medians of its rounds (``common.median_of``).  Accuracy: podalign's
    first successful run, scored by score.py.  ``baseline=False``: podalign only."""
    budget = budget or Budget()
    audio, transcript, truth_path = case_files(case)
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    res: dict = {"case": case.name, "audio": audio.name, "audio_seconds": truth.get("audio_seconds"),
                 "repeats": repeats}
    tools = ["podalign"] + (["stable_ts"] if baseline and stable else []) + (["plain"] if baseline else []) \
        + (["plain_fast"] if baseline and fast_baseline else [])
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    text_file = None
    if "stable_ts" in tools:
        stable_py = stable_python(stable_py)
        model_dir, dev, ct = model_for_baselines(model, device, compute_type)
        fd, text_path = tempfile.mkstemp(prefix="bench-turns-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(turns_text(transcript))
        text_file = Path(text_path)
        # the truth may not say the language (monde-numerique's does not): the text does, as
        # podalign reads it
        lang = truth.get("language") or text_language(turns_text(transcript).split())
        res["stable_ts_input"] = {"model_dir": model_dir, "device": dev, "compute_type": ct,
                                  "cpu_threads": threads or os.cpu_count(), "language": lang,
                                  "python": stable_py}
    try:
        for rnd in range(repeats):
            for tool in tools:
                if (tool == "plain_fast" or (tool == "plain" and plain_once)) and rnd > 0:
                    continue
                prev = [r["wall_s"] for r in runs[tool] if r.get("wall_s")]
                if budget.left() < max(60.0, 1.2 * max(prev, default=0.0)):
                    runs[tool].append({"error": "skipped: the 45-minute budget of this invocation ran out"})
                    continue
                tag = f"[{case.name}] {TOOL_NAMES[tool]}" + (f" (run {rnd + 1}/{repeats})" if repeats > 1 else "")
                _say(f"{tag} ...", quiet)
                if tool == "podalign":
                    r = run_podalign(audio, transcript, model, device, compute_type, budget.timeout(),
                                     keep if rnd == 0 else None)
                    out = r.pop("output", None)
                    if out is not None:
                        r.update(timings=out.get("timings", {}), duration=out.get("duration"),
                                 model=out.get("model"), device=out.get("device"),
                                 compute_type=out.get("compute_type"))
                        if "score" not in res:
                            res["audio_seconds"] = out.get("duration") or res["audio_seconds"]
                            res["score"] = score_case(truth, out)
                elif tool == "stable_ts":
                    si = res["stable_ts_input"]
                    r = run_stable(audio, text_file, si["language"], si["model_dir"], si["device"],
                                   si["compute_type"], si["cpu_threads"], stable_py, budget.timeout())
                else:
                    r = run_plain(audio, model, device, compute_type, tool == "plain_fast", budget.timeout())
                runs[tool].append(r)
                _say(f"{tag}: {r.get('wall_s')} s, {r.get('rss_mb')} MB" + (f"; {r['error']}" if r.get("error") else "")
                     + (f"; recall {res['score'].get('recall')} precision {res['score'].get('precision')}"
                        if tool == "podalign" and rnd == 0 and res.get("score") else ""), quiet)
    finally:
        if text_file is not None:
            text_file.unlink(missing_ok=True)
    for tool in tools:
        res[tool] = median_of(runs[tool])
    au = res.get("audio_seconds")
    wall = {t: res[t].get("wall_s") for t in tools if not res[t].get("error")}
    res["x_real_time"] = {t: round(au / w, 2) for t, w in wall.items() if au and w}
    pa = wall.get("podalign")
    res["ratios"] = {f"podalign/{t}": round(pa / w, 3) for t, w in wall.items() if t != "podalign" and pa and w}
    return res


def smoke(case_dir, model: str = "base", device: str = "auto", compute_type: str = "auto") -> dict:
    """One case, podalign only, in a child process: for a CI smoke test.  Returns ``rc``,
    ``wall_s``, ``rss_mb``, ``timings``, ``error`` (when it failed) and ``score`` (score.py's
    dict plus ``wrong_flags``/``right_flags``).  Asserts nothing about time."""
    case = find_cases([str(case_dir)])[0]
    r = bench_case(case, model, device, compute_type, baseline=False, quiet=True)
    pa = r["podalign"]
    return {"case": r["case"], "audio_seconds": r["audio_seconds"], "rc": pa.get("rc"),
            "wall_s": pa.get("wall_s"), "rss_mb": pa.get("rss_mb"), "timings": pa.get("timings", {}),
            "error": pa.get("error"), "score": r.get("score", {})}


def render_cases(data: dict) -> list[str]:
    L: list[str] = []
    cases = data.get("cases", [])
    a = data.get("args", {})
    L += ["## Accuracy", "",
          f"Scored by `../shared/tools/score.py` (imported, not copied). Model `{a.get('model')}`, "
          f"device `{a.get('device')}`, compute type `{a.get('compute_type')}` as asked; what was used is in "
          "the speed table.", "",
          "| case | words timed | coverage | start err median / p90 (ms) | clip-edge err median / p90 (ms) "
          "| recall | precision | flags | header reported |",
          "|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        s = c.get("score")
        if not s:
            L.append(f"| {c['case']} | failed: {c['podalign'].get('error', '?')} | | | | | | | |")
            continue
        st = f"{_f(s.get('start_err_median_ms'))} / {_f(s.get('start_err_p90_ms'))}" \
            if "start_err_median_ms" in s else "–"
        ce = f"{_f(s.get('segment_edge_err_median_ms'))} / {_f(s.get('segment_edge_err_p90_ms'))}" \
            f" ({s.get('segments_timed')} clips)" if "segment_edge_err_median_ms" in s else "–"
        L.append(f"| {c['case']} | {s.get('timed_words', '–')} | {_f(s.get('coverage'), 4)} | {st} | {ce} | "
                 f"{_f(s.get('recall'), 2)} | {_f(s.get('precision'), 2)} | {s.get('flags')} | "
                 f"{_f(s.get('header_reported'), 2)} |")
    L += ["", "Missed and wrong flags (wrong = a flag of the output that matches no expected difference, "
          "by score.py's own `fits` rule and order; a second flag on an already credited difference is "
          "wrong too):", ""]
    for c in cases:
        s = c.get("score")
        if not s:
            continue
        L.append(f"- **{c['case']}**: missed {len(s.get('missed', []))}"
                 + (": " + "; ".join(f"`{m}`" for m in s["missed"]) if s.get("missed") else "")
                 + f". Wrong {len(s.get('wrong_flags', []))}" + (":" if s.get("wrong_flags") else "."))
        for w in s.get("wrong_flags", [])[:40]:
            L.append(f"  - {w}")
        if len(s.get("wrong_flags", [])) > 40:
            L.append(f"  - … {len(s['wrong_flags']) - 40} more")

    cols = [t for t in TOOLS[1:] if any(c.get(t) for c in cases)]  # the baselines present
    label = {"stable_ts": "stable-ts", "plain": "plain", "plain_fast": "plain fast"}
    reps = sorted({c.get("repeats", 1) for c in cases})
    L += ["", "## Speed", "",
          "Wall time of each command in its own process (`/usr/bin/time -v`): the whole process, start-up "
          "and model load included; one process at a time. "
          + (f"Each figure is the median of {'/'.join(map(str, reps))} runs, the tools alternating "
             "(podalign, stable-ts, plain, podalign, ...)"
             + ("; *plain* ran once (first round, `--plain-once`)"
                if {(c.get("plain") or {}).get("n") for c in cases if c.get("plain")} == {1} else "")
             + ("; *plain fast* ran once (first round). " if "plain_fast" in cols else ". ") if reps != [1] else
             "One run of each tool. ")
          + "×RT = audio seconds / wall seconds (higher is faster); *podalign / x* = podalign wall / that "
          "tool's wall (below 1: podalign is faster)."
          + (" *stable-ts* = stable-ts `load_faster_whisper(model folder, device, compute_type, cpu_threads)"
             ".align(audio, text of the turns, language)`: times the published words and flags nothing."
             if "stable_ts" in cols else "")
          + (" *plain* = `WhisperModel(...).transcribe(audio, word_timestamps=True)` with faster-whisper's "
             "defaults (beam 5, no VAD)." if "plain" in cols else "")
          + (" *plain fast* = the same with `beam_size=1, vad_filter=True`." if "plain_fast" in cols else "")
          + " Every tool gets the same "
          "model folder, device and compute type.", ""]
    head = ["case", "audio (s)", "podalign wall (s)", "podalign ×RT"]
    for t in cols:
        head += [f"{label[t]} wall (s)", f"{label[t]} ×RT", f"podalign / {label[t]}"]
    head += ["used"]
    L += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in cases:
        au = c.get("audio_seconds")
        pa = c.get("podalign", {})
        row = [c["case"], _f(au), _f(pa.get("wall_s")), _rtf(au, pa.get("wall_s"))]
        for t in cols:
            x = c.get(t) or {}
            if x.get("error") or not x:
                row += ["failed: " + x["error"][:60] if x.get("error") else "–", "–", "–"]
            else:
                row += [_f(x.get("wall_s")), _rtf(au, x.get("wall_s")), _ratio(pa.get("wall_s"), x.get("wall_s"))]
        row += [f"{pa.get('device', '?')}/{pa.get('compute_type', '?')}"]
        L.append("| " + " | ".join(row) + " |")
    if any(len(c.get("podalign", {}).get("walls") or []) > 1 for c in cases):
        L += ["", "Every run's wall (s), in the order run:", ""]
        for c in cases:
            parts = [f"{'podalign' if t == 'podalign' else label[t]} "
                     + ", ".join(_f(w) for w in (c[t].get("walls") or [c[t].get("wall_s")]))
                     for t in ("podalign", *cols) if c.get(t)]
            L.append(f"- {c['case']}: " + "; ".join(parts))
    L += ["", "## Memory", "", "Peak resident set size of each process (MB; median of the runs).", "",
          "| case | podalign | " + " | ".join(f"{label[t]} | podalign / {label[t]}" for t in cols) + " |",
          "|---|---|" + "---|---|" * len(cols)]
    for c in cases:
        pa = c.get("podalign", {})
        cells = [c["case"], _f(pa.get("rss_mb"), 0)]
        for t in cols:
            x = c.get(t) or {}
            cells += [_f(x.get("rss_mb"), 0), _ratio(pa.get("rss_mb"), x.get("rss_mb"))]
        L.append("| " + " | ".join(cells) + " |")
    st = data.get("startup", {}) or {}
    L += ["", "## Where podalign's time goes", "",
          "Seconds, from the output JSON's `timings`. *more stages* = any further keys of `timings` "
          "(stages added later), *unaccounted* = `total` minus all stages "
          "(language detection when the transcript gives no hint; reading the transcript counts in *decode*). *startup* = a separate "
          f"process doing only the CLI's imports ({_f(st.get('wall_s'), 2)} s, measured once). "
          "*writing* = wall − `total` − startup: cue building, writing the files, interpreter exit. "
          "podalign's figures are those of its median run; the baselines' load and align/transcribe seconds "
          "are their own clocks in their median run (the rest of their wall is start-up and imports: "
          "torch for stable-ts).", "",
          "| case | wall | decode | load_model | recognize | plan+encode+align | flag | more stages | unaccounted "
          "| startup | writing | stable-ts: load | stable-ts: align | plain: load | plain: transcribe |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        pa = c.get("podalign", {})
        t = pa.get("timings") or {}
        if not t:
            continue
        named = ["decode", "load_model", "recognize", "plan", "encode", "align", "flag"]
        total = t.get("total")
        extra = {k: v for k, v in t.items() if k not in named and k != "total" and isinstance(v, (int, float))}
        other = total - sum(t.get(k, 0) for k in named) - sum(extra.values()) if total is not None else None
        more = ", ".join(f"{k} {v:.1f}" for k, v in extra.items()) or "–"
        startup = st.get("wall_s") or 0.0
        writing = pa["wall_s"] - total - startup if pa.get("wall_s") and total is not None else None
        pae = sum(t.get(k, 0) for k in ("plan", "encode", "align"))
        rep = (c.get("plain") or {}).get("report") or {}
        srep = (c.get("stable_ts") or {}).get("report") or {}
        L.append(f"| {c['case']} | {_f(pa.get('wall_s'))} | {_f(t.get('decode'), 2)} | {_f(t.get('load_model'), 2)} | "
                 f"{_f(t.get('recognize'), 1)} | {pae:.1f} ({_f(t.get('plan'), 1)}+{_f(t.get('encode'), 1)}+"
                 f"{_f(t.get('align'), 1)}) | {_f(t.get('flag'), 2)} | {more} | {_f(other, 2)} | {_f(startup, 2)} | "
                 f"{_f(writing, 2)} | {_f(srep.get('load_s'), 2)} | {_f(srep.get('align_s'), 1)} | "
                 f"{_f(rep.get('load_s'), 2)} | {_f(rep.get('transcribe_s'), 1)} |")
    return L


def render_stress(data: dict) -> list[str]:
    L = _table_section(
        "Robustness (`bench/stress.py`)",
        "fleurs-fr made harder the way real episodes are, its truth moved to match, scored by "
        "`score.py` like any case: `noise-10db` (noise 10 dB under each reader), `opus-16k` "
        "(Opus at 16 kbit/s), `edited` (a clip cut from the audio with its text kept: an omission; "
        "12 s of English speech spliced in: an ad the text never mentions), `music-intro` (12 s of "
        "synthetic music before the first clip), `foreign-intro` (35 s of English speech before the "
        "first clip), `service-notes` (the transcript with a time stamp "
        "before each turn, \"[Musique]\" lines and \"(rires)\" inside turns, as transcription "
        "services export it: nothing of it is said), `editorial` (the audio as is, the text's "
        "four errors put right and sixteen others written in: wrong words, places, names, a "
        "number, words right in meaning but not what was said).",
        ["variant", "wall (s)", "clip edges median / p90 (ms)", "recall", "precision", "flags",
         "missed"])
    for name, row in data.get("variants", {}).items():
        L += _score_rows([name, _f(row.get("wall_s"))], row)
    return L


def _table_section(title: str, intro: str, columns: list[str]) -> list[str]:
    """A report section's title, its one-paragraph introduction and its table's head."""
    return [f"## {title}", "", intro, "", "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns)]


def _score_rows(first: list[str], row: dict, header: bool = False) -> list[str]:
    """A table row: ``first`` cells, then clip edges, recall, precision, (header,) flags and
    what was missed; one more row per wrong flag."""
    s = row.get("score") or {}
    cells = first + [f"{s.get('segment_edge_err_median_ms')} / {s.get('segment_edge_err_p90_ms')}",
                     str(s.get("recall")), str(s.get("precision"))]
    cells += [str(s.get("header_reported"))] if header else []
    cells += [str(s.get("flags")), ", ".join(s.get("missed") or []) or "none"]
    out = ["| " + " | ".join(cells) + " |"]
    for f in s.get("wrong_flags", []):
        out.append("| " + " | ".join([""] * (len(cells) - 2) + [f"wrong: {f}", ""]) + " |")
    return out


def render_synth(data: dict) -> list[str]:
    L = _table_section(
        "Other languages (`bench/synth.py`)",
        "Synthetic episodes (espeak-ng voices, MP3 at 64 kbit/s) built from the specs in "
        "`bench/synth/`: a header that is never said, two speakers, a wrong name, a wrong number, "
        "a wrong word, a sentence cut from the audio, a sentence added to it and an intro or ad "
        "the text never mentions; clip edges are each sentence's speech edges.",
        ["case", "language", "audio (s)", "wall (s)", "clip edges median / p90 (ms)", "recall",
         "precision", "header", "flags", "missed"])
    for name, row in data.get("cases", {}).items():
        L += _score_rows([name, str(row.get("language")), _f(row.get("audio_s")), _f(row.get("wall_s"))],
                         row, header=True)
    return L


def render(cases_data: dict | None, scale_data: dict | None) -> str:
    L = ["# Benchmarks", "",
         "Generated by `bench/run.py` (regenerated whole; do not edit by hand). Raw numbers: "
         "`bench/results/*.json`.", ""]
    for title, data in (("cases", cases_data), ("scale", scale_data)):
        if not data:
            continue
        m = data.get("machine", {})
        L.append(f"- {title}: `{data.get('command')}` on {m.get('date')}: {m.get('cores')} cores, "
                 f"{m.get('cpu')}, {m.get('memory_gb')} GB RAM; CTranslate2 {m.get('ctranslate2')}, "
                 f"faster-whisper {m.get('faster_whisper')}, Python {m.get('python')}.")
    L.append("")
    if cases_data:
        L += render_cases(cases_data)
    if scale_data:
        from bench import scale as scale_mod

        L += [""] + scale_mod.render(scale_data)
    stress = _load_json(RESULTS / "stress.json")
    if stress:
        L += [""] + render_stress(stress)
    synth = _load_json(RESULTS / "synth.json")
    if synth:
        L += [""] + render_synth(synth)
    # sections of their own scripts, each rendered from its stored results when they exist
    for results, module in (("batching.json", "batching"),
                            ("subtitles.json", "subtitles"), ("inputs.json", "inputs"),
                            ("catalogue.json", "catalogue"), ("verdict.json", "fit_verdict")):
        data = _load_json(RESULTS / results)
        if data:
            L += [""] + importlib.import_module(f"bench.{module}").render(data)
    return "\n".join(L) + "\n"


def _is_main_report(out: Path) -> bool:
    return out.resolve() == (REPO / "BENCHMARKS.md").resolve()


def write_report(out: Path, cases_data: dict | None = None, scale_data: dict | None = None) -> None:
    """Regenerate ``out`` from the given results, or the stored ones where not given."""
    cases_data = cases_data if cases_data is not None else _load_json(RESULTS / "cases.json")
    scale_data = scale_data if scale_data is not None else _load_json(RESULTS / "scale.json")
    text = render(cases_data, scale_data)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)


# ------------------------------------------------------------------------------------------------
# command line


def print_case(c: dict) -> None:
    pa = c.get("podalign", {})
    s = c.get("score", {})
    au = c.get("audio_seconds")
    line = f"{c['case']}: podalign {_f(pa.get('wall_s'))} s ({_rtf(au, pa.get('wall_s'))}), {_f(pa.get('rss_mb'), 0)} MB"
    for key in TOOLS[1:]:
        if c.get(key):
            line += f"; {key} {_f(c[key].get('wall_s'))} s ({_rtf(au, c[key].get('wall_s'))}), {_f(c[key].get('rss_mb'), 0)} MB"
    if c.get("repeats", 1) > 1:
        line += f" (medians of {c['repeats']} runs)"
    print(line)
    if c.get("ratios"):
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in c["ratios"].items()))
    for key in TOOLS:
        if (c.get(key) or {}).get("error"):
            print(f"  {key} failed: {c[key]['error']}")
    if s:
        keys = ("timed_words", "coverage", "start_err_median_ms", "start_err_p90_ms", "segment_edge_err_median_ms",
                "segment_edge_err_p90_ms", "recall", "precision", "flags", "header_reported")
        print("  " + ", ".join(f"{k}={s[k]}" for k in keys if k in s))
        if s.get("missed"):
            print("  missed: " + "; ".join(s["missed"]))
        for w in s.get("wrong_flags", [])[:10]:
            print(f"  wrong: {w}")
        if len(s.get("wrong_flags", [])) > 10:
            print(f"  ... {len(s['wrong_flags']) - 10} more wrong flags")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Benchmark podalign against stable-ts align() and plain faster-whisper.")
    ap.add_argument("cases", nargs="*", metavar="CASE",
                    help="case folders, folders of cases or case names under ../shared/episodes "
                         "(default: every case there)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="rounds of the tools per case; each figure is the median (default 3; --quick: 1)")
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compute-type", default="auto")
    ap.add_argument("--quick", action="store_true",
                    help="first (or given) case, podalign only, one run, no baseline; writes only with --out")
    ap.add_argument("--no-baseline", action="store_true", help="podalign only")
    ap.add_argument("--no-stable-ts", action="store_true", help="skip the stable-ts align() column")
    ap.add_argument("--stable-python", default=None,
                    help="interpreter with stable-ts (default: bench/.venv-stable, made by "
                         "'python bench/stable_align.py --setup')")
    ap.add_argument("--no-fast-baseline", action="store_true", help="skip the beam 1 + VAD baseline line")
    ap.add_argument("--plain-once", action="store_true",
                    help="plain faster-whisper in the first round only (10 min a run on monde-numerique "
                         "on 2 cores: three of them make the bench an hour longer)")
    ap.add_argument("--scale", nargs="?", const="all", choices=["all", "stages", "e2e", "3h"],
                    help="scale runs instead of the cases: stages alone (no model), end-to-end fleurs-fr "
                         "x1/x4/x16, all of these, or 3h: fleurs-fr x16 then a true ~3 h episode end to end "
                         "(its own invocation: 15-30 min)")
    ap.add_argument("--scale-baseline", action="store_true",
                    help="with --scale: plain faster-whisper at x1 and x4 too")
    ap.add_argument("--long-repeats", type=int, default=None,
                    help="with --scale 3h: fleurs-fr repeated this many times (default: enough for 3 h, 106)")
    ap.add_argument("--long-ref", type=int, default=None,
                    help="with --scale 3h: the shorter reference run's repeats (default 16, ~27 min; 0: "
                         "compare with the stored e2e x16 run instead)")
    ap.add_argument("--keep", type=Path, default=None, help="keep podalign's outputs under this folder")
    ap.add_argument("--out", type=Path, default=None, help="report file (default BENCHMARKS.md; --quick: none)")
    a = ap.parse_args(argv)
    repeats = a.repeats if a.repeats is not None else (1 if a.quick else 3)
    if repeats < 1:
        ap.error("--repeats must be at least 1")
    cmdline = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    budget = Budget()
    try:
        shared_dir()
        load_scorer()
        if a.scale:
            from bench import scale as scale_mod

            data = scale_mod.run_scale(a.scale, a.model, a.device, a.compute_type, a.scale_baseline, budget,
                                       long_repeats=a.long_repeats, long_ref=a.long_ref,
                                       stored=_load_json(RESULTS / "scale.json"))
            data.update(command=cmdline.strip(), machine=machine_info())
            old = _load_json(RESULTS / "scale.json") or {}
            if a.scale != "all":  # keep the other parts of earlier runs
                for k, v in old.items():
                    data.setdefault(k, v)
            print("\n".join(scale_mod.render(data)))
            out = a.out or REPO / "BENCHMARKS.md"
            if _is_main_report(out):
                _save_json(RESULTS / "scale.json", data)
            write_report(out, scale_data=data)
            print(f"wrote {out}", file=sys.stderr)
            return 0
        cases = find_cases(a.cases)
        if a.quick:
            cases = cases[:1]
        results = []
        startup = measure_startup(budget.timeout())
        for case in cases:
            if budget.left() < 120:
                _say(f"[{case.name}] skipped: the 45-minute budget of this invocation ran out")
                continue
            keep = a.keep / case.name if a.keep else None
            c = bench_case(case, a.model, a.device, a.compute_type, baseline=not (a.quick or a.no_baseline),
                           fast_baseline=not a.no_fast_baseline, budget=budget, keep=keep, repeats=repeats,
                           stable=not a.no_stable_ts, stable_py=a.stable_python,
                           plain_once=a.plain_once)
            results.append(c)
            print_case(c)
        data = {"command": cmdline.strip(), "machine": machine_info(), "startup": startup,
                "args": {"model": a.model, "device": a.device, "compute_type": a.compute_type,
                         "quick": a.quick, "repeats": repeats}, "cases": results}
        ok = all(c["podalign"].get("rc") == 0 for c in results)
        if a.quick and a.out is None:
            return 0 if ok else 1
        out = a.out or REPO / "BENCHMARKS.md"
        if not a.quick and _is_main_report(out):  # a dev run elsewhere leaves the stored results alone
            _save_json(RESULTS / "cases.json", data)
        write_report(out, cases_data=data)
        print(f"wrote {out}", file=sys.stderr)
        return 0 if ok else 1
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
