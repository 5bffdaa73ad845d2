"""Decisions and ``podalign apply``: spans, the original's encoding and layout kept, refusals
with exit 5, --accept-all-above, and ``align --decisions``'s filter of kept flags."""
from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aligner import decisions as D
from aligner.cli import main
from aligner.errors import DecisionsError, DecisionsMismatch

TEXT = ("Résumé : Jensen Wang parle.\r\n\r\n"
        "Alice : Bonjour à tous, Jensen Wang est là.\r\n"
        "Bob : Merci beaucoup, et le mois de mai dix-huit.\r\n")


def words_of(text: str, skip_first_line: bool = True):
    """(char_start, char_end, start) of every body word, 0.5 s apart."""
    body = text.index("Alice")
    out, t, pos = [], 1.0, body
    for w in text[body:].split():
        a = text.index(w, pos)
        pos = a + len(w)
        if w.endswith(":"):
            continue
        out.append((a, pos, t))
        t += 0.5
    return out


WORDS = words_of(TEXT)


def flag(kind, word, heard, conf, suggestion=None, start=None):
    if word is None:
        return {"kind": kind, "char_start": None, "char_end": None, "start": start, "end": start,
                "transcript_text": "", "heard_text": heard, "confidence": conf, "suggestion": suggestion}
    a = TEXT.index(word, TEXT.index("Alice"))
    t = next(t for s, _, t in WORDS if s == a)
    return {"kind": kind, "char_start": a, "char_end": a + len(word), "start": t, "end": t + 0.4,
            "transcript_text": word, "heard_text": heard, "confidence": conf, "suggestion": suggestion}


FLAGS = [flag("substitution", "Wang", "Huang", 0.95),
         flag("omission", "beaucoup,", "", 0.6),
         flag("substitution", "dix-huit.", "dix-sept", 0.92),
         flag("insertion", None, "[en] really", 0.91, start=next(t for s, _, t in WORDS if TEXT[s:].startswith("mois")) - 0.1)]


def write_case(tmp: Path, data: bytes, name="ep.txt") -> tuple[Path, Path]:
    t = tmp / name
    t.write_bytes(data)
    al = {"schema_version": 3, "transcript": str(t), "transcript_sha256": D.sha256_text(data),
          "words": [{"char_start": a, "char_end": b, "start": s} for a, b, s in WORDS], "mismatches": FLAGS}
    j = tmp / "ep.json"
    j.write_text(json.dumps(al), encoding="utf-8")
    return t, j


def decisions_file(tmp: Path, data: bytes, items: list[D.Decision], text: str = TEXT) -> Path:
    p = tmp / "DECISIONS.json"
    p.write_text(D.to_json(D.Decisions(D.sha256_text(data), len(text), items)), encoding="utf-8")
    return p


def choice(f: dict, text: str = TEXT) -> D.FlagChoices:
    return D.choices_for(f, text, WORDS)


def decide(f: dict, action: str, text: str = TEXT, own: str | None = None) -> D.Decision:
    ch = choice(f, text)
    c = {"keep": ch.keep, "heard": ch.heard, "suggestion": ch.suggestion}.get(action)
    if action == "edit":
        c = D.Choice(ch.keep.char_start, ch.keep.char_end, own)
    return D.Decision(c.char_start, c.char_end, c.text, action, ch.ref)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------------------------------------
# pure


def test_choices_keep_punctuation_and_case_and_clean_spaces():
    assert D.carry_form("Wang,", "huang") == "Huang,"
    assert D.carry_form("«Wang»", "Huang") == "«Huang»"
    assert D.carry_form("dix-huit.", "17") == "17."
    sub = choice(FLAGS[0])
    assert (sub.heard.text, sub.keep.text) == ("Huang", "Wang")
    om = choice(FLAGS[1])
    assert TEXT[om.heard.char_start:om.heard.char_end] == "beaucoup, " and om.heard.text == ""
    ins = choice(FLAGS[3])
    assert ins.heard == D.Choice(TEXT.index("mois"), TEXT.index("mois"), "really ")  # no "[en]"
    assert D.apply_text(TEXT, [decide(f, "heard") for f in FLAGS]) == TEXT.replace(
        "Alice : Bonjour à tous, Jensen Wang", "Alice : Bonjour à tous, Jensen Huang").replace(
        "Merci beaucoup, et le mois de mai dix-huit.", "Merci et le really mois de mai dix-sept.")


