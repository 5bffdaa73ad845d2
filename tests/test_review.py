"""The review page: static checks, then headless Chromium (file:// and http://) and a screenshot."""
from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from aligner import formats
from aligner.output import write_outputs
from aligner.review import render_review_html
from fakes_subtitles import episode, write_wav

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome")
                 if shutil.which(n)), None)
need_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
FLAGS = ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
         "--mute-audio", "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars"]


# --------------------------------------------------------------------------------------------
# static


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _page(al=None):
    al = al or episode()
    return al, render_review_html(al, "episode.wav", formats.to_vtt(al.cues))


def test_page_is_self_contained_and_escaped():
    al, page = _page()
    p = _Collect()
    p.feed(page)
    # no external resources: only the audio src and a data: track
    for tag, attrs in p.tags:
        for k in ("src", "href"):
            v = attrs.get(k)
            if v is None:
                continue
            if tag == "audio":
                assert v == "episode.wav"
            elif tag == "track":
                assert v.startswith("data:text/vtt;base64,")
            elif tag == "a":
                assert v.startswith("#")
            else:
                raise AssertionError((tag, attrs))
        assert tag not in ("link", "img", "iframe")
    audio = [a for t, a in p.tags if t == "audio"]
    assert len(audio) == 1 and "controls" in audio[0]
    # text is escaped: "Merci & <à bientôt> !" never appears raw
    assert "<à bientôt>" not in page and "&lt;à" in page
    assert "euh <bon>" not in page
    # every timed word is a span with data-start
    spans = [a for t, a in p.tags if t == "span" and "data-start" in a]
    assert len(spans) == sum(1 for w in al.words if w.timed)
    # flags highlighted and listed; unspoken greyed
    assert sum(1 for t, a in p.tags if t == "li" and "flag-item" in a.get("class", "")) == 3
    assert any("unspoken" in a.get("class", "") for t, a in p.tags)
    # the embedded VTT is the one given
    track = next(a for t, a in p.tags if t == "track")
    import base64

    vtt = base64.b64decode(track["src"].split(",", 1)[1]).decode("utf-8")
    assert vtt == formats.to_vtt(al.cues)
    # embedded JSON cues parse and cannot close the script early
    m = re.search(r'<script type="application/json" id="podalign-data">(.*?)</script>', page, re.S)
    data = json.loads(m.group(1))
    assert len(data["cues"]) == len(al.cues)
    assert "</" not in m.group(1)


