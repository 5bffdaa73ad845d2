"""Benchmark podalign: accuracy against the truth, speed and memory against plain faster-whisper.

    python bench/run.py [CASE_DIR ...] [--model base] [--device auto] [--compute-type auto]
                        [--no-fast-baseline] [--quick] [--scale [all|stages|e2e]]
                        [--scale-baseline] [--out BENCHMARKS.md]

Cases default to every folder under ``../shared/episodes/`` (a case holds ``episode.*``,
``transcript.txt`` and ``truth.json``).  Every measured command runs in its own child process
under ``/usr/bin/time -v`` (peak RSS = "Maximum resident set size", wall = "Elapsed (wall clock)"),
one after the other, never two at once.  Accuracy is scored by ``../shared/tools/score.py``
itself (imported by path, not ported).

Results are kept in ``bench/results/cases.json`` and ``bench/results/scale.json``;
``BENCHMARKS.md`` is regenerated whole from both, so the case run and the ``--scale`` run can be
separate invocations (each fits the 45-minute limit).

``--quick``: the first case (or the given one), podalign only, no baseline, nothing written unless
``--out`` is given: a smoke test.  From Python: ``bench.run.smoke(case_dir)``.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
RESULTS = REPO / "bench" / "results"
TIME_BIN = "/usr/bin/time"
BUDGET_S = 45 * 60  # no single bench invocation may take longer


class BenchError(Exception):
    """A one-line reason the bench cannot run."""


# ------------------------------------------------------------------------------------------------
# paths, cases, scorer


def shared_dir() -> Path:
    if not (SHARED / "episodes").is_dir() or not (SHARED / "tools" / "score.py").is_file():
        raise BenchError(f"the shared folder is missing: expected {SHARED}/episodes and "
                         f"{SHARED}/tools/score.py next to the repository")
    return SHARED


_SCORER = None


def load_scorer():
    """``../shared/tools/score.py`` as a module (its ``score(truth, out)`` is the reference)."""
    global _SCORER
    if _SCORER is None:
        path = shared_dir() / "tools" / "score.py"
        spec = importlib.util.spec_from_file_location("podalign_shared_score", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _SCORER = mod
    return _SCORER


def is_case(d: Path) -> bool:
    return d.is_dir() and (d / "transcript.txt").is_file() and (d / "truth.json").is_file() \
        and any(d.glob("episode.*"))


def case_files(d: Path) -> tuple[Path, Path, Path]:
    eps = sorted(p for p in d.glob("episode.*") if p.is_file())
    if not eps or not (d / "transcript.txt").is_file() or not (d / "truth.json").is_file():
        raise BenchError(f"{d} is not a case (needs episode.*, transcript.txt, truth.json)")
    return eps[0], d / "transcript.txt", d / "truth.json"


def find_cases(dirs: list[str] | None) -> list[Path]:
    if not dirs:
        root = shared_dir() / "episodes"
        cases = sorted(p for p in root.iterdir() if is_case(p))
        if not cases:
            raise BenchError(f"no cases under {root}")
        return cases
    out = []
    for s in dirs:
        d = Path(s).resolve()
        if is_case(d):
            out.append(d)
        elif d.is_dir() and any(is_case(p) for p in d.iterdir()):
            out += sorted(p for p in d.iterdir() if is_case(p))
        else:
            raise BenchError(f"{s} is not a case folder (needs episode.*, transcript.txt, truth.json)")
    return out


# ------------------------------------------------------------------------------------------------
# measuring one child process


def _parse_elapsed(s: str) -> float:
    parts = [float(x) for x in s.strip().split(":")]
    secs = 0.0
    for p in parts:
        secs = secs * 60 + p
    return secs


def parse_time_v(text: str) -> dict:
    """Wall seconds and peak RSS (MB) from GNU time's ``-v`` report."""
    out: dict = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            out["wall_s"] = round(_parse_elapsed(line.rsplit("): ", 1)[1]), 2)
        elif line.startswith("Maximum resident set size (kbytes):"):
            out["rss_mb"] = round(int(line.rsplit(":", 1)[1]) / 1024, 1)
        elif line.startswith("User time (seconds):"):
            out["user_s"] = float(line.rsplit(":", 1)[1])
        elif line.startswith("System time (seconds):"):
            out["sys_s"] = float(line.rsplit(":", 1)[1])
    return out