def test_insertion_after_the_last_word_goes_at_the_end():
    f = flag("insertion", None, "merci", 0.9, start=99.0)
    ch = choice(f)
    assert ch.insertion_trailing and ch.heard.text == " merci"
    assert D.apply_text(TEXT, [decide(f, "heard")]).endswith("dix-huit. merci\r\n")


def test_keep_changes_nothing_and_overlaps_are_refused():
    assert D.apply_text(TEXT, [decide(f, "keep") for f in FLAGS]) == TEXT
    a = TEXT.index("Wang", 40)
    with pytest.raises(DecisionsError):
        D.apply_text(TEXT, [D.Decision(a, a + 4, "X", "edit"), D.Decision(a + 2, a + 8, "Y", "word")])


def test_a_corrected_copy_is_recognised_and_kept_spans_follow_it():
    items = [decide(FLAGS[0], "heard"), decide(FLAGS[1], "keep"), decide(FLAGS[3], "heard")]
    dec = D.Decisions(D.sha256_text(TEXT.encode()), len(TEXT), items)
    fixed = D.apply_text(TEXT, items)
    m = D.span_map(dec, "another sha", fixed)
    kept = D.kept_spans(dec, fixed, m)
    (kind, a, b), = kept
    assert kind == "omission" and fixed[a:b] == "beaucoup,"
    same = D.span_map(dec, dec.transcript_sha256, TEXT)
    assert D.kept_spans(dec, TEXT, same) == {("omission", TEXT.index("beaucoup,"), TEXT.index("beaucoup,") + 9)}
    with pytest.raises(DecisionsMismatch):  # neither the original nor its corrected copy
        D.span_map(dec, "another sha", fixed.replace("Huang", "Hwang"))


def test_a_bad_decisions_file_is_one_line():
    for bad in ("{", "[]", json.dumps({"format": "x"}),
                json.dumps({"format": D.FORMAT, "version": 1, "transcript_sha256": "0" * 64,
                            "transcript_chars": 3, "decisions": [{"char_start": 2, "char_end": 1,
                                                                   "text": "", "action": "edit"}]})):
        with pytest.raises(DecisionsError):
            D.from_json(bad)


# ------------------------------------------------------------------------------------------------
# podalign apply


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16"])
def test_apply_keeps_encoding_bom_and_line_endings(tmp_path, encoding):
    data = TEXT.encode(encoding)
    t, j = write_case(tmp_path, data)
    d = decisions_file(tmp_path, data, [decide(FLAGS[0], "heard"), decide(FLAGS[1], "heard"),
                                        decide(FLAGS[2], "keep")])
    before = [p.read_bytes() for p in (t, j, d)]
    out = tmp_path / "fixed.txt"
    r = run("apply", j, d, "-o", out)
    assert r.exit_code == 0, r.output
    want = TEXT.replace("Jensen Wang est", "Jensen Huang est").replace("Merci beaucoup, et", "Merci et")
    assert out.read_bytes() == want.encode(encoding)
    if encoding != "cp1252":
        assert out.read_bytes()[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF8[:2])
    assert [p.read_bytes() for p in (t, j, d)] == before  # inputs never modified
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_apply_refuses_text_the_encoding_cannot_hold(tmp_path):
    data = TEXT.encode("cp1252")
    t, j = write_case(tmp_path, data)
    d = decisions_file(tmp_path, data, [decide(FLAGS[0], "edit", own="Huáng Łukasz")])
    r = run("apply", j, d, "-o", tmp_path / "fixed.txt")
    assert r.exit_code == 5 and "cannot hold 'Ł'" in r.output
    assert not (tmp_path / "fixed.txt").exists()


def test_apply_refuses_decisions_for_another_transcript(tmp_path):
    data = TEXT.encode("utf-8")
    t, j = write_case(tmp_path, data)
    d = decisions_file(tmp_path, b"another text", [decide(FLAGS[0], "heard")])
    r = run("apply", j, d, "-o", tmp_path / "fixed.txt")
    assert r.exit_code == 5 and "another transcript" in r.output
    t.write_bytes(data.replace(b"Bob", b"Rob"))  # the transcript changed since the alignment
    r = run("apply", j, "-o", tmp_path / "fixed.txt")
    assert r.exit_code == 5 and "is not the transcript" in r.output


