"""``podalign batch``: manifests, pairing by stem, the state file and the catalogue (no model),
then real runs on two short cuts of the test clip: a bad pair among good ones, a rerun, resume
after a kill, and a real local Ray cluster."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from conftest import DATA, run_cli

from aligner import batch_state as state
from aligner.catalogue import Row, merge_flags, render_html
from aligner.errors import ManifestError
from aligner.manifest import pair_folders, pair_names, parse_manifest


# ------------------------------------------------------------------------------ manifests


def test_csv_manifest_paths_are_relative_to_it_and_the_id_defaults_to_the_stem(tmp_path):
    m = tmp_path / "sub" / "m.csv"
    m.parent.mkdir()
    eps = parse_manifest("audio,transcript,language,names,id\n"
                         "a/ep1.mp3,t/ep1.txt,,,\n\n"
                         "/abs/ep2.ogg,ep2.txt,FR,names.txt,second\n", m, str.lower)
    assert [e.id for e in eps] == ["ep1", "second"]
    assert eps[0].audio == str(tmp_path / "sub" / "a" / "ep1.mp3")
    assert eps[0].transcript == str(tmp_path / "sub" / "t" / "ep1.txt")
    assert eps[0].language is None and eps[0].names is None
    assert eps[1].audio == "/abs/ep2.ogg" and eps[1].language == "fr"
    assert eps[1].names == str(tmp_path / "sub" / "names.txt")


def test_json_lines_manifest(tmp_path):
    m = tmp_path / "m.jsonl"
    eps = parse_manifest('{"audio": "x.mp3", "transcript": "x.txt"}\n\n'
                         '{"audio": "y.mp3", "transcript": "y.txt", "id": "why", "language": "en"}\n',
                         m)
    assert [(e.id, e.language) for e in eps] == [("x", None), ("why", "en")]


@pytest.mark.parametrize("text,name,needle", [
    ("audio,transcript\nx.mp3,x.txt\ny/x.mp3,y.txt\n", "m.csv", "share an id: x"),
    ("audio,text\nx.mp3,x.txt\n", "m.csv", "header must name audio, transcript"),
    ("audio,transcript,speed\nx.mp3,x.txt,2\n", "m.csv", "unknown column(s) speed"),
    ("audio,transcript\nx.mp3,\n", "m.csv", "'transcript' is missing"),
    ("audio,transcript,id\nx.mp3,x.txt,../up\n", "m.csv", "cannot be a folder name"),
    ('{"audio": "x.mp3", "transcript": "x.txt"}\n{"audio": \n', "m.jsonl", "m.jsonl:2: not a JSON"),
    ("audio,transcript\n", "m.csv", "no episodes"),
])
def test_bad_manifests_say_where(tmp_path, text, name, needle):
    with pytest.raises(ManifestError) as e:
        parse_manifest(text, tmp_path / name)
    assert needle in str(e.value)


def test_pairing_by_stem_lists_the_unpaired_and_never_guesses(tmp_path):
    pairs, unpaired = pair_names(["b.mp3", "a.wav", "c.ogg"], ["a.txt", "b.srt", "d.txt"])
    assert pairs == [("a", "a.wav", "a.txt"), ("b", "b.mp3", "b.srt")]
    assert unpaired == ["c.ogg", "d.txt"]
    with pytest.raises(ManifestError, match="two audio files with the stem 'a'"):
        pair_names(["a.mp3", "a.wav"], ["a.txt"])
    (tmp_path / "au").mkdir()
    (tmp_path / "tx").mkdir()
    for n in ("ep1.mp3", "ep2.mp3", "notes.pdf", ".hidden.mp3"):
        (tmp_path / "au" / n).write_bytes(b"x")
    for n in ("ep1.txt", "ep3.txt"):
        (tmp_path / "tx" / n).write_text("x")
    cat = pair_folders(tmp_path / "au", tmp_path / "tx")
    assert [(e.id, Path(e.audio).name, Path(e.transcript).name) for e in cat.episodes] == [
        ("ep1", "ep1.mp3", "ep1.txt")]
    assert cat.unpaired == [str(tmp_path / "au" / "ep2.mp3"), str(tmp_path / "tx" / "ep3.txt")]


# ------------------------------------------------------------------------------ state


def _done(tmp_path, audio, transcript, settings):
    (tmp_path / "out" / "e").mkdir(parents=True, exist_ok=True)
    (tmp_path / "out" / "e" / "e.srt").write_text("1")
    return state.Record("e", "done", 0, "", {"audio": state.fingerprint(str(audio)),
                                             "transcript": state.fingerprint(str(transcript))},
                        settings, {"files": ["e.srt"]})


def test_state_skips_what_is_done_and_unchanged_and_redoes_what_changed(tmp_path):
    a, t = tmp_path / "e.wav", tmp_path / "e.txt"
    a.write_bytes(b"audio")
    t.write_text("text")
    inputs = {"audio": str(a), "transcript": str(t), "names": None}
    out = tmp_path / "out"
    rec = _done(tmp_path, a, t, {"model": "base"})
    assert state.up_to_date(rec, inputs, {"model": "base"}, out, False) == (True, None)
    assert not state.up_to_date(rec, inputs, {"model": "small"}, out, False)[0]  # other options
    os.utime(t, ns=(1, 1))  # touched, same bytes: not redone, its new mtime kept
    ok, refreshed = state.up_to_date(rec, inputs, {"model": "base"}, out, False)
    assert ok and refreshed.inputs["transcript"]["mtime_ns"] == 1
    t.write_text("edit")  # same size, other bytes
    assert not state.up_to_date(rec, inputs, {"model": "base"}, out, False)[0]
    rec = _done(tmp_path, a, t, {"model": "base"})
    (out / "e" / "e.srt").unlink()  # a file it wrote is gone
    assert not state.up_to_date(rec, inputs, {"model": "base"}, out, False)[0]
    failed = state.Record("e", "failed", 3, "audio file not found", {"audio": {"path": str(a)},
                          "transcript": state.fingerprint(str(t))}, {"model": "base"})
    assert not state.up_to_date(failed, inputs, {"model": "base"}, out, False)[0]  # audio appeared
    a.unlink()
    assert state.up_to_date(failed, inputs, {"model": "base"}, out, False)[0]  # would fail again
    assert not state.up_to_date(failed, inputs, {"model": "base"}, out, True)[0]  # --retry-failed


def test_state_file_last_line_wins_and_a_cut_line_is_skipped(tmp_path):
    r1 = state.Record("a", "failed", 5, "empty", {}, {})
    r2 = state.Record("a", "done", 0, "", {}, {}, {"files": []})
    state.append(tmp_path, r1)
    state.append(tmp_path, r2)
    with open(tmp_path / state.STATE_FILE, "a", encoding="utf-8") as f:
        f.write('{"id": "b", "status": "do')  # killed mid-line
    got = state.load(tmp_path)
    assert list(got) == ["a"] and got["a"].status == "done"
    state.compact(tmp_path, got)
    assert (tmp_path / state.STATE_FILE).read_text(encoding="utf-8").count("\n") == 1


# ------------------------------------------------------------------------------ catalogue


def test_catalogue_csv_has_every_flag_most_certain_first_with_its_episode():
    head = "start,end,kind,category,published,heard,confidence,context,suggestion\n"
    out = merge_flags([("ep1", head + "1.000,2.000,substitution,name,A,B,0.600,ctx,\n"),
                       ("ep2", head + "3.000,4.000,omission,sentence,C,,0.950,\"x, y\",\n"
                               "0.500,0.900,substitution,number,18,17,0.600,c,\n"),
                       ("ep3", head)])
    lines = out.splitlines()
    assert lines[0] == "episode," + head.strip()
    assert [ln.split(",")[0] for ln in lines[1:]] == ["ep2", "ep1", "ep2"]
    assert lines[1].endswith('0.950,"x, y",')


def test_catalogue_page_has_a_row_per_episode_failures_and_review_links():
    page = render_html([Row("ep<1>", "done", 0, "", 754.2, 43, 41, (("substitution", 2),),
                            "ep<1>/ep1.review.html", "ep<1>/ep1.mismatches.csv"),
                        Row("ep2", "failed", 3, "audio file not found: /x/ep2.mp3"),
                        Row("ep3", "pending")], ["/x/lonely.mp3"])
    assert "ep&lt;1&gt;" in page and "ep%3C1%3E/ep1.review.html" in page
    assert "0:12:34" in page and "41 / 43" in page and "2 substitution" in page
    assert "failed (exit 3): audio file not found: /x/ep2.mp3" in page
    assert "1 not run yet" in page and "lonely.mp3" in page


# ------------------------------------------------------------------------------ command line


def test_local_mode_never_imports_ray():
    code = ("import sys, aligner.cli, aligner.batch, aligner.manifest, aligner.catalogue; "
            "sys.exit('ray' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_bad_manifest_is_one_line_and_its_own_exit_code(tmp_path):
    m = tmp_path / "m.csv"
    m.write_text("audio,transcript\nx.mp3,x.txt\nx.mp3,y.txt\n", encoding="utf-8")
    res = run_cli("batch", str(m), "-o", str(tmp_path / "out"))
    assert res.returncode == 11, res.stderr
    assert res.stderr.strip().count("\n") == 0 and "share an id: x" in res.stderr
    res = run_cli("batch", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "out"))
    assert res.returncode == 3 and "manifest not found" in res.stderr
    res = run_cli("batch", str(m), "--audio-dir", str(tmp_path), "-o", str(tmp_path / "out"))
    assert res.returncode == 2 and "not both" in res.stderr
    assert "Traceback" not in res.stderr


# ------------------------------------------------------------------------------ real runs

EXPECTED_FILES = {"srt", "vtt", "json", "mismatches.csv", "review.html"}  # align's defaults


@pytest.fixture(scope="module")
def episodes(tmp_path_factory) -> Path:
    """Two short episodes cut from the test clip (its two read sentences, 9 s and 6 s, one
    speaker each), a manifest of them plus a bad pair (the audio is missing)."""
    from aligner.audio import SAMPLE_RATE, decode

    d = tmp_path_factory.mktemp("episodes")
    samples = decode(str(DATA / "fleurs-2clips.ogg"))
    lines = (DATA / "fleurs-2clips.txt").read_text(encoding="utf-8").splitlines()
    cuts = {"one": (0.0, 9.0, lines[2]), "two": (9.0, samples.size / SAMPLE_RATE, lines[3])}
    for name, (a, b, text) in cuts.items():
        x = (samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] * 32767).astype("<i2")
        with wave.open(str(d / f"{name}.wav"), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(SAMPLE_RATE)
            f.writeframes(x.tobytes())
        (d / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    (d / "good.csv").write_text("audio,transcript\none.wav,one.txt\ntwo.wav,two.txt\n",
                                encoding="utf-8")
    (d / "mixed.csv").write_text("audio,transcript,id\none.wav,one.txt,\n"
                                 "missing.wav,two.txt,lost\ntwo.wav,two.txt,\n", encoding="utf-8")
    return d


def _content(out: Path, ident: str) -> tuple:
    d = json.loads((out / ident / f"{ident}.json").read_text(encoding="utf-8"))
    return (d["words"], d["cues"], d["mismatches"])


def _records(out: Path) -> list[dict]:
    return [json.loads(ln) for ln in (out / state.STATE_FILE).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(episodes, tmp_path_factory):
    """An uninterrupted run, two workers: two good episodes and a bad pair between them."""
    out = tmp_path_factory.mktemp("mixed")
    res = run_cli("batch", str(episodes / "mixed.csv"), "-o", str(out), "--workers", "2",
                  "--threads", "1")  # one thread: what a Ray task gets, so outputs compare
    return out, res


@pytest.mark.e2e
def test_a_bad_pair_fails_alone_and_the_catalogue_says_so(mixed):
    out, res = mixed
    assert res.returncode == 10, res.stderr
    assert "Traceback" not in res.stderr
    for ident in ("one", "two"):  # what align writes, named after the audio
        assert {p.name.split(".", 1)[1] for p in (out / ident).iterdir()} == EXPECTED_FILES
        words, cues, _ = _content(out, ident)
        assert words and all(w["start"] is not None for w in words) and cues
    assert not (out / "lost").exists()
    recs = {r["id"]: r for r in _records(out)}
    assert recs["lost"]["status"] == "failed" and recs["lost"]["exit_code"] == 3
    assert "not found" in recs["lost"]["message"]
    assert recs["one"]["inputs"]["audio"]["sha256"]
    flags = (out / "catalogue.csv").read_text(encoding="utf-8").splitlines()
    assert flags[0].startswith("episode,start,end,kind")
    conf = [float(ln.split(",")[7]) for ln in flags[1:]]
    assert conf == sorted(conf, reverse=True)
    assert any(ln.startswith("one,") and ",dix-huit," in ln for ln in flags[1:])  # the wrong number
    page = (out / "catalogue.html").read_text(encoding="utf-8")
    assert "one/one.review.html" in page and "failed (exit 3)" in page
    assert "2 done" in res.stdout and "1 failed" in res.stdout


@pytest.mark.e2e
def test_a_rerun_skips_what_is_done_and_retries_failures_when_asked(mixed, episodes):
    out, _ = mixed
    lines = len(_records(out))
    t = time.perf_counter()
    res = run_cli("batch", str(episodes / "mixed.csv"), "-o", str(out), "--workers", "2")
    assert time.perf_counter() - t < 5 + 3  # the 5 s, plus a loaded CI machine's startup
    assert res.returncode == 10 and "0 run now, 3 already up to date" in res.stdout
    assert len(_records(out)) == lines
    res = run_cli("batch", str(episodes / "mixed.csv"), "-o", str(out), "--workers", "1",
                  "--retry-failed", "-q")
    assert res.returncode == 10
    recs = _records(out)
    assert len(recs) == lines + 1 and recs[-1]["id"] == "lost"


@pytest.mark.e2e
def test_killed_after_its_first_episode_a_rerun_finishes_the_rest_the_same(mixed, episodes,
                                                                          tmp_path):
    ref, _ = mixed
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "aligner", "batch", str(episodes / "good.csv"), "-o", str(out),
           "--workers", "2", "--threads", "1", "-q"]  # the reference's workers and threads
    p = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    first = None
    try:
        while first is None and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.2)
            try:
                done = [r["id"] for r in _records(out) if r["status"] == "done"]
            except (OSError, ValueError):
                continue
            first = done[0] if done else None
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # the driver and its workers, no chance to tidy up
        p.wait()
    assert first is not None, "no episode finished"
    first_json = out / first / f"{first}.json"
    stamp = first_json.stat().st_mtime_ns
    res = run_cli(*cmd[3:])
    assert res.returncode == 0, res.stderr
    recs = _records(out)
    assert [r["id"] for r in recs].count(first) == 1  # not done twice
    assert first_json.stat().st_mtime_ns == stamp
    assert {r["id"] for r in recs if r["status"] == "done"} == {"one", "two"}
    for ident in ("one", "two"):
        assert _content(out, ident) == _content(ref, ident)
    assert not [p.name for p in (out / "one").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.e2e
def test_a_real_local_ray_cluster_writes_what_local_workers_write(mixed, episodes, tmp_path):
    ray = pytest.importorskip("ray")
    from aligner.batch import BatchOptions, run_batch
    from aligner.episode import Settings
    from aligner.manifest import Catalogue, Episode

    ref, _ = mixed
    eps = [Episode("one", str(episodes / "one.wav"), str(episodes / "one.txt")),
           Episode("two", str(episodes / "two.wav"), str(episodes / "two.txt")),
           Episode("two-again", str(episodes / "two.wav"), str(episodes / "two.txt"))]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        res = run_batch(Catalogue(eps), tmp_path, Settings(), BatchOptions(ray="auto", quiet=True))
    finally:
        ray.shutdown()
    assert (res.done, res.failed, res.exit_code) == (3, 0, 0)
    for ident in ("one", "two"):  # one thread per task, as the local workers had
        assert _content(tmp_path, ident) == _content(ref, ident)
    assert (tmp_path / "two-again" / "two.json").is_file()
    assert "two-again/two.review.html" in (tmp_path / "catalogue.html").read_text(encoding="utf-8")


def test_an_episode_s_warnings_are_printed_even_when_quiet(capsys):
    # A damaged file is aligned around the damage: its warning must reach the person running the
    # batch, as `podalign align` prints it, not only the episode's JSON.
    from aligner.batch import Outcome, Progress

    p = Progress(quiet=True, total=1, hours=None)
    p.advance(Outcome("ep1", "done", 0, "", {}, {"warnings": ["1.2 s of damaged audio at 0:41"]}), 0.0)
    p.advance(Outcome("ep2", "done", 0, "", {}, {"warnings": []}), 0.0)
    p.close()
    assert capsys.readouterr().err == "podalign: ep1: warning: 1.2 s of damaged audio at 0:41\n"
