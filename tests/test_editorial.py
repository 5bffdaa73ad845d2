"""The bench's seeded generator of editorial errors (bench/editorial.py): every difference it
writes in is listed in the truth at the right characters, a wrong word sounds different, the
same seed gives the same transcript."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
pytest.importorskip("faker")
from bench import editorial as E  # noqa: E402
from aligner.phonetics import sound_similarity  # noqa: E402

LINES = [
    "Alice : Le budget de la mission atteint trois cents millions cette année selon Bruno Martin.",
    "Bruno : Le lanceur Ariane décollera depuis Kourou en Guyane avec douze satellites à bord.",
    "Alice : Merci Bruno, nous suivrons ce lancement avec beaucoup d'attention et de plaisir.",
    "Bruno : Le directeur Philippe Baptiste annonce quarante missions pour la décennie prochaine.",
    "Alice : Les ingénieurs de Toulouse travaillent déjà sur le successeur du moteur Vulcain.",
]


def _recording() -> E.Recording:
    text = "\n".join(LINES) + "\n"
    segs, words, t, pos = [], [], 0.0, 0
    for k, line in enumerate(LINES):
        a = pos + line.index(": ") + 2
        b = pos + len(line)
        segs.append({"start": t, "end": t + 6.0, "speaker": line.split(" :")[0], "src": [a, b]})
        for m in E.WORD_RE.finditer(text, a, b):  # one word every 0.4 s
            words.append({"char_start": m.start(), "char_end": m.end(), "start": t, "end": t + 0.35})
            t += 0.4
        t += 1.0
        pos = b + 1
    return E.Recording("test", "fr", text, segs, words)


def test_every_edit_is_in_the_truth_at_its_characters():
    rec = _recording()
    pool, turns = E.pools([rec])
    text, truth, known = E.make_variant(rec, 1, pool["fr"], E.others_for(rec, turns))
    assert text != rec.text and truth["expected"]
    for e in truth["expected"]:
        a, b = e["transcript_span"]
        assert text[a:b] == e["transcript_text"]
        if e["kind"] == "substitution":
            assert e["spoken_text"] in rec.text and e["transcript_text"] != e["spoken_text"]
        if e.get("generator_kind") == "word":
            assert sound_similarity(e["transcript_text"], e["spoken_text"], "fr") < E.WORD_MAX_SOUND
        if e["kind"] == "insertion":
            assert a == b and e["spoken_text"] and e["end"] > e["start"]
        if e["kind"] == "omission":
            assert e["transcript_text"] and e["start"] == e["end"]
    # header and credits are listed as never said
    (h0, h1), (c0, c1) = truth["unspoken"]
    assert h0 == 0 and text[h0:h1].startswith("Épisode") and text[c0:c1].startswith("Merci d'avoir")
    # each remaining turn's span still holds that turn's text
    for seg in truth["segments"]:
        a, b = seg["src"]
        assert text[a:b].strip() and "\n" not in text[a:b]


def test_the_same_seed_gives_the_same_variant_and_the_clean_one_is_untouched():
    rec = _recording()
    pool, turns = E.pools([rec])
    one = E.make_variant(rec, 1, pool["fr"], E.others_for(rec, turns))
    again = E.make_variant(rec, 1, pool["fr"], E.others_for(rec, turns))
    other = E.make_variant(rec, 2, pool["fr"], E.others_for(rec, turns))
    assert one[0] == again[0] and one[1] == again[1]
    assert other[0] != one[0]
    text, truth, known = E.make_variant(rec, 0, pool["fr"], [])
    assert text == rec.text and truth["expected"] == [] and truth["unspoken"] == []
