"""``podalign batch``: a catalogue of episodes, each written to ``OUTDIR/<id>/`` exactly as
``podalign align`` writes it, resumable, on local worker processes or on a Ray cluster.

The driver (this process) is the only one that writes the state file and the catalogue; workers
only align and write their episode's own folder (atomically, see ``output``).  ``run_job`` is the
one episode runner both local workers and Ray tasks call, so the two modes write the same files.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import batch_state as state
from .catalogue import Row, merge_flags, render_html, write_atomic
from .episode import Settings, check_outdir
from .errors import EPISODES_FAILED, OutputError, PodalignError
from .manifest import Catalogue, Episode

# Memory a local worker is given when choosing how many fit: the base model's process peaks at
# ~0.4 GB and grows ~0.9 GB per audio hour (BENCHMARKS.md, "Memory" and the scale run), so
# 1.5 GB covers an hour-long episode.
WORKER_MEMORY_GB = 1.5
# Threads per Ray task on CPU: one episode per core is the cheapest parallelism for a catalogue
# (no synchronisation inside an episode), and a core's share of a node's memory (commonly
# >= 2 GB) holds one base-model worker.
RAY_THREADS = 1


@dataclass(frozen=True)
class Job:
    """One episode to run, with everything a worker needs: plain values (it is pickled)."""

    id: str
    audio: str
    transcript: str
    outdir: str  # OUTDIR/<id>, absolute
    name: str  # the files' name: the audio's stem, as ``align`` names them
    settings: Settings  # the batch's options with the episode's language and names applied

    def inputs(self) -> dict[str, str | None]:
        return {"audio": self.audio, "transcript": self.transcript,
                "names": self.settings.names_file}


@dataclass(frozen=True)
class Outcome:
    id: str
    status: str  # "done" | "failed"
    exit_code: int
    message: str
    inputs: dict
    summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BatchOptions:
    workers: int | None = None  # local workers; None: as many as cores and memory allow
    threads: int | None = None  # threads per episode; None: cores / workers (Ray: RAY_THREADS)
    ray: str | None = None  # None: local; "local", "auto" or a cluster address
    gpus_per_task: float | None = None  # Ray with --device cuda; None: 1
    retry_failed: bool = False
    quiet: bool = False


@dataclass
class BatchResult:
    ran: int
    skipped: int
    done: int
    failed: int
    pending: int
    seconds: float

    @property
    def exit_code(self) -> int:
        return EPISODES_FAILED if self.failed else 0


def job_for(ep: Episode, outdir: Path, settings: Settings) -> Job:
    s = replace(settings, language=ep.language or settings.language,
                names_file=ep.names or settings.names_file)
    return Job(ep.id, ep.audio, ep.transcript, str((outdir / ep.id).resolve()), Path(ep.audio).stem, s)


# ------------------------------------------------------------------------------ one episode

_LOADED: dict = {}  # per process: the model of the last (model, device, compute type, threads)


def _model(settings: Settings, threads: int):
    from . import model as model_mod

    key = (settings.model, settings.device, settings.compute_type, threads)
    if key not in _LOADED:
        _LOADED.clear()  # one model per worker: a second one would double its memory
        _LOADED[key] = model_mod.load(settings.model, settings.device, settings.compute_type,
                                      threads)
    return _LOADED[key]


def _summary(result, written: list[Path], settings: Settings) -> dict:
    kinds: dict[str, int] = {}
    for m in result.mismatches:
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
    names = [p.name for p in written]
    return {"duration": round(result.duration, 3), "words": len(result.words),
            "timed": sum(1 for w in result.words if w.timed), "flags": dict(sorted(kinds.items())),
            "files": names, "language": result.language,
            "review": next((n for n in names if n.endswith(".review.html")), None),
            "csv": next((n for n in names if n.endswith(".mismatches.csv")), None),
            "seconds": round(result.timings.get("total", 0.0), 2),
            "warnings": [w.message for w in result.warnings]}


def run_job(job: Job, threads: int) -> Outcome:
    """Align one episode and write its folder; never raises for a user's error or a bug in one
    episode (the batch goes on), only for being interrupted."""
    from .episode import align_episode

    inputs = {role: state.fingerprint(p) for role, p in job.inputs().items() if p is not None}
    try:
        loaded = _model(job.settings, threads)
        result, written = align_episode(job.audio, job.transcript, Path(job.outdir), job.name,
                                        job.settings, loaded=loaded, cpu_threads=threads)
        return Outcome(job.id, "done", 0, "", inputs, _summary(result, written, job.settings))
    except PodalignError as e:
        _drop_if_empty(job.outdir)
        return Outcome(job.id, "failed", e.exit_code, str(e), inputs)
    except Exception as e:  # noqa: BLE001 - a bug in one episode must not stop the catalogue
        _drop_if_empty(job.outdir)
        first = (str(e).splitlines() or [""])[0]
        return Outcome(job.id, "failed", 1, f"internal error: {type(e).__name__}: {first}", inputs)


def _drop_if_empty(folder: str) -> None:
    """A failed episode leaves no empty folder behind (a folder of earlier files stays)."""
    try:
        os.rmdir(folder)
    except OSError:
        pass


# ------------------------------------------------------------------------------ local workers


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _available_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def default_workers(n_jobs: int) -> int:
    n = cores()
    mem = _available_gb()
    if mem is not None:
        n = min(n, max(1, int(mem // WORKER_MEMORY_GB)))
    return max(1, min(n, n_jobs))


def _thread_env(threads: int) -> None:
    # Set before numpy and CTranslate2 load in the worker: each worker gets its share of the
    # cores, never all of them (two processes each taking both of 2 cores slow down many times).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)


def _watch_parent(parent: int) -> None:
    """A worker whose driver was killed (SIGKILL leaves no chance to stop it) stops too, rather
    than aligning on for nobody."""
    def watch():
        while True:
            if os.getppid() != parent:
                os._exit(3)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()


def _worker_main(conn, threads: int, parent: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    _thread_env(threads)
    _watch_parent(parent)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(run_job(job, threads))


def run_local(jobs: list[Job], workers: int, threads: int, on_start: Callable[[Job], None],
              on_done: Callable[[Outcome], None]) -> None:
    """Run ``jobs`` on ``workers`` processes, one job at a time each, each loading its model once.

    A worker that dies (out of memory, a crash in native code) fails only the episode it held,
    and another one takes its place."""
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
    pending = deque(jobs)
    procs: dict = {}  # connection -> [process, job or None]

    def start() -> None:
        here, there = ctx.Pipe()
        p = ctx.Process(target=_worker_main, args=(there, threads, os.getpid()), daemon=True)
        p.start()
        there.close()
        procs[here] = [p, None]

    def give(conn) -> None:
        job = pending.popleft() if pending else None
        procs[conn][1] = job
        if job is not None:
            on_start(job)
        try:
            conn.send(job)
        except (BrokenPipeError, OSError):
            pass  # it died meanwhile: its sentinel says so next

    try:
        for _ in range(min(workers, len(pending))):
            start()
        for conn in list(procs):
            give(conn)
        while any(job is not None for _, job in procs.values()):
            by_sentinel = {p.sentinel: c for c, (p, _) in procs.items()}
            ready = wait([*procs, *by_sentinel])
            for r in ready:
                conn = by_sentinel.get(r, r)
                if conn not in procs:
                    continue
                p, job = procs[conn]
                try:
                    outcome = conn.recv() if r is conn else None
                except (EOFError, OSError):
                    outcome = None
                if outcome is not None:
                    on_done(outcome)
                    give(conn)
                    continue
                if p.is_alive() and r is not conn:
                    continue
                p.join(1)
                del procs[conn]
                conn.close()
                if job is not None:
                    code = p.exitcode
                    why = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                    on_done(Outcome(job.id, "failed", 1,
                                    f"worker died ({why}) while aligning this episode "
                                    "(out of memory?)",
                                    {role: state.fingerprint(pth)
                                     for role, pth in job.inputs().items() if pth is not None}))
                    if pending:
                        start()
                        give(next(reversed(procs)))
    finally:
        for conn, (p, _) in procs.items():
            try:
                conn.send(None)
            except OSError:
                pass
        for conn, (p, job) in procs.items():
            if job is not None:
                p.terminate()  # interrupted mid-episode: its files are written atomically or not at all
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join()
            conn.close()


# ------------------------------------------------------------------------------ the driver


class Progress:
    """Two bars on stderr, episodes and audio hours; silent with -q or when stderr is not a
    terminal (then one line per finished episode goes to stderr unless -q)."""

    def __init__(self, quiet: bool, total: int, hours: float | None):
        self.quiet = quiet
        self.bars = []
        if quiet or not sys.stderr.isatty():
            return
        from tqdm import tqdm

        self.bars.append(tqdm(total=total, desc="episodes", unit="ep", file=sys.stderr,
                              dynamic_ncols=True, position=0))
        if hours:
            self.bars.append(tqdm(total=round(hours, 3), desc="audio", unit="h", file=sys.stderr,
                                  dynamic_ncols=True, position=1,
                                  bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.2f}/{total:.2f} h"))

    def advance(self, outcome: Outcome, hours: float) -> None:
        for w in outcome.summary.get("warnings", []):  # even with -q, as align: results are partial
            line = f"podalign: {outcome.id}: warning: {w}"
            if self.bars:
                self.bars[0].write(line, file=sys.stderr)
            else:
                print(line, file=sys.stderr, flush=True)
        if self.bars:
            self.bars[0].update(1)
            if len(self.bars) > 1:
                self.bars[1].update(round(hours, 3))
            if outcome.status == "failed":
                self.bars[0].write(f"{outcome.id}: failed (exit {outcome.exit_code}): {outcome.message}",
                                   file=sys.stderr)
        elif not self.quiet:
            what = "done" if outcome.status == "done" else \
                f"failed (exit {outcome.exit_code}): {outcome.message}"
            print(f"podalign: {outcome.id}: {what}", file=sys.stderr, flush=True)

    def close(self) -> None:
        for b in reversed(self.bars):
            b.close()


def _probe_seconds(path: str) -> float:
    """The audio's length from its header (for the hours bar); 0 when it cannot be read."""
    try:
        import av

        with av.open(path, metadata_errors="ignore") as c:
            return (c.duration or 0) / 1_000_000
    except Exception:  # noqa: BLE001 - a bad file is the episode's failure, reported there
        return 0.0