def test_transcript_text_is_preserved():
    al, page = _page()
    m = re.search(r'<article id="transcript"[^>]*>(.*?)</article>', page, re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", m.group(1)))
    # the transcript's lines, minus insertion markers (heard-only text)
    for line in al.transcript.text.split("\n"):
        assert line in text.replace("+euh <bon> & co ", ""), line


def test_page_without_mismatches_or_cues():
    al = episode(cues=False)
    al.mismatches = []
    page = render_review_html(al, "a.mp3", formats.to_vtt([]))
    assert "No mismatches flagged." in page


def test_warnings_head_the_page():
    """A run that could only do part of its work (lost or missing audio) says so above the
    flags and the transcript, escaped; a run with none shows no such block."""
    from aligner.damage import RunWarning
    al = episode()
    al.warnings = [RunWarning("truncated-audio", 9.1, 15.2,
                              "the file ends at 0:09.10 <but> states 0:15.20: 6.1 s missing")]
    page = _page(al)[1]
    block = re.search(r'<ul id="warnings" role="alert">(.*?)</ul>', page)
    assert block and 'data-kind="truncated-audio"' in block.group(1)
    assert "&lt;but&gt; states 0:15.20" in block.group(1)
    assert page.index('id="warnings"') < page.index('id="flags"')
    assert 'id="warnings"' not in _page()[1]


# --------------------------------------------------------------------------------------------
# browser


@pytest.fixture
def site(tmp_path):
    al = episode(audio_path=str(tmp_path / "episode.wav"))
    write_wav(tmp_path / "episode.wav", seconds=60, rate=4000)
    write_outputs(al, tmp_path, "episode", ["vtt"])
    return tmp_path, al


def _chromium(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    profile = cwd / ".chromium-profile"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def _selftest(url: str, cwd: Path) -> dict:
    r = _chromium(["--dump-dom", "--virtual-time-budget=10000", url], cwd)
    m = re.search(r'<pre id="selftest">(.*?)</pre>', r.stdout, re.S)
    assert m, f"no selftest output (rc={r.returncode}): {r.stdout[-2000:]} {r.stderr[-2000:]}"
    return json.loads(html.unescape(m.group(1)))


def _check(res: dict, al) -> None:
    assert res["errors"] == []
    assert res["audioDuration"] == pytest.approx(60, abs=0.5)  # the audio loaded
    assert res["words"] == sum(1 for w in al.words if w.timed)
    assert res["flags"] == len(al.mismatches)
    assert res["unspokenSpans"] > 0
    # subtitles: the script-built track always; the data: <track> where the browser allows it
    assert res["scriptCues"] == len(al.cues)
    assert res["cuesLoaded"] == len(al.cues)
    assert res["textTracks"] >= 1
    # clicking a word seeks to its start
    assert res["wordSeek"]["ok"], res["wordSeek"]
    # the first flag's "play this" button seeks ~2 s before the flag and arms the stop ~2 s after
    fs = res["flagSeek"]
    first = min((m for m in al.mismatches if m.start is not None), key=lambda m: m.start)
    assert fs["currentTime"] == pytest.approx(max(0, first.start - 2), abs=0.05)
    assert fs["stopAt"] == pytest.approx(first.end + 2, abs=0.05)
    assert res["flagActive"]
    # the caption box shows the cue under the play head
    assert res["cueText"] == res["expectedCueText"] and res["cueText"]
    assert res["range"]["pausedAtEnd"]
    assert res["ok"] is True


@need_chromium
def test_browser_file_url(site):
    tmp, al = site
    url = (tmp / "episode.review.html").as_uri() + "?selftest=1"
    res = _selftest(url, tmp)
    _check(res, al)
    assert res["trackElementCues"] == len(al.cues)  # the data: URL track loads from file:// too
    assert res["seekMode"] == "native"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _http_server(root: Path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/episode.review.html", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("http.server did not start")
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@need_chromium
def test_browser_http(site):
    tmp, al = site
    with _http_server(tmp) as port:
        res = _selftest(f"http://127.0.0.1:{port}/episode.review.html?selftest=1", tmp)
    _check(res, al)
    assert res["trackElementCues"] == len(al.cues)
    # http.server has no range requests: the page falls back to a seekable blob: copy
    assert res["seekMode"] in ("native", "blob")


def _png_pixels(path: Path) -> tuple[int, int, bytes, int]:
    """Decode an 8-bit RGB/RGBA PNG with the stdlib; returns (width, height, raw scanlines)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    w = h = 0
    ctype = 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return w, h, zlib.decompress(idat), ctype


@need_chromium
def test_screenshot_not_blank(site):
    tmp, al = site
    shot = tmp / "shot.png"
    _chromium([f"--screenshot={shot}", "--window-size=1280,900", (tmp / "episode.review.html").as_uri()], tmp)
    assert shot.exists() and shot.stat().st_size > 20_000
    w, h, raw, ctype = _png_pixels(shot)
    assert (w, h) == (1280, 900)
    bpp = 4 if ctype == 6 else 3
    stride = 1 + w * bpp
    assert len(raw) == h * stride
    # many distinct byte values across rows -> text was drawn, not a blank page
    distinct_rows = {raw[r * stride:(r + 1) * stride] for r in range(0, h, 10)}
    assert len(distinct_rows) > 20
    assert len(set(raw)) > 50
