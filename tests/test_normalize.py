import pytest

from aligner.normalize import category, compact, is_function_word, norm_text, norm_token, same_words


@pytest.mark.parametrize("text,lang,expected", [
    ("l'intelligence", "fr", "l intelligence"),
    ("l’IA", "fr", "l ia"),
    ("c'est-à-dire", "fr", "c est a dire"),
    ("dix-sept", "fr", "dix sept"),
    ("300", "fr", "trois cents"),
    ("6-6", "fr", "six six"),
    ("17", "fr", "dix sept"),
    ("1,5", "fr", "un virgule cinq"),
    ("1.5", "en", "one point five"),
    ("10,000", "en", "ten thousand"),
    ("50%", "fr", "cinquante pour cent"),
    ("50%", "en", "fifty percent"),
    ("1er", "fr", "premier"),
    ("3rd", "en", "third"),
    ("2024", "fr", "deux mille vingt quatre"),
    ("17", None, "seventeen"),
    ("17", "xx", "seventeen"),
    ("crÃ©Ã©", "fr", "cree"),  # mojibake repaired
    ("Œuvre", "fr", "oeuvre"),
    ("Straße", "de", "strasse"),
    ("exactement ?", "fr", "exactement"),
    ("Durand :.", "fr", "durand"),
    ("🎙", "fr", ""),
    ("?", "fr", ""),
    ("« Bonjour", "fr", "bonjour"),
    ("GPT-4", "en", "gpt four"),
])
def test_norm_token(text, lang, expected):
    assert norm_token(text, lang) == expected


def test_norm_text_groups_thousands():
    assert norm_text("1 000 euros", "fr") == "mille euros"


def test_compact():
    assert compact("deep mind") == compact("deepmind")
    assert compact(norm_token("Open AI")) == compact(norm_token("OpenAI"))


@pytest.mark.parametrize("a,b", [
    ("300 millions", "trois cents millions"),
    ("dix-sept", "17"),
    ("17", "dix-sept"),
    ("Est ce que", "Est-ce que"),
    ("deep mind", "DeepMind"),
    ("Open AI", "OpenAI"),
    ("quatre-vingt", "80"),
    ("vingt et un", "21"),
    ("1 000", "mille"),
    ("cent pour cent", "100%"),
    ("c'est-à -dire", "c'est-à-dire"),
])
def test_same_words_true(a, b):
    assert same_words(a, b, "fr")


@pytest.mark.parametrize("a,b", [
    ("un zéro zéro zéro", "mille"),
    ("un zéro zéro zéro", "1000"),
    ("dix-huit", "dix-sept"),
    ("dix-huit", "17"),
    ("du sud", "du nord"),
    ("conservées", "conserver"),
])
def test_same_words_false(a, b):
    assert not same_words(a, b, "fr")


def test_same_words_english():
    assert same_words("twenty one", "21", "en")
    assert not same_words("one thousand", "1 0 0 0", "en")


def test_category():
    assert category("6-6", "six six", "fr") == "number"
    assert category("mille", "un zéro zéro zéro", "fr") == "number"
    assert category("dix-huit", "dix-sept", "fr") == "number"
    # lower-case published names: recognition capitalises them
    assert category("del pedro", "del Potro", "fr", heard_before="avantage de") == "name"
    assert category("pedro", "Potro", "fr", heard_before="avantage de del") == "name"
    assert category("Kyutai", "Kyoutaï", "fr", published_before="vous venez de lancer") == "name"
    assert category("KYUTAI", "quiou taï", "fr") == "name"  # acronym / all caps
    assert category("athlètes", "atlettes", "fr") == "word"
    assert category("un chat", "une chatte", "fr") == "word"  # articles are not numbers
    assert category("Alors", "Donc", "fr") == "word"  # sentence-initial capital


def test_function_words():
    assert is_function_word("les", "fr")
    assert is_function_word("été", "fr")
    assert is_function_word("the", "en")
    assert not is_function_word("chat", "fr")
    assert not is_function_word("room", "en")
    assert not is_function_word("able", "en")  # the short English list, not the package's


