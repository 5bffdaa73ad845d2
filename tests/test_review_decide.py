"""The review page's decisions in headless Chromium, driven as a person drives it (clicks, keys,
typing) over the DevTools pipe: three flags decided, one word edited, both exports downloaded
and checked byte for byte, decisions kept across a reload; then the exported DECISIONS.json
through ``podalign apply`` gives the same bytes."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from aligner import decisions as D
from aligner import formats
from aligner.cli import main
from aligner.output import write_outputs
from aligner.transcript import parse_transcript
from aligner.types import Alignment, Mismatch, TimedWord
from cdp import CHROMIUM, Browser, CDPError
from fakes_subtitles import write_wav

need_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

# CRLF, a header with an emoji (two UTF-16 units, one Python character: offsets must agree),
# speaker labels, a blank line.
TEXT = ("Titre : un épisode d'essai 🎙\r\n\r\n"
        "Alice : Bonjour à tous, Jensen Wang est là.\r\n"
        "Bob : Merci beaucoup, et le mois de mai dix-huit.\r\n")


def review_episode(audio_path: str, transcript_path: str) -> Alignment:
    """A fake alignment of TEXT: every body word timed 0.6 s apart, the header unspoken, and
    three flags: a name heard otherwise, a published word not said, speech not published."""
    tr = parse_transcript(TEXT, encoding="utf-8", language="fr")
    words, t = [], 0.5
    for tok in tr.tokens:
        if tok.header:
            words.append(TimedWord(tok, None, None, 0.0, reason="unspoken"))
        else:
            words.append(TimedWord(tok, round(t, 3), round(t + 0.4, 3), 0.9))
            t += 0.6
    by = {w.token.text: w for w in words}
    wang, beau, mois = by["Wang"], by["beaucoup,"], by["mois"]
    flags = [
        Mismatch("substitution", "name", wang.start, wang.end, wang.token.char_start, wang.token.char_end,
                 "Wang", "Huang", 0.93, "Jensen Wang est"),
        Mismatch("omission", "word", beau.start, beau.end, beau.token.char_start, beau.token.char_end,
                 "beaucoup,", "", 0.7, "Merci beaucoup, et"),
        Mismatch("insertion", "word", mois.start - 0.05, mois.start - 0.01, None, None, "",
                 "[en] really", 0.6, "le mois"),
    ]
    header = [(tr.lines[0].char_start, tr.lines[0].char_end)]
    al = Alignment(audio_path=audio_path, transcript_path=transcript_path, transcript=tr, language="fr",
                   duration=20.0, words=words, heard=[], mismatches=flags, unspoken=header,
                   model="fake", device="cpu", compute_type="int8")
    al.transcript_sha256 = D.sha256_text(TEXT.encode("utf-8"))
    al.audio_sha256 = "a" * 64
    from aligner.cues import CueOptions, build_cues

    al.cues = build_cues(al.words, CueOptions(), "fr", duration=al.duration)
    return al


# What a person gets after: "use heard" on Wang, "keep published" on beaucoup, "use heard" on the
# insertion (its language tag dropped), and the word "mai" edited to "juin".
EXPECTED = ("Titre : un épisode d'essai 🎙\r\n\r\n"
            "Alice : Bonjour à tous, Jensen Huang est là.\r\n"
            "Bob : Merci beaucoup, et le really mois de juin dix-huit.\r\n")


@pytest.fixture
def page(tmp_path):
    (tmp_path / "episode.txt").write_bytes(TEXT.encode("utf-8"))
    write_wav(tmp_path / "episode.wav", seconds=20, rate=4000)
    al = review_episode(str(tmp_path / "episode.wav"), str(tmp_path / "episode.txt"))
    write_outputs(al, tmp_path, "episode", ["json"])
    return tmp_path, al


def test_choices_the_page_carries(page):
    tmp, al = page
    html = (tmp / "episode.review.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="podalign-data">(.*?)</script>', html, re.S).group(1))
    assert data["text"] == TEXT
    assert data["storageKey"] == f"podalign:decisions:{al.transcript_sha256}:{'a' * 64}"
    sub, om, ins = data["flags"]
    assert sub["heard"] == [TEXT.index("Wang"), TEXT.index("Wang") + 4, "Huang"]
    assert om["heard"][2] == "" and TEXT[om["heard"][0]:om["heard"][1]] == "beaucoup, "
    p = TEXT.index("mois")
    assert ins["heard"] == [p, p, "really "] and ins["insertion"] and not ins["trailing"]
    # the page's data holds no way to close its script early
    assert "</" not in re.search(r'id="podalign-data">(.*?)</script>', html, re.S).group(1)


def _decide_everything(b: Browser) -> None:
    b.click('button.act[data-act="accept"][data-flag="0"]')  # Wang -> Huang
    b.key("j")  # keyboard: next flag (flags are listed by time), next, then back one
    b.key("j")
    assert b.js("window.podalign.currentFlag()") == 2
    b.key("k")
    assert b.js("window.podalign.currentFlag()") == 1
    b.key("x")  # keep "beaucoup," as published; moves on to the insertion
    assert b.js("window.podalign.currentFlag()") == 2
    b.key("a")  # accept the heard insertion
    b.click('#transcript .w[data-cs="%d"]' % TEXT.index("mai"), count=2)  # double-click edits
    assert b.js("document.activeElement.className") == "editor"
    b.js("document.activeElement.select()")
    b.type("juin")
    b.key("Enter")


@need_chromium
def test_decide_export_reload(page):
    tmp, al = page
    b = Browser(tmp / ".profile", tmp / "downloads")
    try:
        b.goto((tmp / "episode.review.html").as_uri())
        assert b.js("window.podalign.errors.length") == 0
        _decide_everything(b)
        got = b.js("window.podalign.decisions()")
        assert sorted(d["action"] for d in got.values()) == ["heard", "heard", "keep", "word"]
        assert b.js("document.getElementById('progress').textContent") == "3/3 flags decided, 1 word edit"
        text_file = b.download("#export-text")
        dec_file = b.download("#export-decisions")
        assert text_file.name == "episode.corrected.txt" and dec_file.name == "episode.decisions.json"
        assert text_file.read_bytes() == EXPECTED.encode("utf-8")  # labels, header, CRLF kept
        # a click on a word still seeks the audio
        b.click('#transcript .w[data-cs="%d"]' % TEXT.index("Bonjour"))
        assert abs(b.js("document.getElementById('audio').currentTime") - 0.5) < 0.05
        # closing the tab loses nothing: the decisions come back with the page
        b.reload()
        assert b.js("window.podalign.decisions()") == got
        assert b.js("window.podalign.correctedText()") == EXPECTED
        assert b.js("document.querySelector('.verdict[data-flag=\"1\"]').textContent") == "kept as published"
        assert b.js("window.podalign.errors.length") == 0
    finally:
        b.close()

    dec = D.from_json(dec_file.read_text(encoding="utf-8"))
    assert dec.transcript_sha256 == al.transcript_sha256 and dec.transcript_chars == len(TEXT)
    kept = [d for d in dec.items if d.action == "keep"]
    assert kept[0].flag.kind == "omission" and kept[0].text == "beaucoup,"
    # the same decisions from the command line give the same bytes
    out = tmp / "cli.txt"
    r = CliRunner().invoke(main, ["apply", str(tmp / "episode.json"), str(dec_file), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == EXPECTED.encode("utf-8")
    assert (tmp / "episode.txt").read_bytes() == TEXT.encode("utf-8")  # inputs never modified


@need_chromium
def test_two_episodes_never_share_decisions(page, tmp_path):
    tmp, al = page
    other = tmp / "other"
    other.mkdir()
    al2 = review_episode(str(tmp / "episode.wav"), str(tmp / "episode.txt"))
    al2.audio_sha256 = "b" * 64  # same text, another audio
    write_outputs(al2, other, "episode", ["json"], audio_path=tmp / "episode.wav")
    b = Browser(tmp / ".profile", tmp / "downloads")
    try:
        b.goto((tmp / "episode.review.html").as_uri())
        b.click('button.act[data-act="keep"][data-flag="0"]')
        assert len(b.js("window.podalign.decisions()")) == 1
        b.goto((other / "episode.review.html").as_uri())
        assert b.js("window.podalign.decisions()") == {}
    finally:
        b.close()


def test_cdp_helper_reports_a_missing_element(tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    b = Browser(tmp_path / ".profile", tmp_path / "dl")
    try:
        b.goto("about:blank")
        with pytest.raises(CDPError):
            b.click("#nothing")
    finally:
        b.close()
    assert b.proc.returncode is not None


def test_page_is_built_from_the_package_files(page):
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path

    from aligner import review

    tmp, _ = page
    html = (tmp / "episode.review.html").read_text(encoding="utf-8")
    assert "{{" not in html  # every hole of the template filled
    assert review.asset("review.js").strip() in html and review.asset("review.css").strip() in html
    assert '<script src' not in html and "<link" not in html  # one self-contained file
    root = Path(__file__).resolve().parent.parent
    conf = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "aligner.review" in conf["packages"]
    assert set(conf["package-data"]["aligner.review"]) == {"page.html", "review.js", "review.css"}
    with pytest.raises(ValueError):
        review._inline("script", "var s = '</script>';")  # would end the page's script early
    assert review.fill("a {{x}} {{y}}", {"x": "{{y}}", "y": "b"}) == "a {{y}} b"  # one pass
