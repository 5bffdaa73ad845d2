"""A web page as the transcript: read with an HTML parser, offsets into the page as given."""
from __future__ import annotations

from aligner.transcript import parse_transcript
from aligner.webpage import looks_like_html, markup_free

PAGE = ('<!DOCTYPE html><html><head><title>Épisode 3</title><style>p{margin:0}</style></head>'
        '<body><script>var s = "</p><p>Lecteur 9 : rien";</script><!-- a comment -->'
        '<p>Deux phrases (CC BY 4.0).</p><p>Lecteur 2 : le m&ecirc;me <b>avion</b> l&#39;a<br>'
        'heurt&eacute;&nbsp;ici</p>\n<ul><li>Lecteur 3 : la\n course</li></ul></body></html>')


def test_markup_is_blanked_at_the_same_offsets():
    m = markup_free(PAGE)
    assert len(m) == len(PAGE)
    for i, c in enumerate(m):  # every visible character is the page's own, where it is
        assert c in " \n" or c == PAGE[i]
    assert "Lecteur 9" not in m and "margin" not in m and "Épisode" not in m and "comment" not in m
    assert [ln.strip() for ln in m.splitlines() if ln.strip()] == [
        "Deux phrases (CC BY 4.0).", "Lecteur 2 : le m&ecirc;me    avion     l&#39;a",
        "heurt&eacute;      ici", "Lecteur 3 : la  course"]


def test_a_page_gives_lines_turns_and_words_without_markup():
    t = parse_transcript(PAGE, language="fr")
    assert t.speakers == ["Lecteur 2", "Lecteur 3"]
    assert [ln.header for ln in t.lines] == [True, False, False, False]
    assert [t.shown(ln.char_start, ln.char_end) for ln in t.lines][0] == "Deux phrases (CC BY 4.0)."
    body = [t.shown(tok.char_start, tok.char_end) for tok in t.tokens if not tok.header]
    assert body == ["le", "même", "avion", "l'a", "heurté", "ici", "la", "course"]
    for tok in t.tokens:  # offsets index the page as given
        assert PAGE[tok.char_start:tok.char_end] == tok.text
        assert "<" not in tok.text and ">" not in tok.text
    heurte = next(tok for tok in t.tokens if tok.text.startswith("heurt"))
    assert heurte.text == "heurt&eacute;" and heurte.norm == "heurte"
    assert t.lines[1].label and PAGE[t.lines[1].label[0]:t.lines[1].label[1]] == "Lecteur 2 :"


def test_text_files_are_not_pages():
    assert not looks_like_html("Paul : bonjour <br> à tous\nMarie : salut\n")
    assert not looks_like_html("<v Paul>bonjour</v>\n")
    assert looks_like_html("<p>Paul : bonjour</p><p>Marie : salut</p>")
    assert looks_like_html("<html><body>Paul : bonjour</body></html>")
    t = parse_transcript("Paul : a < b et c > d\nMarie : oui\n", language="fr")
    assert not t.markup and t.shown(0, 4) == "Paul"


def test_a_broken_page_still_reads():
    page = "<p>Paul : bonjour <b unclosed</p><p>Marie : <i>salut &bogus; à </p><div>Paul : fin"
    t = parse_transcript(page, language="fr")
    assert len(markup_free(page)) == len(page)
    assert t.speakers == ["Paul", "Marie"]
    assert "fin" in [tok.text for tok in t.tokens]


def test_punctuation_written_as_an_entity_is_no_word():
    # "capacités. »" in a text file gives one word; on a page the » is "&raquo;", whose letters
    # must not make it a word of its own (it was one, left untimed, in the inputs bench)
    text = "Lecteur 1 : il a dit qu’« on ne devrait pas. »\nLecteur 2 : oui — bien sûr"
    page = ("<html><body><p>Lecteur 1 : il a dit qu&rsquo;&laquo; on ne devrait pas. &raquo;</p>"
            "<p>Lecteur 2 : oui &mdash; bien s&ucirc;r</p></body></html>")
    plain = [tok.text for tok in parse_transcript(text, language="fr").tokens]
    t = parse_transcript(page, language="fr")
    assert [t.shown(tok.char_start, tok.char_end) for tok in t.tokens] == plain
    assert plain[-4:] == ["pas. »", "oui —", "bien", "sûr"]
