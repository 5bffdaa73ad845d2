"""What the bench scripts share: paths, cases, the scorer, measuring one child process, the
commands being timed (podalign, plain faster-whisper, stable-ts ``align``), scoring, machine
facts, the time budget, number formatting and the results files.

``bench/run.py`` and ``bench/scale.py`` both import from here and never from each other
(``run.py`` renders ``scale.py``'s section, so ``run`` -> ``scale`` is the one direction).
"""
from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
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
    """Case folders: each of ``dirs`` is a case folder, a folder of cases or the name of a case
    under ``../shared/episodes``; none: every case there."""
    if not dirs:
        root = shared_dir() / "episodes"
        cases = sorted(p for p in root.iterdir() if is_case(p))
        if not cases:
            raise BenchError(f"no cases under {root}")
        return cases
    out = []
    for s in dirs:
        d = Path(s).resolve()
        if not d.exists() and "/" not in s and is_case(shared_dir() / "episodes" / s):
            d = shared_dir() / "episodes" / s  # a case's name: fleurs-fr
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


# stable-ts align(): the timing-only baseline, in its own venv (bench/stable_align.py --setup)
STABLE_VENV = REPO / "bench" / ".venv-stable"


def stable_python(explicit: str | None = None) -> str | None:
    """The interpreter that has ``stable_whisper``: ``explicit``, else the bench's own venv
    ``bench/.venv-stable``, else this one if it has stable-ts installed; None when none has."""
    if explicit:
        return explicit
    venv = STABLE_VENV / "bin" / "python"
    if venv.exists():
        return str(venv)
    return sys.executable if importlib.util.find_spec("stable_whisper") is not None else None


def turns_text(transcript: Path) -> str:
    """The spoken text of the transcript's turns, as stable-ts is given it: the words podalign
    reads (``aligner.transcript``), header lines, speaker labels and sound notes removed, one line
    per transcript line."""
    from aligner.transcript import read_transcript

    tr = read_transcript(transcript)
    lines: dict[int, list[str]] = {}
    for t in tr.tokens:
        if not t.header:
            said = tr.spoken_text(t).strip()
            if said:
                lines.setdefault(t.line, []).append(said)
    return "\n".join(" ".join(ws) for _li, ws in sorted(lines.items())) + "\n"


def model_for_baselines(model: str, device: str, compute_type: str) -> tuple[str, str, str]:
    """(model folder, device, compute type) that podalign would use: the joined base model folder
    under the cache for ``base``; the baselines are given exactly these."""
    from aligner.model import pick_compute_type, pick_device, resolve

    dev = pick_device(device)
    return resolve(model).path, dev, pick_compute_type(dev, compute_type)


def run_stable(audio: Path, text_file: Path, language: str | None, model_dir: str, device: str,
               compute_type: str, threads: int, python: str | None, timeout: float | None = None) -> dict:
    """bench/stable_align.py in its own process under ``python`` (the stable-ts venv):
    ``stable_whisper.load_faster_whisper(model_dir, ...).align(audio, text, language=...)``."""
    if python is None:
        return {"error": "stable-ts is not installed: python bench/stable_align.py --setup"}
    cmd = [python, str(REPO / "bench" / "stable_align.py"), model_dir, str(audio), str(text_file),
           "--device", device, "--compute-type", compute_type, "--threads", str(threads)]
    if language:
        cmd += ["--language", language]
    m = measure(cmd, timeout)
    res = {k: m.get(k) for k in ("rc", "wall_s", "rss_mb", "user_s", "sys_s")}
    lines = [ln for ln in (m.get("stdout") or "").splitlines() if ln.strip()]
    try:
        res["report"] = json.loads(lines[-1])  # whole: _last_line would cut it at 300 characters
    except (ValueError, IndexError):
        res["error"] = m.get("error") or _last_line(m.get("stderr")) or f"exit {m.get('rc')}"
    if m.get("rc") not in (0, None) and "error" not in res:
        res["error"] = _last_line(m.get("stderr")) or f"exit {m.get('rc')}"
    return res


def median_of(runs: list[dict]) -> dict:
    """One figure per measure over repeated runs of one tool: the median wall, RSS, user and
    system seconds of the runs that succeeded, ``n`` of them, every run's ``walls``; the rest
    (``timings``, ``report``, ``error``) from the run whose wall is the median (lower median on
    an even count).  All failed: the first failure."""
    ok = [r for r in runs if r.get("rc") == 0 and r.get("wall_s") is not None and not r.get("error")]
    if not ok:
        return dict(runs[0]) if runs else {"error": "not run"}
    mid = sorted(ok, key=lambda r: r["wall_s"])[(len(ok) - 1) // 2]
    out = {k: v for k, v in mid.items() if k not in ("wall_s", "rss_mb", "user_s", "sys_s")}
    for k in ("wall_s", "rss_mb", "user_s", "sys_s"):
        xs = [r[k] for r in ok if r.get(k) is not None]
        out[k] = round(statistics.median(xs), 2) if xs else None
    out["n"] = len(ok)
    out["walls"] = [r.get("wall_s") for r in runs]
    out["rss_all"] = [r.get("rss_mb") for r in runs]
    if len(ok) < len(runs):
        out["failed_runs"] = [r.get("error") or f"exit {r.get('rc')}" for r in runs if r not in ok]
    return out


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
# time budget


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


# ------------------------------------------------------------------------------------------------
# results files


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