def measure(cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
    """Run ``cmd`` alone under ``/usr/bin/time -v``: rc, wall_s, rss_mb, user_s, sys_s, stdout,
    stderr.  Without GNU time, falls back to ``os.wait4`` on that one child."""
    env = {**os.environ, **(env or {})}
    if os.path.exists(TIME_BIN):
        fd, tpath = tempfile.mkstemp(prefix="bench-time-", suffix=".txt")
        os.close(fd)
        try:
            # own session: on timeout the whole group goes (GNU time *and* the measured child)
            p = subprocess.Popen([TIME_BIN, "-v", "-o", tpath, *cmd], cwd=REPO, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            try:
                stdout, stderr = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                stdout, stderr = p.communicate()
                return {"rc": None, "error": f"timed out after {timeout:.0f} s", "stdout": stdout,
                        "stderr": stderr}
            except BaseException:  # Ctrl-C: leave no model job running behind us
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
                raise
            with open(tpath, encoding="utf-8", errors="replace") as f:
                res = parse_time_v(f.read())
        finally:
            os.unlink(tpath)
        res.update(rc=p.returncode, stdout=stdout, stderr=stderr)
        return res
    # fallback: resource usage of exactly this child
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=fo, stderr=fe)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        fo.seek(0)
        fe.seek(0)
        return {"rc": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 2),
                "rss_mb": round(ru.ru_maxrss / 1024, 1), "user_s": ru.ru_utime, "sys_s": ru.ru_stime,
                "stdout": fo.read().decode("utf-8", "replace"), "stderr": fe.read().decode("utf-8", "replace")}


