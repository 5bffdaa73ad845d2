"""Plain faster-whisper, as a user would run it: the speed/memory baseline for bench/run.py.

    python bench/plain_whisper.py AUDIO [--model base] [--device auto] [--compute-type auto]
                                        [--beam-size 5] [--vad]

Loads the same model folder, device and compute type podalign uses, then
``WhisperModel(...).transcribe(AUDIO, word_timestamps=True)`` with faster-whisper's defaults
otherwise (beam 5, no VAD unless asked), consumes every segment, and prints one JSON line:
load and transcribe seconds, counts, and what was used.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("audio")
    ap.add_argument("--model", default="base")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--compute-type", default="auto")
    ap.add_argument("--beam-size", type=int, default=None, help="default: faster-whisper's (5)")
    ap.add_argument("--vad", action="store_true", help="vad_filter=True")
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    from faster_whisper import WhisperModel

    from aligner.model import pick_compute_type, pick_device, resolve

    spec = resolve(a.model)
    device = pick_device(a.device)
    compute_type = pick_compute_type(device, a.compute_type)
    t_import = time.perf_counter() - t0

    t = time.perf_counter()
    model = WhisperModel(spec.path, device=device, compute_type=compute_type,
                         local_files_only=spec.local)
    load_s = time.perf_counter() - t

    kwargs: dict = {"word_timestamps": True}
    if a.beam_size is not None:
        kwargs["beam_size"] = a.beam_size
    if a.vad:
        kwargs["vad_filter"] = True
    t = time.perf_counter()
    segments, info = model.transcribe(a.audio, **kwargs)
    n_seg = n_words = 0
    for seg in segments:  # the generator does the work: consume it all
        n_seg += 1
        n_words += len(seg.words or [])
    transcribe_s = time.perf_counter() - t
    print(json.dumps({
        "import_s": round(t_import, 3), "load_s": round(load_s, 3), "transcribe_s": round(transcribe_s, 3),
        "segments": n_seg, "words": n_words, "duration": round(float(info.duration), 3),
        "language": info.language, "model_path": spec.path, "device": device,
        "compute_type": compute_type, "options": {k: v for k, v in kwargs.items()},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
