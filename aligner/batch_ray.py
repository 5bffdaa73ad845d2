"""``podalign batch --ray``: the same episodes as Ray tasks, on a cluster or a throwaway local one.

Ray is an optional extra (``pip install "podalign[ray]"``) and is imported only here, only when
``--ray`` is given.  Each task runs ``batch.run_job``, the local workers' own episode runner, and
writes its episode's folder where the command said (shared storage on a cluster); the model is
kept per Ray worker process (Ray reuses a worker for the next task of the same function), so it
is loaded once per worker, not once per episode.
"""
from __future__ import annotations

import os
from typing import Callable

from .batch import Job, Outcome, cores, run_job
from .batch_state import fingerprint
from .errors import RayUnavailable

# A task whose worker or node was lost is run again this many times by Ray before it counts as a
# failed episode (a rerun of the batch tries it again anyway).
MAX_RETRIES = 2


def _connect(address: str):
    try:
        import ray
    except ImportError:
        raise RayUnavailable("--ray needs Ray: pip install \"podalign[ray]\" (or pip install ray)") from None
    if ray.is_initialized():  # a caller (a test, a notebook) already holds a cluster: use it
        return ray, False
    kw = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        if address == "local":
            ray.init(num_cpus=cores(), **kw)
        elif address == "auto":
            ray.init(address=os.environ.get("RAY_ADDRESS") or "auto", **kw)
        else:
            ray.init(address=address, **kw)
    except Exception as e:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ValueError...
        first = (str(e).splitlines() or [""])[0]
        raise RayUnavailable(f"cannot reach the Ray cluster at {address!r}: {first}") from None
    return ray, True


def _lost(job: Job, e: BaseException) -> Outcome:
    first = (str(e).splitlines() or [""])[0]
    return Outcome(job.id, "failed", 1, f"Ray task lost: {type(e).__name__}: {first[:300]}",
                   {role: fingerprint(p) for role, p in job.inputs().items() if p is not None})


def run_ray(jobs: list[Job], address: str, threads: int, gpus_per_task: float | None,
            on_done: Callable[[Outcome], None]) -> None:
    ray, owned = _connect(address)
    try:
        cuda = jobs and jobs[0].settings.device == "cuda"
        # CPU tasks take as many CPUs as threads; a CUDA task takes its GPU share (one each
        # unless told), so Ray never puts more episodes on a node than it has room for.
        res = ({"num_gpus": gpus_per_task or 1, "num_cpus": threads} if cuda
               else {"num_cpus": threads})
        task = ray.remote(run_job).options(max_retries=MAX_RETRIES, **res)
        refs = {task.remote(job, threads): job for job in jobs}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for r in ready:
                job = refs.pop(r)
                try:
                    outcome = ray.get(r)
                except ray.exceptions.RayError as e:
                    outcome = _lost(job, e)
                on_done(outcome)
    finally:
        if owned:
            ray.shutdown()