@pytest.mark.parametrize("lang,function,content", [
    ("de", ["der", "und", "nicht"], ["Haus", "Bundeskanzler"]),
    ("es", ["pero", "los", "que"], ["casa", "Madrid"]),
    ("ru", ["и", "не"], ["дом"]),
    ("pt-BR", ["não", "com"], ["cidade"]),
])
def test_function_words_of_other_languages(lang, function, content):
    """Languages beyond French and English get the stop-words package's list, not English's."""
    assert all(is_function_word(w, lang) for w in function)
    assert not any(is_function_word(w, lang) for w in content)


def test_function_words_unknown_language_has_none():
    assert not is_function_word("the", "xx")
    assert not is_function_word("der", "ta")


# ------------------------------------------------------------------ the language of the text

def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("lang,text", [
    ("fr", "l'accident a eu lieu en terrain montagneux et il semblerait que cela ait été causé par "
           "un incendie malveillant"),
    ("en", "I am sitting in a room different from the one you are in now and I am recording the "
           "sound of my speaking voice"),
    ("es", "el accidente ocurrió en un terreno montañoso y parece que fue causado por un incendio "
           "provocado en la noche"),
    ("de", "der Unfall ereignete sich in bergigem Gelände und scheint durch einen Brandanschlag in "
           "der Nacht verursacht worden zu sein"),
    ("it", "l'incidente è avvenuto in un terreno montuoso e sembra che sia stato causato da un "
           "incendio doloso durante la notte"),
])
def test_text_language_from_function_words(lang, text):
    from aligner.normalize import text_language

    assert text_language(_words(text)) == lang


def test_text_language_undecided_when_too_short_or_no_function_words():
    from aligner.normalize import text_language

    assert text_language(_words("Kyutai Mistral")) is None
    assert text_language(_words("GPU H100 Nvidia Scaleway Iliad Kyutai")) is None


def test_text_language_asks_the_audio_only_between_close_candidates():
    from aligner.normalize import text_language

    asked = []

    def audio(lang):
        return lambda: asked.append(lang) or lang

    fr = _words("l'accident a eu lieu en terrain montagneux et il semblerait que cela ait été "
                "causé par un incendie malveillant")
    assert text_language(fr, audio("en")) == "fr" and asked == []  # clear: the audio is not asked
    pt = _words("o acidente ocorreu em terreno montanhoso e parece que foi causado por um "
                "incêndio criminoso durante a noite")
    assert text_language(pt, audio("pt")) == "pt" and asked == ["pt"]
    assert text_language(pt, audio("es")) == "es"  # a close second the audio confirms
    assert text_language(pt, audio("ja")) == "pt"  # an audio far from the text: the text wins
    assert text_language(pt) == "pt"  # no audio to ask: the text's best
    assert text_language(_words("Kyutai Mistral"), audio("fr")) == "fr"  # no text to go by


def test_a_four_digit_number_read_as_a_year_is_the_same_value():
    assert same_words("twenty-two fifty", "2250", "en")
    assert same_words("in 1963.", "in nineteen sixty three", "en")
    assert same_words("neunzehnhundertdreiundsechzig", "1963", "de")
    # another value stays different
    assert not same_words("eighteen sixty-three", "1963", "en")
    assert not same_words("twenty-two fifty", "2251", "en")


def test_number_values_read_digits_and_number_words():
    from aligner.normalize import number_values
    assert number_values("dix-huit personnes", "fr") == {"18"}
    assert number_values("je suis en 1,6,17 personnes", "fr") == {"1,6", "17"}
    assert number_values("im Jahr 1763", "de") == {"1763"}
    assert number_values("Caroline du Nord", "fr") == frozenset()


@pytest.mark.parametrize("published, heard, unheard", [
    ("fourteen sixty-five Sweynheim", "1465, Swayneheim", 0.0),  # a year read out: one value
    ("1465", "fourteen sixty-five", 0.0),
    ("1763", "1963", 1.0),  # one digit apart: another value
    ("dix-huit", "17", 1.0),
])
def test_a_year_in_words_is_the_value_of_its_digits(published, heard, unheard):
    from aligner.flags import derived_features
    from aligner.normalize import year_values

    assert year_values("1465", "en") == {"14", "65"}
    lang = "fr" if published == "dix-huit" else "en"
    assert derived_features(0.0, 0.5, 0.5, published, heard, lang)["value_unheard"] == unheard
