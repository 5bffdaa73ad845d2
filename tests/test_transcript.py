import codecs

import pytest

from aligner import errors
from aligner.transcript import decode_transcript, parse_transcript, read_transcript

SEED = (
    "Qu'est-ce que Kyutai et Ă quoi va servir ce nouveau centre ?\n"
    "🎙 Interview d'Aude Durand, directrice générale adjointe du groupe Iliad.\n"
    "Monde Numérique : Bonjour Aude Durand :. Vous êtes directrice. Mais qu'est ce que c'est exactement ?\n"
    "Aude Durand : Alors KYUTAI c'est une équipe, c'est-à -dire voilà , en open source.\n"
    "Et puis un deuxième paragraphe du même tour.\n"
    "Monde Numérique : Merci beaucoup. Aude Durand :, directrice générale adjointe.\n"
)


def _check_offsets(t):
    for tok in t.tokens:
        assert t.text[tok.char_start:tok.char_end] == tok.text
    assert [tok.index for tok in t.tokens] == list(range(len(t.tokens)))


def test_seed_labels_turns_and_header():
    t = parse_transcript(SEED, language="fr")
    _check_offsets(t)
    assert t.speakers == ["Monde Numérique", "Aude Durand"]
    assert [ln.speaker for ln in t.lines] == [
        None, None, "Monde Numérique", "Aude Durand", "Aude Durand", "Monde Numérique"]
    assert [ln.header for ln in t.lines] == [True, True, False, False, False, False]
    # label span covers "Name :" including the colon
    l2 = t.lines[2]
    assert t.text[l2.label[0]:l2.label[1]] == "Monde Numérique :"
    assert t.lines[4].label is None  # multi-paragraph turn
    # label-like text inside a line is spoken text, not a new turn
    words2 = [tok.text for tok in t.tokens if tok.line == 2]
    assert words2[:4] == ["Bonjour", "Aude", "Durand :.", "Vous"]
    assert "Monde" not in words2
    words5 = [tok.text for tok in t.tokens if tok.line == 5]
    assert words5[:4] == ["Merci", "beaucoup.", "Aude", "Durand :,"]
    assert all(tok.speaker == "Monde Numérique" for tok in t.tokens if tok.line == 5)
    assert all(tok.header and tok.speaker is None for tok in t.tokens if tok.line < 2)


def test_lone_punctuation_attached():
    t = parse_transcript(SEED, language="fr")
    texts = [tok.text for tok in t.tokens]
    assert "centre ?" in texts  # attached to the previous word
    assert "exactement ?" in texts
    assert "🎙 Interview" in texts  # no previous word on the line: to the next one
    assert "voilà ," in texts
    assert "-dire" in texts  # "c'est-à -dire": the stray space splits the word
    assert "?" not in texts and "🎙" not in texts
    tok = next(tok for tok in t.tokens if tok.text == "centre ?")
    assert tok.norm == "centre"
    assert next(tok for tok in t.tokens if tok.text == "Ă").norm == "a"


def test_line_with_only_punctuation_is_dropped_from_tokens():
    t = parse_transcript("A : bonjour\n— ?\nB : salut\nA : oui\nB : non\n")
    assert [tok.text for tok in t.tokens] == ["bonjour", "salut", "oui", "non"]
    assert len(t.lines) == 5


def test_no_labels_means_no_header():
    t = parse_transcript("Un titre\n\nle texte lu sans étiquette.\n", language="fr")
    assert t.speakers == []
    assert all(not ln.header and ln.speaker is None for ln in t.lines)
    assert all(not tok.header for tok in t.tokens)


def test_english_label_without_space_and_single_speaker():
    t = parse_transcript("Alvin Lucier: I am sitting in a room.\nDifferent from the one you are in now.\n")
    assert t.speakers == ["Alvin Lucier"]
    assert [ln.speaker for ln in t.lines] == ["Alvin Lucier", "Alvin Lucier"]
    assert t.tokens[0].text == "I"


def test_numbered_speakers_and_header_line():
    text = ("Dix phrases lues, extraites du corpus FLEURS.\n\n"
            "Lecteur 1 : l'accident a eu lieu\nLecteur 2 : le score a atteint 6-6\n"
            "Lecteur 1 : dix-huit personnes\n")
    t = parse_transcript(text, language="fr")
    assert t.speakers == ["Lecteur 1", "Lecteur 2"]
    assert t.lines[0].header and t.lines[0].speaker is None
    assert next(tok for tok in t.tokens if tok.text == "6-6").norm == "six six"


