"""Names the producer knows (no model: espeak-ng phonemes and stand-in measurements only)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from aligner import formats, names
from aligner.errors import InputNotFound
from aligner.forced import Rival, RivalFit, WordFit
from aligner.transcript import parse_transcript
from aligner.types import HeardWord, Mismatch
from conftest import run_cli

TEXT = (
    "Le labo Kyutai de Xavier Niel\n"
    "Avec Bernhard Schölkopf et d'Aude Durand (Iliad).\n"
    "Monde Numérique : Bonjour. Que dit Kyuta ce matin ?\n"
    "Aude Durand : Comme le disait Jensen Wang, Bernard Bernard Chochoy est allemand. "
    "Et Kyutai aussi, avec Michel Dupont.\n"
)


@pytest.fixture(scope="module")
def tr():
    return parse_transcript(TEXT, language="fr")


def test_parse_names_skips_blanks_comments_and_repeats():
    assert names.parse_names("# guests\nJensen  Huang\n\n  Bernhard Schölkopf \njensen huang\nC#\n") \
        == ["Jensen Huang", "Bernhard Schölkopf", "C#"]


def test_read_names_file(tmp_path):
    p = tmp_path / "names.txt"
    p.write_bytes("\ufeffJensen Huang\r\n# x\r\nSchölkopf\r\n".encode("utf-8"))
    assert names.read_names(p) == ["Jensen Huang", "Schölkopf"]


@pytest.mark.parametrize("make,words", [
    (lambda d: d / "missing.txt", "not found"),
    (lambda d: d, "folder"),
    (lambda d: (d / "latin1.txt", (d / "latin1.txt").write_bytes("Schölkopf".encode("latin-1")))[0],
     "not UTF-8"),
])
def test_read_names_bad_file(tmp_path, make, words):
    with pytest.raises(InputNotFound, match=words):
        names.read_names(make(tmp_path))


def test_header_names_said_or_not(tr):
    found = names.header_names(tr, "fr")
    assert "Xavier Niel" in found and "Bernhard Schölkopf" in found and "Iliad" in found
    assert "Aude Durand" in found  # "d'Aude": the elided article is not part of the name


def test_body_only_names_are_never_known(tr):
    known = names.known_names(tr, ["Jensen Huang"], "fr")
    assert known[0] == "Jensen Huang"  # the producer's names first
    for body_only in ("Jensen Wang", "Chochoy", "Kyuta", "Michel Dupont", "Dupont"):
        assert not any(body_only in k.split() or body_only == k for k in known)
    hot = names.hotwords(known)
    assert "Jensen Huang" in hot and "Wang" not in hot and "Chochoy" not in hot
    assert names.hotwords(names.known_names(parse_transcript("A : Michel Dupont ici.\n"), [])) is None


def test_hotwords_stay_short():
    hot = names.hotwords(["Jensen Huang"] + [f"Name{k:03d} Surname" for k in range(100)])
    assert hot.startswith("Jensen Huang") and len(hot) <= names.MAX_HOTWORD_CHARS


def test_published_names_matched_to_known_ones(tr):
    known = names.known_names(tr, ["Jensen Huang"], "fr")
    body = [t.index for t in tr.tokens]
    got = {m.published: m for m in names.name_matches(tr, body, known, "fr")}
    assert set(got) == {"Kyuta", "Jensen Wang", "Bernard Chochoy"}  # not Kyutai, Dupont, Durand
    m = got["Bernard Chochoy"]
    assert m.known == "Bernhard Schölkopf" and tr.text[m.char_start:m.char_end] == "Bernard Chochoy"
    assert got["Jensen Wang"].rival == "Jensen Huang,"  # the comma stays where it was
    assert names.rivals([m])[m.first] == [(m.end, "Bernhard Schölkopf")]


def _decide(tr, m, gain, sound=None):
    if sound is not None:
        m = names.NameMatch(**{**m.__dict__, "sound": sound})
    fits = {i: WordFit(i, 10.0 + i, 10.5 + i, 0.5, -2.0, 0.5) for i in range(m.first, m.end)}
    rf = RivalFit(Rival(0, 1, m.rival, m.first, m.end), published_lp=-8.0, rival_lp=-8.0 + gain)
    heard = [HeardWord("Bernard", 10.0 + m.first, 10.4 + m.first, 0.9, "bernard")]
    return names.decide_names(tr, [m], {(m.first, m.rival): rf}, fits, heard)


def test_flag_suggests_the_known_spelling_unless_the_audio_clearly_prefers_the_published(tr):
    known = ["Bernhard Schölkopf"]
    m = names.name_matches(tr, [t.index for t in tr.tokens], known, "fr")[0]
    [flag] = _decide(tr, m, gain=1.5)
    assert flag.category == "name" and flag.suggestion == "Bernhard Schölkopf"
    assert flag.transcript_text == "Bernard Chochoy" and flag.heard_text == "Bernard"
    assert flag.evidence["rival_gain"] == 1.5 and flag.evidence["gain_per_word"] == 0.75 and flag.evidence["known_name"] == "Bernhard Schölkopf"
    assert flag.confidence > _decide(tr, m, gain=-1.5)[0].confidence >= 0.5  # per word: -0.75
    assert _decide(tr, m, gain=-3.0) == []  # another name, said as published (-1.5 a word)
    assert _decide(tr, m, gain=-3.0, sound=0.95)  # sounds the same: the audio cannot tell


def test_a_known_name_never_hides_a_flag():
    old = Mismatch("substitution", "word", 1.0, 2.0, 10, 14, "Wang", "Wong", 0.7)
    new = Mismatch("substitution", "name", 0.5, 2.0, 3, 14, "Jensen Wang", "", 0.6,
                   evidence={"rival_gain": 1.0}, suggestion="Jensen Huang")
    [merged] = names.merge([old], [new])
    assert (merged.char_start, merged.confidence, merged.suggestion) == (10, 0.7, "Jensen Huang")
    assert merged.category == "name" and merged.evidence["known_name"] == {"rival_gain": 1.0}
    elsewhere = Mismatch("substitution", "name", 5.0, 6.0, 30, 35, "Kyuta", "", 0.6)
    assert names.merge([old], [elsewhere]) == [old, elsewhere]


def test_json_and_csv_carry_the_suggestion():
    m = Mismatch("substitution", "name", 1.0, 2.0, 3, 14, "Jensen Wang", "Jensen One", 0.6,
                 "…[Jensen Wang]…", suggestion="Jensen Huang")
    assert formats.mismatch_dict(m)["suggestion"] == "Jensen Huang"
    rows = list(csv.DictReader(io.StringIO(formats.to_csv([m, Mismatch(
        "insertion", "segment", 0.0, 3.0, None, None, "", "ad", 0.9)]))))
    assert list(rows[0])[-1] == "suggestion" and list(rows[0])[:8] == formats.CSV_COLUMNS[:8]
    assert rows[0]["suggestion"] == "Jensen Huang" and rows[1]["suggestion"] == ""
    assert json.loads(json.dumps(formats.mismatch_dict(Mismatch(
        "omission", "word", 0.0, 0.0, 0, 1, "x", "", 0.9))))["suggestion"] is None


def test_cli_bad_names_file(clip, tmp_path):
    audio, text = clip
    out = tmp_path / "out"
    res = run_cli("align", str(audio), str(text), "-o", str(out), "--names", str(tmp_path / "no.txt"))
    assert res.returncode == 3, res.stderr
    lines = [line for line in res.stderr.strip().splitlines() if line.strip()]
    assert lines == [f"podalign: error: names file not found: {tmp_path / 'no.txt'}"]
    assert not out.exists()