def test_apply_other_errors_have_their_codes(tmp_path):
    data = TEXT.encode("utf-8")
    t, j = write_case(tmp_path, data)
    assert run("apply", j, tmp_path / "missing.json", "-o", tmp_path / "x").exit_code == 3
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    r = run("apply", j, tmp_path / "bad.json", "-o", tmp_path / "x")
    assert r.exit_code == 13 and r.output.count("\n") == 1
    assert run("apply", j, "-o", t).exit_code == 7  # never over an input
    assert t.read_bytes() == data


def test_accept_all_above(tmp_path):
    data = TEXT.encode("utf-8")
    t, j = write_case(tmp_path, data)
    d = decisions_file(tmp_path, data, [decide(FLAGS[2], "keep")])  # dix-huit: a person kept it
    out = tmp_path / "fixed.txt"
    r = run("apply", j, d, "--accept-all-above", "0.9", "-o", out)
    assert r.exit_code == 0, r.output
    # Wang (0.95) and the insertion (0.91) accepted; dix-huit (0.92) kept as decided;
    # beaucoup (0.6) under the bar
    assert out.read_bytes().decode("utf-8") == TEXT.replace(
        "Jensen Wang est", "Jensen Huang est").replace("le mois", "le really mois")
    r = run("apply", j, "--accept-all-above", "0.93", "-o", out)  # no DECISIONS.json at all
    assert r.exit_code == 0
    assert out.read_bytes().decode("utf-8") == TEXT.replace("Jensen Wang est", "Jensen Huang est")


def test_accept_all_above_prefers_the_known_spelling(tmp_path):
    FLAGS.append(flag("substitution", "Jensen", "Jenson", 0.99, suggestion="Jensen-X"))
    try:
        data = TEXT.encode("utf-8")
        t, j = write_case(tmp_path, data)
        out = tmp_path / "fixed.txt"
        assert run("apply", j, "--accept-all-above", "0.98", "-o", out).exit_code == 0
        assert out.read_bytes().decode("utf-8") == TEXT.replace(
            "tous, Jensen Wang", "tous, Jensen-X Wang")
    finally:
        FLAGS.pop()


# ------------------------------------------------------------------------------------------------
# align --decisions


def test_kept_flags_are_hidden_on_the_corrected_copy(tmp_path):
    from aligner.episode import without_kept
    from aligner.transcript import parse_transcript
    from aligner.types import Alignment, Mismatch, TimedWord

    items = [decide(FLAGS[0], "heard"), decide(FLAGS[1], "keep")]
    dec = D.Decisions(D.sha256_text(TEXT.encode()), len(TEXT), items)
    fixed = D.apply_text(TEXT, items)
    tr = parse_transcript(fixed, "utf-8", "fr")
    words = [TimedWord(tok, 1.0 + i, 1.3 + i, 0.9) for i, tok in enumerate(tr.tokens)]
    a = fixed.index("beaucoup,")
    b_ = fixed.index("mai")
    flags = [Mismatch("omission", "word", 5.0, 5.3, a, a + 9, "beaucoup,", "", 0.6),
             Mismatch("substitution", "word", 6.0, 6.3, b_, b_ + 3, "mai", "juin", 0.8),
             Mismatch("substitution", "word", 5.0, 5.3, a, a + 9, "beaucoup,", "beau", 0.6)]
    al = Alignment("a.wav", "t.txt", tr, "fr", 20.0, words, [], flags, [], transcript_sha256="x" * 64)
    left = without_kept(al, dec)
    assert [m.transcript_text for m in left] == ["mai", "beaucoup,"]  # same span, other kind: shown
    with pytest.raises(DecisionsMismatch):
        al.transcript = parse_transcript(TEXT.replace("Bob", "Rob"), "utf-8", "fr")
        without_kept(al, dec)


def test_align_refuses_decisions_for_another_transcript_before_any_work(tmp_path):
    data = TEXT.encode("utf-8")
    t, _ = write_case(tmp_path, data)
    d = decisions_file(tmp_path, b"another", [decide(FLAGS[0], "heard")], text="x" * 10)
    # the audio does not even exist: the refusal comes first
    r = run("align", tmp_path / "none.wav", t, "--decisions", d, "-o", tmp_path / "out")
    assert r.exit_code == 5 and "another transcript" in r.output
    r = run("align", tmp_path / "none.wav", t, "--decisions", tmp_path / "no.json", "-o", tmp_path / "out")
    assert r.exit_code == 3
