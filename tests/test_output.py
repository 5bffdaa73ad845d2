"""write_outputs: every file, read back with independent parsers; atomic, all-or-nothing."""
from __future__ import annotations

import csv
import html
import io
import json
import os
from pathlib import Path

import pytest
import srt
import webvtt

from aligner import output
from aligner.errors import OutputError
from fakes_subtitles import episode

ALL = ["srt", "vtt", "json", "podcast-json", "txt"]


@pytest.fixture
def al(tmp_path):
    return episode(audio_path=str(tmp_path / "audio" / "episode one.wav"))


def test_writes_all_formats(tmp_path, al):
    out = tmp_path / "out" / "deeper"  # created if missing
    paths = output.write_outputs(al, out, "ep", ALL, word_timing=True)
    names = sorted(p.name for p in paths)
    assert names == sorted(["ep.srt", "ep.vtt", "ep.json", "ep.podcast.json", "ep.txt", "ep.mismatches.csv",
                            "ep.review.html"])
    assert sorted(os.listdir(out)) == names  # no temp files left
    subs = list(srt.parse((out / "ep.srt").read_text("utf-8")))
    assert len(subs) == len(al.cues) and subs[0].content.startswith("Monde Numérique: ")
    v = webvtt.read(str(out / "ep.vtt"))
    assert len(v.captions) == len(al.cues)
    assert v.captions[0].voice == "Monde Numérique"
    assert "<00:00:0" in v.captions[0].raw_text  # word timing asked
    assert [html.unescape(c.text) for c in v.captions] == [c.text for c in al.cues]
    d = json.loads((out / "ep.json").read_text("utf-8"))
    assert len(d["cues"]) == len(al.cues) and len(d["mismatches"]) == 3
    pj = json.loads((out / "ep.podcast.json").read_text("utf-8"))
    assert pj["version"] == "1.0.0" and len(pj["segments"]) == len(al.cues)
    assert (out / "ep.txt").read_text("utf-8").startswith("[00:00:00] Monde Numérique: ")
    rows = list(csv.DictReader(io.StringIO((out / "ep.mismatches.csv").read_text("utf-8"))))
    assert len(rows) == 3
    page = (out / "ep.review.html").read_text("utf-8")
    # audio linked relative to the output folder, URL-quoted
    assert 'src="../../audio/episode%20one.wav"' in page


def test_default_formats_and_no_review(tmp_path, al):
    paths = output.write_outputs(al, tmp_path, "x", review=False, speaker_prefix=False)
    assert [p.name for p in paths] == ["x.srt", "x.vtt", "x.json", "x.mismatches.csv"]
    subs = list(srt.parse((tmp_path / "x.srt").read_text("utf-8")))
    assert subs[0].content == al.cues[0].text
    v = webvtt.read(str(tmp_path / "x.vtt"))
    assert "<00:" not in "".join(c.raw_text for c in v.captions)


def test_audio_path_override(tmp_path, al):
    output.write_outputs(al, tmp_path, "x", [], audio_path=tmp_path / "e.wav")
    assert 'src="e.wav"' in (tmp_path / "x.review.html").read_text("utf-8")


def test_replaces_previous_files(tmp_path, al):
    (tmp_path / "x.srt").write_text("old", "utf-8")
    output.write_outputs(al, tmp_path, "x", ["srt"], review=False)
    assert (tmp_path / "x.srt").read_text("utf-8") != "old"


def test_outdir_impossible(tmp_path, al):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError) as ei:
        output.write_outputs(al, blocker / "out", "ep")
    assert "\n" not in str(ei.value)
    with pytest.raises(OutputError):
        output.write_outputs(al, blocker, "ep")  # an existing file, not a folder
    assert sorted(os.listdir(tmp_path)) == ["file"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_outdir(tmp_path, al):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputError):
            output.write_outputs(al, ro, "ep", ALL)
        assert os.listdir(ro) == []
    finally:
        ro.chmod(0o700)


def test_unwritable_outdir_simulated(tmp_path, al, monkeypatch):
    """Permission denied on the first temp file (works as root too)."""
    def denied(folder, name, data):
        raise PermissionError(13, "Permission denied", str(folder / name))

    monkeypatch.setattr(output, "_write_temp", denied)
    with pytest.raises(OutputError) as ei:
        output.write_outputs(al, tmp_path / "o", "ep", ALL)
    assert "Permission denied" in str(ei.value) and "\n" not in str(ei.value)
    assert os.listdir(tmp_path / "o") == []


def test_failure_midway_while_writing_temps_leaves_nothing(tmp_path, al, monkeypatch):
    real = output._write_temp
    calls = []

    def flaky(folder, name, data):
        calls.append(name)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        return real(folder, name, data)

    monkeypatch.setattr(output, "_write_temp", flaky)
    with pytest.raises(OutputError) as ei:
        output.write_outputs(al, tmp_path, "ep", ALL)
    assert "No space left on device" in str(ei.value)
    assert len(calls) == 4
    assert os.listdir(tmp_path) == []


def test_failure_midway_while_renaming_leaves_nothing(tmp_path, al, monkeypatch):
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(output.os, "replace", flaky)
    with pytest.raises(OutputError):
        output.write_outputs(al, tmp_path, "ep", ALL)
    assert len(calls) == 3
    assert os.listdir(tmp_path) == []  # the two files already in place were removed too


def test_unknown_format(tmp_path, al):
    with pytest.raises(ValueError):
        output.write_outputs(al, tmp_path / "o", "ep", ["docx"])
    assert os.listdir(tmp_path) == []  # nothing rendered, nothing created


def test_bad_name(tmp_path, al):
    with pytest.raises(OutputError):
        output.write_outputs(al, tmp_path, "a/b")


def test_audio_href(tmp_path):
    assert output.audio_href(tmp_path / "a b#c.mp3", tmp_path) == "a%20b%23c.mp3"
    assert output.audio_href(tmp_path / "x" / "é.wav", tmp_path / "o") == "../x/%C3%A9.wav"
    assert isinstance(Path(tmp_path), Path)
