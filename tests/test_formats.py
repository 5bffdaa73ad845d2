"""Each format, read back with an independent parser."""
from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
import srt
import webvtt

from aligner import formats
from aligner.types import Cue
from fakes_subtitles import LONG_WORD, episode

TS = re.compile(r"<(\d\d):(\d\d):(\d\d)\.(\d\d\d)>")


@pytest.fixture(scope="module")
def al():
    return episode()


def _secs(h, m, s, ms):
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def test_srt_roundtrip_with_speaker_prefix(al):
    subs = list(srt.parse(formats.to_srt(al.cues)))
    assert len(subs) == len(al.cues)
    for s, c in zip(subs, al.cues):
        assert abs(s.start.total_seconds() - c.start) < 0.0015
        assert abs(s.end.total_seconds() - c.end) < 0.0015
    # prefix only on the first cue of each speaker run
    for k, (s, c) in enumerate(zip(subs, al.cues)):
        new_turn = k == 0 or al.cues[k - 1].speaker != c.speaker
        assert s.content.startswith(f"{c.speaker}: ") == new_turn, s.content
        body = s.content[len(c.speaker) + 2:] if new_turn else s.content
        assert body == c.text
    assert subs[0].content.startswith("Monde Numérique: Bonjour Aude Durand.")
    assert any("Aude Durand: " in s.content for s in subs)
    assert any("exactement ?" in s.content for s in subs)
    assert any("Merci & <à bientôt> !" in s.content for s in subs)  # SRT text stays raw


def test_srt_without_prefix(al):
    subs = list(srt.parse(formats.to_srt(al.cues, speaker_prefix=False)))
    assert [s.content for s in subs] == [c.text for c in al.cues]


def test_vtt_voice_tags_and_escaping(al):
    text = formats.to_vtt(al.cues)
    assert text.startswith("WEBVTT\n")
    v = webvtt.from_string(text)
    assert len(v.captions) == len(al.cues)
    for cap, c in zip(v.captions, al.cues):
        assert cap.voice == c.speaker
        assert html.unescape(cap.text) == c.text
        assert abs(cap.start_in_seconds - c.start) < 0.0015 or abs(_parse_ts(cap.start) - c.start) < 0.0015
        assert abs(_parse_ts(cap.end) - c.end) < 0.0015
    merci = [cap for cap in v.captions if "Merci" in cap.text][0]
    assert "&amp;" in merci.raw_text and "&lt;à" in merci.raw_text and "bientôt&gt;" in merci.raw_text
    assert "<à" not in merci.raw_text


def _parse_ts(s: str) -> float:
    h, m, rest = s.split(":")
    return int(h) * 3600 + int(m) * 60 + float(rest)


def test_vtt_buffer_parser_too(al):
    v = webvtt.from_buffer(io.StringIO(formats.to_vtt(al.cues, word_timing=True)))
    assert len(v.captions) == len(al.cues)


def test_vtt_word_timing(al):
    text = formats.to_vtt(al.cues, word_timing=True)
    v = webvtt.from_string(text)
    n_stamps = 0
    for cap, c in zip(v.captions, al.cues):
        assert cap.voice == c.speaker
        # tags stripped, the text is the cue text
        assert html.unescape(cap.text) == c.text
        stamps = [_secs(*m.groups()) for m in TS.finditer(cap.raw_text)]
        n_stamps += len(stamps)
        start, end = _parse_ts(cap.start), _parse_ts(cap.end)
        prev = start
        for t in stamps:
            assert prev < t < end, (cap.raw_text, start, end)
            prev = t
        # no timestamp before the first word
        body = cap.raw_text.split(">", 1)[1]
        assert not body.startswith("<0")
        # each stamp is the start of the word it precedes
        starts = {round(w.start, 3) for w in c.words if w.timed}
        assert all(round(t, 3) in starts for t in stamps)
        # the stamp sits right before the word it times
        for m in TS.finditer(cap.raw_text):
            after = html.unescape(cap.raw_text[m.end():])
            t = round(_secs(*m.groups()), 3)
            w = next(w for w in c.words if w.timed and round(w.start, 3) == t)
            assert after.startswith(w.token.text), (after, w.token.text)
    assert n_stamps > 50