def test_nbsp_before_colon_and_times_are_not_labels():
    text = "Marie\u00a0: bonjour\nPaul\u202f: rendez-vous à 10:30 demain\nMarie : ok\n10:30 : début\n"
    t = parse_transcript(text, language="fr")
    assert t.speakers == ["Marie", "Paul"]
    assert t.lines[3].label is None and t.lines[3].speaker == "Marie"


def test_note_at_top_is_not_a_speaker():
    text = "Note: this is an edited transcript.\nHost: Welcome.\nGuest: Thanks.\nHost: Bye.\nGuest: Bye.\n"
    t = parse_transcript(text, language="en")
    assert t.speakers == ["Host", "Guest"]
    assert t.lines[0].header and t.lines[0].label is None


def test_sentence_with_colon_is_not_a_label():
    text = "Host: Hi.\nHe said this, and more: it works.\nHost: yes\nWhy not? Because: no\nHost: ok\n"
    t = parse_transcript(text, language="en")
    assert t.speakers == ["Host"]
    assert [ln.label is not None for ln in t.lines] == [True, False, True, False, True]


def test_crlf_offsets_kept():
    text = "Monde Numérique : Bonjour ?\r\nAude Durand : Alors\r\nsuite\r\n"
    t = parse_transcript(text)
    _check_offsets(t)
    assert [tok.text for tok in t.tokens] == ["Bonjour ?", "Alors", "suite"]
    assert t.tokens[1].char_start == text.index("Alors")
    assert t.tokens[2].char_start == text.index("suite")
    assert t.lines[0].char_end == text.index("\r\n")
    assert "\r\n" in t.text


def test_decode_utf8_bom_and_plain():
    assert decode_transcript(codecs.BOM_UTF8 + "été\r\n".encode()) == ("été\r\n", "utf-8-sig")
    assert decode_transcript("été".encode()) == ("été", "utf-8")


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_decode_utf16(enc):
    text = "Aude Durand : c'est l'été\r\nsuite"
    bom = codecs.BOM_UTF16_LE if enc.endswith("le") else codecs.BOM_UTF16_BE
    assert decode_transcript(bom + text.encode(enc))[0] == text
    assert decode_transcript(text.encode(enc)) == (text, enc)  # no BOM: NUL bytes


def test_decode_cp1252():
    text, enc = decode_transcript("Créé à l’œuvre".encode("cp1252"))
    assert (text, enc) == ("Créé à l’œuvre", "cp1252")


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n", b"\x00\x01\x02\x03binary\x00\x00\x05"])
def test_decode_errors(data):
    with pytest.raises(errors.TranscriptError):
        decode_transcript(data)


def test_read_transcript(tmp_path):
    p = tmp_path / "t.txt"
    data = codecs.BOM_UTF8 + "Hôte : bonjour\r\nInvité : salut\r\n".encode()
    p.write_bytes(data)
    t = read_transcript(p, language="fr")
    assert t.encoding == "utf-8-sig" and t.text.startswith("Hôte")
    assert t.language_hint == "fr"
    assert p.read_bytes() == data
    with open(p, encoding=t.encoding, newline="") as f:
        assert f.read() == t.text