def _last_line(s: str) -> str:
    lines = [ln for ln in (s or "").strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


# ------------------------------------------------------------------------------------------------
# the three commands


def run_podalign(audio: Path, transcript: Path, model: str = "base", device: str = "auto",
                 compute_type: str = "auto", timeout: float | None = None, keep: Path | None = None) -> dict:
    """``python -m aligner align`` in its own process; returns the measurement and its JSON."""
    tmp = Path(tempfile.mkdtemp(prefix="podalign-bench-"))
    try:
        cmd = [sys.executable, "-m", "aligner", "align", str(audio), str(transcript), "-o", str(tmp), "-q",
               "--model", model, "--device", device, "--compute-type", compute_type]
        # every timed run hears the audio itself: a cached recognition would time nothing
        m = measure(cmd, timeout, env={"PODALIGN_NO_CACHE": "1"})
        res = {k: m.get(k) for k in ("rc", "wall_s", "rss_mb", "user_s", "sys_s")}
        out_json = tmp / f"{audio.stem}.json"
        if m.get("rc") == 0 and out_json.is_file():
            with open(out_json, encoding="utf-8") as f:
                res["output"] = json.load(f)
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                for p in tmp.iterdir():
                    shutil.copy2(p, keep / p.name)
        else:
            res["error"] = m.get("error") or _last_line(m.get("stderr")) or f"exit {m.get('rc')}, no JSON"
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_plain(audio: Path, model: str = "base", device: str = "auto", compute_type: str = "auto",
              fast: bool = False, timeout: float | None = None) -> dict:
    """bench/plain_whisper.py in its own process (``fast``: beam 1 + VAD)."""
    cmd = [sys.executable, str(REPO / "bench" / "plain_whisper.py"), str(audio), "--model", model,
           "--device", device, "--compute-type", compute_type]
    if fast:
        cmd += ["--beam-size", "1", "--vad"]
    m = measure(cmd, timeout)
    res = {k: m.get(k) for k in ("rc", "wall_s", "rss_mb", "user_s", "sys_s")}
    try:
        res["report"] = json.loads(_last_line(m.get("stdout")))
    except ValueError:
        res["error"] = m.get("error") or _last_line(m.get("stderr")) or f"exit {m.get('rc')}"
    return res


def measure_startup(timeout: float | None = None) -> dict:
    """Interpreter start + the imports the CLI does before its own clock starts."""
    m = measure([sys.executable, "-c", "import aligner.cli, aligner.pipeline, aligner.output, "
                 "aligner.cues, aligner.formats"], timeout)
    return {k: m.get(k) for k in ("rc", "wall_s", "rss_mb")}


# ------------------------------------------------------------------------------------------------
# scoring


_FLAGS_RE = re.compile(r"(\d+) right, (-?\d+) wrong \((\d+) duplicates\), (\d+) on header")


def _flag_counts(r: dict) -> tuple[int, int, int, int]:
    m = _FLAGS_RE.match(r.get("flags", ""))
    if not m:
        raise BenchError(f"cannot read score.py's flags field: {r.get('flags')!r}")
    return tuple(int(x) for x in m.groups())  # type: ignore[return-value]


def flag_verdicts(truth: dict, out: dict) -> list[str]:
    """For each output flag, in order: "right", "duplicate", "wrong" or "header" -- score.py's own
    verdicts, read by scoring growing prefixes of the flag list (its loop is greedy, in order, so a
    flag's verdict never changes once it is seen)."""
    scorer = load_scorer()
    lean = {k: v for k, v in truth.items() if k not in ("words", "segments")}
    flags = out.get("mismatches", []) or []
    unspoken = out.get("unspoken", []) or []
    verdicts, prev = [], (0, 0, 0, 0)
    for i in range(len(flags)):
        cur = _flag_counts(scorer.score(lean, {"mismatches": flags[:i + 1], "unspoken": unspoken}))
        right, _wrong, dup, header = (c - p for c, p in zip(cur, prev))
        verdicts.append("right" if right else "header" if header else "duplicate" if dup else "wrong")
        prev = cur
    return verdicts


def _clock(t) -> str:
    if t is None:
        return "--:--"
    t = float(t)
    return f"{int(t // 60)}:{t % 60:04.1f}"


def describe_flag(f: dict) -> str:
    pub = (f.get("transcript_text") or "∅").replace("\n", " ").replace("|", "/")[:40]
    heard = (f.get("heard_text") or "∅").replace("\n", " ").replace("|", "/")[:40]
    return f"{_clock(f.get('start'))} {f.get('kind')}/{f.get('category')} «{pub}» → «{heard}»"


def scored_run(audio: Path, transcript: Path, truth: dict, model: str, device: str,
               compute_type: str, keep: Path | None = None) -> dict:
    """``run_podalign`` then ``score_case``: one row of a stress or synth table."""
    r = run_podalign(audio, transcript, model, device, compute_type, keep=keep)
    row = {k: r.get(k) for k in ("rc", "wall_s", "rss_mb", "error")}
    if "output" in r:
        row["score"] = score_case(truth, r["output"])
    return row


def print_row(name: str, row: dict, extra: str = "") -> None:
    s = row.get("score", {})
    print(f"{name}: rc={row['rc']} wall={row['wall_s']} s {extra}recall={s.get('recall')} "
          f"precision={s.get('precision')} edges={s.get('segment_edge_err_median_ms')}/"
          f"{s.get('segment_edge_err_p90_ms')} ms header={s.get('header_reported')} "
          f"flags: {s.get('flags')} missed: {s.get('missed')}", flush=True)
    for f in s.get("wrong_flags", []):
        print(f"    wrong: {f}")


def score_case(truth: dict, out: dict) -> dict:
    scorer = load_scorer()
    res = scorer.score(truth, out)
    flags = out.get("mismatches", []) or []
    verdicts = flag_verdicts(truth, out)
    res["wrong_flags"] = [describe_flag(f) + (" (second flag on one difference)" if v == "duplicate" else "")
                          for f, v in zip(flags, verdicts) if v in ("wrong", "duplicate")]
    res["right_flags"] = [describe_flag(f) for f, v in zip(flags, verdicts) if v == "right"]
    return res


# ------------------------------------------------------------------------------------------------
# machine


def machine_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def ver(pkg):
        try:
            return version(pkg)
        except PackageNotFoundError:
            return None

    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_gb = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        mem_gb = None
    return {
        "cores": os.cpu_count(), "cpu": cpu or platform.processor() or None, "memory_gb": mem_gb,
        "ctranslate2": ver("ctranslate2"), "faster_whisper": ver("faster-whisper"),
        "python": platform.python_version(), "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# ------------------------------------------------------------------------------------------------
# running cases


class Budget:
    def __init__(self, seconds: float = BUDGET_S):
        self.t0 = time.monotonic()
        self.seconds = seconds

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.t0)

    def timeout(self) -> float:
        return max(1.0, self.left())


def _say(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def bench_case(case: Path, model: str, device: str, compute_type: str, baseline: bool = True,
               fast_baseline: bool = True, budget: Budget | None = None, quiet: bool = False,
               keep: Path | None = None) -> dict:
    budget = budget or Budget()
    audio, transcript, truth_path = case_files(case)
    with open(truth_path, encoding="utf-8") as f:
        truth = json.load(f)
    res: dict = {"case": case.name, "audio": audio.name, "audio_seconds": truth.get("audio_seconds")}
    _say(f"[{case.name}] podalign ...", quiet)
    pa = run_podalign(audio, transcript, model, device, compute_type, budget.timeout(), keep)
    out = pa.pop("output", None)
    res["podalign"] = pa
    if out is not None:
        pa.update(timings=out.get("timings", {}), duration=out.get("duration"), model=out.get("model"),
                  device=out.get("device"), compute_type=out.get("compute_type"))
        res["audio_seconds"] = out.get("duration") or res["audio_seconds"]
        res["score"] = score_case(truth, out)
        _say(f"[{case.name}] podalign {pa['wall_s']} s, {pa['rss_mb']} MB; "
             f"recall {res['score'].get('recall')} precision {res['score'].get('precision')}", quiet)
    else:
        _say(f"[{case.name}] podalign failed: {pa.get('error')}", quiet)
    runs = ([("plain", False)] if baseline else []) + ([("plain_fast", True)] if baseline and fast_baseline else [])
    for key, fast in runs:
        if budget.left() < 60:
            res[key] = {"error": "skipped: the 45-minute budget of this invocation ran out"}
            continue
        _say(f"[{case.name}] plain faster-whisper{' (beam 1, VAD)' if fast else ''} ...", quiet)
        res[key] = run_plain(audio, model, device, compute_type, fast, budget.timeout())
        _say(f"[{case.name}] {key} {res[key].get('wall_s')} s, {res[key].get('rss_mb')} MB", quiet)
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


# ------------------------------------------------------------------------------------------------
# report


def _f(x, nd=1, suffix="") -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}{suffix}"
    return f"{x}{suffix}"


def _ratio(a, b, nd=2) -> str:
    return f"{a / b:.{nd}f}" if a and b else "–"


def _rtf(audio_s, wall_s) -> str:
    return f"{audio_s / wall_s:.1f}×" if audio_s and wall_s else "–"


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

    fast_any = any(c.get("plain_fast") for c in cases)
    L += ["", "## Speed", "",
          "Wall time of each command in its own process (`/usr/bin/time -v`), one at a time. "
          "Real-time factor = audio seconds / wall seconds (higher is faster). *plain* = "
          "`WhisperModel(...).transcribe(audio, word_timestamps=True)` with faster-whisper's defaults "
          "(beam 5, no VAD), same model folder, device and compute type"
          + ("; *plain fast* = the same with `beam_size=1, vad_filter=True`." if fast_any else "."), "",
          "| case | audio (s) | podalign wall (s) | podalign RTF | plain wall (s) | plain RTF | podalign / plain"
          + (" | plain fast wall (s) | plain fast RTF | podalign / plain fast" if fast_any else "") + " | used |",
          "|---|---|---|---|---|---|---" + ("|---|---|---" if fast_any else "") + "|---|"]
    for c in cases:
        au = c.get("audio_seconds")
        pa, pl, pf = c.get("podalign", {}), c.get("plain") or {}, c.get("plain_fast") or {}
        row = (f"| {c['case']} | {_f(au)} | {_f(pa.get('wall_s'))} | {_rtf(au, pa.get('wall_s'))} | "
               f"{_f(pl.get('wall_s')) if not pl.get('error') else 'failed'} | {_rtf(au, pl.get('wall_s'))} | "
               f"{_ratio(pa.get('wall_s'), pl.get('wall_s'))}")
        if fast_any:
            row += (f" | {_f(pf.get('wall_s')) if not pf.get('error') else 'failed'} | "
                    f"{_rtf(au, pf.get('wall_s'))} | {_ratio(pa.get('wall_s'), pf.get('wall_s'))}")
        row += f" | {pa.get('device', '?')}/{pa.get('compute_type', '?')} |"
        L.append(row)
    L += ["", "## Memory", "", "Peak resident set size of each process (MB).", "",
          "| case | podalign | plain | podalign / plain" + (" | plain fast" if fast_any else "") + " |",
          "|---|---|---|---" + ("|---" if fast_any else "") + "|"]
    for c in cases:
        pa, pl, pf = c.get("podalign", {}), c.get("plain") or {}, c.get("plain_fast") or {}
        L.append(f"| {c['case']} | {_f(pa.get('rss_mb'), 0)} | {_f(pl.get('rss_mb'), 0)} | "
                 f"{_ratio(pa.get('rss_mb'), pl.get('rss_mb'))}"
                 + (f" | {_f(pf.get('rss_mb'), 0)}" if fast_any else "") + " |")
    st = data.get("startup", {}) or {}
    L += ["", "## Where podalign's time goes", "",
          "Seconds, from the output JSON's `timings`. *more stages* = any further keys of `timings` "
          "(stages added later), *unaccounted* = `total` minus all stages "
          "(language detection when the transcript gives no hint; reading the transcript counts in *decode*). *startup* = a separate "
          f"process doing only the CLI's imports ({_f(st.get('wall_s'), 2)} s, measured once). "
          "*writing* = wall − `total` − startup: cue building, writing the files, interpreter exit.", "",
          "| case | wall | decode | load_model | recognize | plan+encode+align | flag | more stages | unaccounted "
          "| startup | writing | plain: load | plain: transcribe |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
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
        L.append(f"| {c['case']} | {_f(pa.get('wall_s'))} | {_f(t.get('decode'), 2)} | {_f(t.get('load_model'), 2)} | "
                 f"{_f(t.get('recognize'), 1)} | {pae:.1f} ({_f(t.get('plan'), 1)}+{_f(t.get('encode'), 1)}+"
                 f"{_f(t.get('align'), 1)}) | {_f(t.get('flag'), 2)} | {more} | {_f(other, 2)} | {_f(startup, 2)} | "
                 f"{_f(writing, 2)} | {_f(rep.get('load_s'), 2)} | {_f(rep.get('transcribe_s'), 1)} |")
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
    for results, module in (("subtitles.json", "subtitles"), ("inputs.json", "inputs"),
                            ("catalogue.json", "catalogue"), ("verdict.json", "fit_verdict")):
        data = _load_json(RESULTS / results)
        if data:
            L += [""] + importlib.import_module(f"bench.{module}").render(data)
    return "\n".join(L) + "\n"


def _load_json(p: Path) -> dict | None:
    try:
        with open(p, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _save_json(p: Path, data: dict) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(tmp, p)


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
    for key in ("plain", "plain_fast"):
        if c.get(key):
            line += f"; {key} {_f(c[key].get('wall_s'))} s ({_rtf(au, c[key].get('wall_s'))}), {_f(c[key].get('rss_mb'), 0)} MB"
    print(line)
    if pa.get("error"):
        print(f"  podalign failed: {pa['error']}")
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
    ap = argparse.ArgumentParser(description="Benchmark podalign against plain faster-whisper.")
    ap.add_argument("cases", nargs="*", metavar="CASE_DIR", help="default: every case under ../shared/episodes")
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compute-type", default="auto")
    ap.add_argument("--quick", action="store_true",
                    help="first (or given) case, podalign only, no baseline; writes only with --out")
    ap.add_argument("--no-baseline", action="store_true", help="podalign only")
    ap.add_argument("--no-fast-baseline", action="store_true", help="skip the beam 1 + VAD baseline line")
    ap.add_argument("--scale", nargs="?", const="all", choices=["all", "stages", "e2e"],
                    help="scale runs instead of the cases: stages alone (no model), end-to-end fleurs-fr "
                         "x1/x4/x16, or all")
    ap.add_argument("--scale-baseline", action="store_true",
                    help="with --scale: plain faster-whisper at x1 and x4 too")
    ap.add_argument("--keep", type=Path, default=None, help="keep podalign's outputs under this folder")
    ap.add_argument("--out", type=Path, default=None, help="report file (default BENCHMARKS.md; --quick: none)")
    a = ap.parse_args(argv)
    cmdline = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    budget = Budget()
    try:
        shared_dir()
        load_scorer()
        if a.scale:
            from bench import scale as scale_mod

            data = scale_mod.run_scale(a.scale, a.model, a.device, a.compute_type, a.scale_baseline, budget)
            data.update(command=cmdline.strip(), machine=machine_info())
            old = _load_json(RESULTS / "scale.json") or {}
            if a.scale != "all":  # keep the other half of an earlier run
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
                           fast_baseline=not a.no_fast_baseline, budget=budget, keep=keep)
            results.append(c)
            print_case(c)
        data = {"command": cmdline.strip(), "machine": machine_info(), "startup": startup,
                "args": {"model": a.model, "device": a.device, "compute_type": a.compute_type,
                         "quick": a.quick}, "cases": results}
        if a.quick and a.out is None:
            return 0 if all(c["podalign"].get("rc") == 0 for c in results) else 1
        out = a.out or REPO / "BENCHMARKS.md"
        if not a.quick and _is_main_report(out):  # a dev run elsewhere leaves the stored results alone
            _save_json(RESULTS / "cases.json", data)
        write_report(out, cases_data=data)
        print(f"wrote {out}", file=sys.stderr)
        return 0 if all(c["podalign"].get("rc") == 0 for c in results) else 1
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