def test_podcast_json_per_cue_and_word(al):
    d = json.loads(formats.to_podcast_json(al.cues))
    assert d["version"] == "1.0.0"
    segs = d["segments"]
    assert len(segs) == len(al.cues)
    for s, c in zip(segs, al.cues):
        assert set(s) == {"speaker", "startTime", "endTime", "body"}
        assert s["speaker"] == c.speaker and s["body"] == c.text.replace("\n", " ")
        assert s["startTime"] == round(c.start, 3) and s["endTime"] >= s["startTime"]
    w = json.loads(formats.to_podcast_json(al.words, per="word"))["segments"]
    timed = [x for x in al.words if x.timed]
    assert len(w) == len(timed)
    assert w[0]["body"] == timed[0].token.text
    # words given, per cue: cues are built
    again = json.loads(formats.to_podcast_json(al.words, per="cue"))["segments"]
    assert [s["body"] for s in again] == [s["body"] for s in segs]
    # cues given, per word
    w2 = json.loads(formats.to_podcast_json(al.cues, per="word"))["segments"]
    assert [s["body"] for s in w2] == [s["body"] for s in w]
    with pytest.raises(ValueError):
        formats.to_podcast_json(al.cues, per="line")


def test_txt_turns(al):
    t = formats.to_txt(al.words)
    paras = t.strip().split("\n\n")
    assert len(paras) == 5
    assert paras[0].startswith("[00:00:00] Monde Numérique: Bonjour Aude Durand.")
    assert paras[1].startswith("[00:00:12] Aude Durand: Alors KYUTAI")
    assert "« C'est " + LONG_WORD + " » voilà !" in paras[2]  # untimed tokens kept in the text
    assert "Qu'est-ce que Kyutai ?" not in t  # header is unspoken
    for p in paras:
        assert re.match(r"\[\d\d:\d\d:\d\d\] [^:]+: ", p)
    tc = formats.to_txt(al.cues)
    assert len(tc.strip().split("\n\n")) == 5


def test_full_json_schema(al):
    d = json.loads(formats.to_json(al))
    for key in ["words", "cues", "mismatches", "unspoken", "audio", "transcript", "language", "duration",
                "model", "device", "compute_type", "matched_fraction", "timings", "heard", "summary"]:
        assert key in d, key
    spoken = [w for w in al.words if w.reason != "unspoken"]
    assert len(d["words"]) == len(spoken)
    text = al.transcript.text
    for jw, w in zip(d["words"], spoken):
        assert {"text", "start", "end", "char_start", "char_end", "speaker", "confidence"} <= set(jw)
        assert text[jw["char_start"]:jw["char_end"]] == jw["text"]
        if w.timed:
            assert jw["start"] == round(w.start, 3)
        else:
            assert jw["start"] is None and jw["end"] is None and jw["reason"] in ("omitted", "unaligned")
    assert [c["text"] for c in d["cues"]] == [c.text for c in al.cues]
    assert set(d["cues"][0]) == {"start", "end", "speaker", "text"}
    m = d["mismatches"]
    assert len(m) == 3
    assert set(m[0]) == {"kind", "category", "start", "end", "char_start", "char_end", "transcript_text",
                         "heard_text", "confidence", "context", "suggestion", "evidence"}
    assert m[2]["char_start"] is None
    assert d["unspoken"][0]["text"].startswith("Qu'est-ce que Kyutai")
    assert d["timings"]["transcribe"] == 1.235
    assert d["matched_fraction"] == 0.912
    assert d["summary"]["mismatches"] == 3 and d["summary"]["cues"] == len(al.cues)
    assert set(d["heard"][0]) == {"text", "start", "end", "probability"}
    raw = formats.to_json(al)
    assert "Numérique" in raw  # ensure_ascii=False
    # every float has at most 3 decimals
    for num in re.findall(r"-?\d+\.\d+", raw):
        assert len(num.split(".")[1]) <= 3, num


def test_csv_columns(al):
    rows = list(csv.DictReader(io.StringIO(formats.to_csv(al.mismatches))))
    assert list(rows[0].keys()) == ["start", "end", "kind", "category", "published", "heard", "confidence", "context",
                                    "suggestion"]
    assert len(rows) == 3
    assert rows[0]["published"] == "Kyutai" and rows[0]["heard"] == "Kyuta"
    assert float(rows[0]["start"]) == round(al.mismatches[0].start, 3)
    assert rows[1]["published"] == "Iliad," and rows[1]["context"] == "du groupe Iliad, responsable"
    assert rows[2]["heard"] == "euh <bon> & co"
    assert formats.to_csv([]).strip() == "start,end,kind,category,published,heard,confidence,context,suggestion"


def test_empty_and_odd_cues():
    assert formats.to_vtt([]).startswith("WEBVTT")
    assert list(srt.parse(formats.to_srt([]))) == []
    cues = [Cue(0.0, 0.0, None, "a\n\nb"), Cue(1.0, 2.0, "X <y>", "-->")]
    v = webvtt.from_string(formats.to_vtt(cues))
    assert len(v.captions) == 2
    assert html.unescape(v.captions[1].text) == "-->"
    subs = list(srt.parse(formats.to_srt(cues)))
    assert subs[0].content == "a\nb"