def test_read_transcript_missing_and_folder(tmp_path):
    with pytest.raises(errors.InputNotFound, match="nope.txt"):
        read_transcript(tmp_path / "nope.txt")
    with pytest.raises(errors.InputNotFound):
        read_transcript(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(errors.TranscriptError):
        read_transcript(empty)


def test_mojibake_repaired_in_norm_only():
    t = parse_transcript("Il a crÃ©Ã© Kyutai")
    tok = t.tokens[2]
    assert tok.text == "crÃ©Ã©" and tok.norm == "cree"


def test_labels_in_markdown_bold_and_with_a_role():
    tr = parse_transcript("Titre\n**Aude Durand :** Bonjour à tous.\n**Paul Martin** : Merci.\n"
                          "Aude Durand (Kyutai) : Oui.\n__Paul Martin__: Non.\n", language="fr")
    assert tr.speakers == ["Aude Durand", "Paul Martin"]
    assert [(t.text, t.speaker) for t in tr.tokens] == [
        ("Titre", None), ("Bonjour", "Aude Durand"), ("à", "Aude Durand"), ("tous.", "Aude Durand"),
        ("Merci.", "Paul Martin"), ("Oui.", "Aude Durand"), ("Non.", "Paul Martin")]


def test_a_parenthesis_before_a_colon_inside_a_turn_is_text():
    tr = parse_transcript("Aude : Bonjour\nAude : il a dit (en riant) : non\n", language="fr")
    assert [t.text for t in tr.tokens] == ["Bonjour", "il", "a", "dit", "(en", "riant) :", "non"]


def test_an_episode_number_before_a_colon_is_a_title_not_a_speaker():
    text = ("Episodio 235: Viajeros del mundo\nEn este episodio hablamos de viajes.\n"
            "Lector 1 : se recomienda a los viajeros\nLector 2 : el uso de los blogs\n")
    t = parse_transcript(text, language="es")
    assert [ln.header for ln in t.lines] == [True, True, False, False]
    assert t.speakers == ["Lector 1", "Lector 2"]
    # a speaker numbered the same way is still one
    t = parse_transcript("Speaker 1: hello there\nSpeaker 2: hi\n", language="en")
    assert t.speakers == ["Speaker 1", "Speaker 2"]


def test_speakers_numbered_once_each_are_still_labels():
    text = ("Reader 1: however due to the slow channels\nReader 2: all nouns begin with a capital\n"
            "EU Commission speaker: exports are banned\nAusten reader: and mister john\n"
            "Austen reader: he was not an ill disposed young man\n")
    t = parse_transcript(text, language="en")
    assert t.speakers == ["Reader 1", "Reader 2", "EU Commission speaker", "Austen reader"]
    assert not any(ln.header for ln in t.lines)
    # a lower-case word that is no role is still not a name
    t = parse_transcript("Alice: hi\nAlice: so\nthe main point: we go\n", language="en")
    assert t.speakers == ["Alice"]


# Transcripts whose line breaks were lost (issue #17): header, labels and turns on one line.

def test_one_line_numbered_labels_become_turns_after_a_header():
    text = ("Deux phrases lues. Lecteur 1 : l'accident a eu lieu. Lecteur 2 : le score a "
            "atteint six Lecteur 3 : dix-huit personnes.\n")
    t = parse_transcript(text, language="fr")
    _check_offsets(t)
    assert t.speakers == ["Lecteur 1", "Lecteur 2", "Lecteur 3"]
    assert [ln.speaker for ln in t.lines] == [None, "Lecteur 1", "Lecteur 2", "Lecteur 3"]
    assert [ln.header for ln in t.lines] == [True, False, False, False]
    assert [text[ln.char_start:ln.char_end] for ln in t.lines] == [
        "Deux phrases lues.", "Lecteur 1 : l'accident a eu lieu.",
        "Lecteur 2 : le score a atteint six", "Lecteur 3 : dix-huit personnes."]
    assert [text[a:b] for a, b in (ln.label for ln in t.lines[1:])] == [
        "Lecteur 1 :", "Lecteur 2 :", "Lecteur 3 :"]
    assert [tok.text for tok in t.tokens if tok.header] == ["Deux", "phrases", "lues."]
    assert not any(tok.text in ("Lecteur", "2", ":") for tok in t.tokens)
    assert [tok.speaker for tok in t.tokens if tok.text == "six"] == ["Lecteur 2"]


def test_one_line_header_that_looks_like_a_name_is_not_glued_to_the_first_label():
    text = "Kyutai. Lecteur 1 : bonjour à tous. Lecteur 2 : merci."
    t = parse_transcript(text, language="fr")
    _check_offsets(t)
    assert t.speakers == ["Lecteur 1", "Lecteur 2"]
    assert [(ln.header, text[ln.char_start:ln.char_end]) for ln in t.lines] == [
        (True, "Kyutai."), (False, "Lecteur 1 : bonjour à tous."), (False, "Lecteur 2 : merci.")]


def test_a_label_like_phrase_once_in_running_text_stays_text():
    text = "Et voici notre invitée. Bonjour Aude Durand : vous êtes directrice. Que fait Kyutai ?\n"
    t = parse_transcript(text, language="fr")
    assert t.speakers == [] and len(t.lines) == 1 and t.lines[0].label is None
    assert [tok.text for tok in t.tokens][4:7] == ["Bonjour", "Aude", "Durand :"]
    # the same inside a labelled turn, with the name a label elsewhere
    t = parse_transcript("Monde Numérique : Bonjour Aude Durand : vous êtes directrice.\n"
                         "Aude Durand : oui.\n", language="fr")
    assert [ln.speaker for ln in t.lines] == ["Monde Numérique", "Aude Durand"]
    assert "Durand :" in [tok.text for tok in t.tokens if tok.line == 0]


def test_one_line_named_labels_repeated_become_turns():
    text = "Alice Martin : bonjour Bob. Bob Stone : salut Alice. Alice Martin : au revoir."
    t = parse_transcript(text, language="fr")
    _check_offsets(t)
    assert t.speakers == ["Alice Martin", "Bob Stone"]
    assert [ln.speaker for ln in t.lines] == ["Alice Martin", "Bob Stone", "Alice Martin"]
    assert [text[a:b] for a, b in (ln.label for ln in t.lines)] == [
        "Alice Martin :", "Bob Stone :", "Alice Martin :"]
    assert [ln.char_start for ln in t.lines] == [0, 28, 53]
    assert [tok.text for tok in t.tokens] == ["bonjour", "Bob.", "salut", "Alice.", "au", "revoir."]


def test_one_line_of_labels_known_from_other_lines():
    text = "Paul : bonjour.\nMarie : salut. Paul : ça va ? Marie : oui.\n"
    t = parse_transcript(text, language="fr")
    _check_offsets(t)
    assert [ln.speaker for ln in t.lines] == ["Paul", "Marie", "Paul", "Marie"]


def test_mojibake_a_grave_is_one_word_with_its_no_break_space():
    # "à" in UTF-8 (C3 A0) read as cp1252 is "Ã" and a no-break space: split at that space, "Ã"
    # alone is nothing ftfy can repair (seen as a name flag on "est remis Ã" in the bench).
    text = "Lecteur 1 : le prix est remis à la fin.\n"
    broken = text.encode("utf-8").decode("cp1252")
    tr = parse_transcript(broken, language="fr")
    assert [k.norm for k in tr.tokens] == ["le", "prix", "est", "remis", "a", "la", "fin"]
    k = tr.tokens[4]
    assert broken[k.char_start:k.char_end] == "\u00c3\u00a0"


def test_a_known_label_once_after_the_line_s_own_label_stays_text():
    # The reference episode's closing line: the host names the guest with a colon; one label-like
    # phrase inside a labelled line is not a lost line break.
    text = ("Aude Durand : Bonjour.\n"
            "Monde Numérique : Merci beaucoup. Aude Durand :, directrice générale adjointe.\n")
    tr = parse_transcript(text, language="fr")
    line = [k.text for k in tr.tokens if k.speaker == "Monde Numérique"]
    assert line[:5] == ["Merci", "beaucoup.", "Aude", "Durand :,", "directrice"]
    assert len(tr.lines) == 2


def test_inline_labels_are_candidates_the_audio_may_read_as_text():
    # The text alone makes every candidate a turn start; one the audio holds (its name start in
    # ``spoken_labels``) stays in the running text; a label at the line's start is no candidate.
    text = ("Monde Numérique : Bonjour Aude Durand : vous dirigez le laboratoire. "
            "Aude Durand : oui. Monde Numérique : merci.\n")
    t = parse_transcript(text, language="fr")
    _check_offsets(t)
    cands = t.label_candidates
    assert [(text[c.name_start:c.colon_end], c.turn) for c in cands] == [
        ("Aude Durand :", True), ("Aude Durand :", True), ("Monde Numérique :", True)]
    assert len(t.lines) == 4
    t = parse_transcript(text, language="fr", spoken_labels=frozenset({cands[0].name_start}))
    _check_offsets(t)
    assert [c.turn for c in t.label_candidates] == [False, True, True]
    assert [ln.speaker for ln in t.lines] == ["Monde Numérique", "Aude Durand", "Monde Numérique"]
    assert [tok.text for tok in t.tokens][:4] == ["Bonjour", "Aude", "Durand :", "vous"]
    assert t.tokens[1].char_start == cands[0].name_start
    # no candidate on ordinary lines
    assert parse_transcript("Paul : bonjour.\nMarie : salut.\n").label_candidates == []