def _lock(outdir: Path):
    import fcntl

    f = open(outdir / state.LOCK_FILE, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise OutputError(f"another podalign batch is writing to {outdir}") from None
    return f


def _record(o: Outcome, settings: dict) -> state.Record:
    return state.Record(o.id, o.status, o.exit_code, o.message, o.inputs, settings, o.summary)


def report_rows(episodes: list[Episode], records: dict[str, state.Record]) -> list[Row]:
    rows = []
    for ep in episodes:
        rec = records.get(ep.id)
        if rec is None:
            rows.append(Row(ep.id, "pending"))
            continue
        s = rec.summary
        rows.append(Row(ep.id, rec.status, rec.exit_code, rec.message, s.get("duration"),
                        s.get("words"), s.get("timed"), tuple(sorted((s.get("flags") or {}).items())),
                        f"{ep.id}/{s['review']}" if s.get("review") else None,
                        f"{ep.id}/{s['csv']}" if s.get("csv") else None))
    return rows


def write_catalogue(outdir: Path, cat: Catalogue, records: dict[str, state.Record]) -> None:
    per_episode = []
    for ep in cat.episodes:
        rec = records.get(ep.id)
        if rec is None or rec.status != "done" or not rec.summary.get("csv"):
            continue
        try:
            per_episode.append((ep.id, (outdir / ep.id / rec.summary["csv"]).read_text(encoding="utf-8")))
        except OSError:
            continue
    try:
        write_atomic(outdir / "catalogue.csv", merge_flags(per_episode))
        write_atomic(outdir / "catalogue.html", render_html(report_rows(cat.episodes, records),
                                                            cat.unpaired))
    except OSError as e:
        raise OutputError(f"cannot write the catalogue in {outdir}: {e.strerror or e}") from e


def _check_model(settings: Settings) -> None:
    """A model that cannot load, or a GPU that is not there, would fail every episode the same
    way: say so once, before anything runs (exit 8 or 9)."""
    from . import model as model_mod

    model_mod.resolve(settings.model)
    model_mod.pick_device(settings.device)


def run_batch(cat: Catalogue, outdir: Path, settings: Settings, opts: BatchOptions) -> BatchResult:
    t0 = time.perf_counter()
    outdir = Path(outdir)
    check_outdir(outdir)
    lock = _lock(outdir)
    try:
        records = state.load(outdir)
        jobs, skipped = [], 0
        for ep in cat.episodes:
            job = job_for(ep, outdir, settings)
            ok, refreshed = state.up_to_date(records.get(ep.id), job.inputs(), job.settings.key(),
                                             outdir, opts.retry_failed)
            if ok:
                skipped += 1
                if refreshed is not None:
                    records[ep.id] = refreshed
                    state.append(outdir, refreshed)
            else:
                jobs.append(job)
        _maybe_compact(outdir, records)
        ran = 0
        if jobs:
            if opts.ray is None:
                _check_model(settings)
            seconds = {j.id: _probe_seconds(j.audio) for j in jobs} if not opts.quiet else {}
            progress = Progress(opts.quiet, len(jobs), sum(seconds.values()) / 3600)
            written_since = [0]
            key_of = {j.id: j.settings.key() for j in jobs}

            def on_done(o: Outcome) -> None:
                nonlocal ran
                ran += 1
                rec = _record(o, key_of[o.id])
                records[o.id] = rec
                state.append(outdir, rec)
                progress.advance(o, seconds.get(o.id, 0.0) / 3600)
                written_since[0] += 1
                # the report follows the run (a look at catalogue.html mid-run is current), at
                # a cost kept small next to an episode's alignment on large catalogues
                if written_since[0] >= max(1, len(cat.episodes) // 50):
                    written_since[0] = 0
                    write_catalogue(outdir, cat, records)

            try:
                if opts.ray is None:
                    workers = opts.workers or default_workers(len(jobs))
                    threads = opts.threads or max(1, cores() // workers)
                    run_local(jobs, workers, threads, lambda j: None, on_done)
                else:
                    from .batch_ray import run_ray

                    run_ray(jobs, opts.ray, opts.threads or RAY_THREADS, opts.gpus_per_task, on_done)
            finally:
                progress.close()
                write_catalogue(outdir, cat, records)
        else:
            write_catalogue(outdir, cat, records)
        statuses = [records[e.id].status if e.id in records else "pending" for e in cat.episodes]
        return BatchResult(ran, skipped, statuses.count("done"), statuses.count("failed"),
                           statuses.count("pending"), round(time.perf_counter() - t0, 2))
    finally:
        lock.close()


def _maybe_compact(outdir: Path, records: dict[str, state.Record]) -> None:
    path = outdir / state.STATE_FILE
    try:
        with open(path, encoding="utf-8") as f:
            lines = sum(1 for _ in f)
    except OSError:
        return
    if lines > 2 * len(records) + 10:  # reruns and refreshes have doubled it
        state.compact(outdir, records)
