"""stable-ts ``align()`` with the faster-whisper backend: the timing-only baseline of bench/run.py.

    bench/.venv-stable/bin/python bench/stable_align.py MODEL_DIR AUDIO TEXT_FILE [--language fr]
                                  [--device cpu] [--compute-type int8] [--threads 2]
    python bench/stable_align.py --setup [--torch-index URL]

The run is exactly

    stable_whisper.load_faster_whisper(MODEL_DIR, device=..., compute_type=...,
                                       cpu_threads=...).align(AUDIO, TEXT, language=LANG)

with TEXT the contents of TEXT_FILE (bench/run.py writes the spoken text of the transcript's
turns there: ``common.turns_text``) and MODEL_DIR the model folder podalign itself loads (the
joined base model under podalign's cache).  It prints one JSON line: import, load and align
seconds, words and words timed.  It imports nothing of podalign: its venv need not have it.

``--setup`` (run with the project's own Python) makes ``bench/.venv-stable`` (git-ignored):
a venv with the ``bench`` extra of pyproject.toml (stable-ts, torch, torchaudio) and the same
faster-whisper and CTranslate2 versions as the interpreter running the setup, so the baselines
and podalign run the same inference engine.  stable-ts pulls in torch, which podalign never needs:
that is why it lives in a venv of its own and not in the product's dependencies.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / "bench" / ".venv-stable"


def bench_extra() -> list[str]:
    """The ``bench`` optional dependencies of pyproject.toml."""
    import tomllib

    with open(REPO / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["optional-dependencies"]["bench"])


def setup(torch_index: str | None = None) -> int:
    from importlib.metadata import version

    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    (VENV / ".gitignore").write_text("*\n", encoding="utf-8")  # never committed, wherever made
    py = str(VENV / "bin" / "python")
    reqs = bench_extra()
    torch_reqs = [r for r in reqs if r.split("=")[0].split("<")[0].split(">")[0].strip() in ("torch", "torchaudio")]
    if torch_index and torch_reqs:  # CPU wheels, when that index is reachable
        subprocess.run([py, "-m", "pip", "install", "--index-url", torch_index, *torch_reqs], check=True)
    same = [f"faster-whisper=={version('faster-whisper')}", f"ctranslate2=={version('ctranslate2')}"]
    subprocess.run([py, "-m", "pip", "install", *reqs, *same], check=True)
    out = subprocess.run([py, "-c", "import stable_whisper, torch, faster_whisper; "
                          "print(stable_whisper.__version__, torch.__version__, faster_whisper.__version__)"],
                         check=True, capture_output=True, text=True)
    print(f"{VENV}: stable-ts, torch, faster-whisper = {out.stdout.strip()}")
    return 0


def run(a: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    import stable_whisper

    t_import = time.perf_counter() - t0
    with open(a.text_file, encoding="utf-8") as f:
        text = f.read().strip()
    t = time.perf_counter()
    model = stable_whisper.load_faster_whisper(a.model_dir, device=a.device, compute_type=a.compute_type,
                                               cpu_threads=a.threads)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    result = model.align(a.audio, text, language=a.language)
    align_s = time.perf_counter() - t
    words = result.all_words() if result is not None else []
    timed = [w for w in words if w.start is not None and w.end is not None and w.end >= w.start]
    import torch

    print(json.dumps({
        "import_s": round(t_import, 3), "load_s": round(load_s, 3), "align_s": round(align_s, 3),
        "words": len(words), "words_timed": len(timed), "text_words": len(text.split()),
        "first": [round(timed[0].start, 2), timed[0].word.strip()] if timed else None,
        "last": [round(timed[-1].end, 2), timed[-1].word.strip()] if timed else None,
        "model_path": a.model_dir, "device": a.device, "compute_type": a.compute_type,
        "cpu_threads": a.threads, "language": a.language,
        "stable_ts": getattr(stable_whisper, "__version__", None), "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--setup", action="store_true", help=f"make {VENV.relative_to(REPO)} and exit")
    ap.add_argument("--torch-index", default=None,
                    help="with --setup: install torch/torchaudio from this index first (e.g. PyTorch's CPU "
                         "wheel index); default: the ordinary index")
    ap.add_argument("model_dir", nargs="?")
    ap.add_argument("audio", nargs="?")
    ap.add_argument("text_file", nargs="?")
    ap.add_argument("--language", default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args(argv)
    if a.setup:
        return setup(a.torch_index)
    if not (a.model_dir and a.audio and a.text_file):
        ap.error("MODEL_DIR, AUDIO and TEXT_FILE are needed (or --setup)")
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
