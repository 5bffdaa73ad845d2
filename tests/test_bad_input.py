"""Bad input: one clear line, a distinct exit code, no traceback, nothing half-written, inputs
untouched.  All of these fail before or at model loading, so they are quick."""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from conftest import digest, run_cli


def _check_error(res, code: int, words: str, out: Path | None = None) -> None:
    assert res.returncode == code, (res.returncode, res.stderr)
    lines = [l for l in res.stderr.strip().splitlines() if l.strip()]
    assert lines and lines[-1].startswith("podalign: error: "), res.stderr
    assert words in lines[-1], lines[-1]
    assert "Traceback" not in res.stderr
    if out is not None and out.exists():
        assert not any(out.iterdir()), f"left behind: {list(out.iterdir())}"


def _wav(path: Path, seconds: float, amplitude: float) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        n = int(seconds * 16000)
        w.writeframes(b"".join(struct.pack("<h", int(amplitude * 32767 * math.sin(i / 9)))
                               for i in range(n)))
    return path


def test_missing_audio(clip, tmp_path):
    _, text = clip
    out = tmp_path / "out"
    _check_error(run_cli("align", str(tmp_path / "nope.mp3"), str(text), "-o", str(out)), 3,
                 "audio file not found", out)


def test_missing_transcript(clip, tmp_path):
    audio, _ = clip
    out = tmp_path / "out"
    _check_error(run_cli("align", str(audio), str(tmp_path / "nope.txt"), "-o", str(out)), 3,
                 "nope.txt", out)


def test_audio_is_a_folder(clip, tmp_path):
    _, text = clip
    _check_error(run_cli("align", str(tmp_path), str(text), "-o", str(tmp_path / "o")), 3, "folder")


def test_undecodable_audio(clip, tmp_path):
    _, text = clip
    bad = tmp_path / "episode.mp3"
    bad.write_bytes(b"this is not audio at all\n" * 100)
    before = digest(bad)
    out = tmp_path / "out"
    _check_error(run_cli("align", str(bad), str(text), "-o", str(out)), 4, "cannot decode audio", out)
    assert digest(bad) == before


def test_silent_audio(clip, tmp_path):
    _, text = clip
    out = tmp_path / "out"
    _check_error(run_cli("align", str(_wav(tmp_path / "s.wav", 3, 0.0)), str(text), "-o", str(out)),
                 4, "silent", out)


@pytest.mark.parametrize("text,words", [
    (" \n\n", "holds no text (only whitespace)"),
    ("[Musique]\n00:00:01\n{crosstalk}\n(rires) !\n", "holds no words to align"),
])
def test_transcript_with_nothing_to_align(clip, tmp_path, text, words):
    audio, _ = clip
    path = tmp_path / "transcript.txt"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    _check_error(run_cli("align", str(audio), str(path), "-o", str(out)), 5, words, out)


def test_binary_transcript(clip, tmp_path):
    audio, _ = clip
    out = tmp_path / "out"
    _check_error(run_cli("align", str(audio), str(audio), "-o", str(out)), 5, "", out)


def test_output_folder_cannot_be_created(clip, tmp_path):
    audio, text = clip
    blocker = tmp_path / "file"
    blocker.write_text("x")
    _check_error(run_cli("align", str(audio), str(text), "-o", str(blocker / "sub")), 7,
                 "cannot create output folder")


def test_local_model_folder_without_model(clip, tmp_path):
    audio, text = clip
    out = tmp_path / "out"
    (tmp_path / "m").mkdir()
    _check_error(run_cli("align", str(audio), str(text), "-o", str(out), "--model", str(tmp_path / "m")),
                 8, "not a CTranslate2 Whisper model folder", out)


def test_hub_model_offline(clip, tmp_path):
    audio, text = clip
    out = tmp_path / "out"
    res = run_cli("align", str(audio), str(text), "-o", str(out), "--model", "large-v3",
                  env={"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")})
    _check_error(res, 8, "not available offline", out)


def test_cuda_without_gpu(clip, tmp_path):
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("this machine has a GPU")
    audio, text = clip
    out = tmp_path / "out"
    _check_error(run_cli("align", str(audio), str(text), "-o", str(out), "--device", "cuda"), 9,
                 "no CUDA GPU", out)


def test_unknown_format_is_a_usage_error(clip, tmp_path):
    audio, text = clip
    res = run_cli("align", str(audio), str(text), "-o", str(tmp_path / "o"), "--formats", "srt,doc")
    assert res.returncode == 2 and "unknown format" in res.stderr and "Traceback" not in res.stderr


def test_version_works_from_a_checkout_and_matches_the_package():
    import re
    from pathlib import Path

    from aligner import __version__

    res = run_cli("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"podalign, version {__version__}"
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == __version__


def test_unknown_language_code_is_a_usage_error(clip, tmp_path):
    audio, text = clip
    out = tmp_path / "out"
    res = run_cli("align", str(audio), str(text), "-o", str(out), "--language", "french")
    assert res.returncode == 2, res.stderr
    assert "'french' is not a language code Whisper knows" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()
