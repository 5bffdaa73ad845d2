"""Marks a transcript carries that no one says: time stamps, sound notes, subtitle timing."""
from aligner import nonspeech
from aligner.transcript import parse_transcript


def _masked_out(text: str) -> list[str]:
    return [text[a:b] for a, b in nonspeech.spans(text)]


def test_mask_keeps_length_and_newlines():
    text = "[00:00:01] Paul : bonjour [rires]\r\nsuite (applause)\n"
    out = nonspeech.mask(text)
    assert len(out) == len(text)
    assert out.count("\r\n") == 1 and out.count("\n") == 2
    assert all(o == t or o == " " for o, t in zip(out, text))
    assert out.split() == ["Paul", ":", "bonjour", "suite"]


def test_brackets_are_notes_parentheses_only_when_sound_notes():
    text = "Bonjour [Musique] à tous (rires). Xavier Niel (Iliad) (enfin, je crois) {inaudible}"
    assert _masked_out(text) == ["[Musique]", "(rires)", "{inaudible}"]


def test_parenthesised_sound_notes_in_english_and_with_accents():
    assert _masked_out("yes (laughs) and (Applaudissements) (Générique de fin)") == [
        "(laughs)", "(Applaudissements)", "(Générique de fin)"]


def test_a_long_aside_naming_a_sound_is_spoken():
    assert _masked_out("(il a mis de la musique toute la nuit)") == []


def test_time_stamps_at_line_start_and_in_parentheses_only():
    text = "00:01:02 Bonjour\n(01:03) suite à 14:30\n0:05.5 fin\n01:02 – 01:30 Paul : oui"
    assert _masked_out(text) == ["00:01:02", "(01:03)", "0:05.5", "01:02 – 01:30"]


def test_subtitle_file_numbers_timing_and_header():
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000 align:start\nBonjour à tous.\n\n"
            "2\n00:00:04,500 --> 00:00:06,000\nil est 14:30\n")
    assert nonspeech.mask(text).split() == ["Bonjour", "à", "tous.", "il", "est", "14:30"]


def test_parser_skips_notes_and_time_stamps():
    tr = parse_transcript("Titre\n[00:00:01] Aude Durand : Bonjour [rires] à tous.\n"
                          "[Musique]\n[00:00:05] Paul : Merci (enfin, je crois).\n", language="fr")
    assert tr.speakers == ["Aude Durand", "Paul"]
    assert [t.text for t in tr.tokens if t.speaker] == [
        "Bonjour", "à", "tous.", "Merci", "(enfin,", "je", "crois)."]
    assert len(tr.lines) == 3  # the "[Musique]" line holds nothing to say
    for t in tr.tokens:
        assert tr.text[t.char_start:t.char_end] == t.text


def test_note_glued_to_a_word_is_shown_but_not_said():
    tr = parse_transcript("Aude : Bonjour à tous (rires). Et puis\n", language="fr")
    tok = [t for t in tr.tokens if t.text.startswith("tous")][0]
    assert tok.text == "tous (rires)."  # subtitles show the published text
    assert tok.norm == "tous"
    assert tr.spoken_text(tok) == "tous."


def test_label_with_time_stamp_before_colon():
    tr = parse_transcript("Aude Durand (00:01:23) : Bonjour.\nPaul (00:01:30): oui\n", language="fr")
    assert tr.speakers == ["Aude Durand", "Paul"]
    assert [t.text for t in tr.tokens] == ["Bonjour.", "oui"]


def test_name_and_time_alone_on_a_line_start_a_turn():
    text = "Speaker 1  0:00\nHello there.\n\nSpeaker 2  0:05\nHi (laughs) you.\nSpeaker 1  0:09\nOk."
    tr = parse_transcript(text, language="en")
    assert tr.speakers == ["Speaker 1", "Speaker 2"]
    assert [(t.text, t.speaker) for t in tr.tokens] == [
        ("Hello", "Speaker 1"), ("there.", "Speaker 1"), ("Hi", "Speaker 2"),
        ("you.", "Speaker 2"), ("Ok.", "Speaker 1")]


def test_a_sentence_ending_in_a_time_is_not_a_label():
    tr = parse_transcript("Rendez-vous demain à 14:30\n", language="fr")
    assert tr.speakers == []
    assert [t.text for t in tr.tokens] == ["Rendez-vous", "demain", "à", "14:30"]


def test_plain_transcript_is_untouched():
    text = "Aude Durand : Bonjour. Xavier Niel (Iliad) est là.\n"
    tr = parse_transcript(text, language="fr")
    assert tr.said == ""
    assert [t.text for t in tr.tokens] == ["Bonjour.", "Xavier", "Niel", "(Iliad)", "est", "là."]


_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Aude Durand>Bonjour à tous.</v>

2
00:00:04.500 --> 00:00:06.000
<v.host Paul>Merci <i>beaucoup</i>, Aude.

3
00:00:06.500 --> 00:00:08.000
<v Aude Durand>Alors <00:00:07.000>voilà.
"""


def test_a_webvtt_transcript_gives_its_voices_as_speakers_and_its_words():
    tr = parse_transcript(_VTT, language="fr")
    assert tr.speakers == ["Aude Durand", "Paul"]
    assert [(tr.spoken_text(t), t.speaker) for t in tr.tokens] == [
        ("Bonjour", "Aude Durand"), ("à", "Aude Durand"), ("tous.", "Aude Durand"),
        ("Merci", "Paul"), ("beaucoup,", "Paul"), ("Aude.", "Paul"),
        ("Alors", "Aude Durand"), ("voilà.", "Aude Durand")]
    for t in tr.tokens:
        assert tr.text[t.char_start:t.char_end] == t.text


def test_markup_of_a_web_page_is_not_said_and_not_shown():
    tr = parse_transcript("<p><b>Aude :</b> Bonjour à tous.</p>\n<p><b>Paul :</b> Merci.</p>\n",
                          language="fr")
    assert tr.speakers == ["Aude", "Paul"]
    assert [tr.spoken_text(t) for t in tr.tokens] == ["Bonjour", "à", "tous.", "Merci."]
    assert nonspeech.strip_markup("beaucoup</i>,") == "beaucoup,"
    assert nonspeech.strip_markup("a < b et c > d") == "a < b et c > d"  # not markup


def test_character_references_of_a_web_page_are_read():
    tr = parse_transcript("<p>Aude : l&#39;accident a eu lieu &amp; c&rsquo;est grave</p>\n",
                          language="fr")
    said = [tr.spoken_text(t) for t in tr.tokens]
    # "&amp;" is "&", a chunk with no letter: glued to the word before, as in a text file
    assert said == ["l'accident", "a", "eu", "lieu&", "c’est", "grave"]
    plain = parse_transcript("Aude : l'accident a eu lieu & c’est grave\n", language="fr")
    assert [plain.spoken_text(t) for t in plain.tokens] == said
    assert [t.norm for t in tr.tokens][0] == "l accident"
    assert nonspeech.strip_markup("l&#39;accident</b>") == "l'accident"
    assert nonspeech.strip_markup("R&D") == "R&D"
