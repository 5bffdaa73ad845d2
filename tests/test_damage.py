"""Damaged audio in the results: words in a lost stretch untimed, no flag on them."""
from __future__ import annotations

import pytest

from aligner.audio import Damage, Decoded
from aligner.damage import mark, missing_end, warnings_for
from aligner.types import Mismatch, TimedWord, Token


def _word(i, start, end, reason=None):
    tok = Token(i, f"w{i}", i * 3, i * 3 + 2, f"w{i}", "A", 0, False)
    return TimedWord(tok, start, end, 0.9 if start is not None else 0.0, reason=reason)


def _flag(start, end, cs, ce):
    return Mismatch("substitution", "word", start, end, cs, ce, "x", "y", 0.9)


def test_words_in_and_beside_the_damage_lose_their_times_and_flags():
    words = [_word(0, 1.0, 1.4), _word(1, 1.5, 2.1), _word(2, None, None, "omitted"),
             _word(3, 2.6, 3.0), _word(4, 5.0, 5.5)]
    flags = [_flag(1.5, 2.1, 3, 5), _flag(5.0, 5.5, 12, 14), _flag(None, None, 6, 8)]
    words, kept = mark(words, flags, (Damage(2.0, 2.5),))
    assert [w.reason for w in words] == [None, "damaged-audio", "damaged-audio", None, None]
    assert words[1].start is None and words[1].end is None and words[1].confidence == 0.0
    assert [f.char_start for f in kept] == [12]


def test_nothing_changes_without_damage_and_warnings_say_where():
    words = [_word(0, 1.0, 1.4)]
    assert mark(words, [], ()) == (words, [])
    (w,) = warnings_for((Damage(7.6, 8.14),), "", 15.2)
    assert w.kind == "damaged-audio" and "0.54 s" in w.message and "0:07.60" in w.message
    assert warnings_for((), "end of file", 3.0)[0].kind == "truncated-audio"


def test_a_file_holding_less_than_it_states_lacks_its_end():
    """An incomplete download: the container states 15.2 s, 9.1 s decode.  The lost end is a
    damaged stretch up to the stated length (a last packet cut in two is part of it), one
    warning says so, and the words after the last one timed before it lose no time they had
    but are said to be lost, not omitted, with no flag at the end."""
    import numpy as np
    d = Decoded(np.zeros(16000 * 9), (Damage(8.9, 9.0),), "", 15.2)
    end = missing_end(d, 9.0)
    assert end == Damage(8.9, 15.2)
    (w,) = warnings_for(d.damaged, "", 9.0, end)
    assert w.kind == "truncated-audio" and (w.start, w.end) == (8.9, 15.2)
    assert "6.3 s of audio missing" in w.message and "0:15.20" in w.message
    # within the lengths complete files decode to (AAC's priming: 0.06 s), or stated by none
    assert missing_end(Decoded(np.zeros(16000 * 9), (), "", 9.06), 9.0) is None
    assert missing_end(Decoded(np.zeros(16000 * 9)), 9.0) is None
    words = [_word(0, 7.0, 7.5), _word(1, 7.6, 8.0), _word(2, None, None, "omitted"),
             _word(3, None, None, "unaligned")]
    words, kept = mark(words, [_flag(8.85, 8.85, 6, 8), _flag(7.0, 7.5, 0, 2)], (end,))
    assert [w.reason for w in words] == [None, None, "damaged-audio", "damaged-audio"]
    assert [f.char_start for f in kept] == [0]


def test_only_a_length_the_file_states_counts(tmp_path):
    """A length estimated from the bit rate (an MP3 with no Xing/Info/VBRI frame, raw AAC) is
    no evidence of a file cut short; FLAC's, MP4's and a tagged MP3's are."""
    from aligner.audio import _length_is_stated
    frame = b"\xff\xfb\x90\x64" + bytes(32)
    tag = b"ID3\x03\x00\x00\x00\x00\x01\x00" + bytes(128)  # ID3v2, 128 bytes (syncsafe)
    for name, data, stated in (("lame.mp3", tag + frame + b"Info" + bytes(400), True),
                               ("xing.mp3", frame + b"Xing" + bytes(400), True),
                               ("plain.mp3", tag + frame + bytes(400) + frame, False),
                               ("late.mp3", frame + bytes(8000) + b"Xing", False)):
        p = tmp_path / name
        p.write_bytes(data)
        assert _length_is_stated(str(p), "mp3") is stated, name
    assert _length_is_stated(str(p), "flac") and _length_is_stated(str(p), "mov,mp4,m4a,3gp,3g2,mj2")
    assert not _length_is_stated(str(p), "aac") and not _length_is_stated(str(p), "ogg")


def test_an_empty_or_foreign_file_is_refused_in_plain_words(tmp_path):
    from aligner.audio import decode
    from aligner.errors import AudioError
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.mp3: the file is empty \(0 bytes\)$"):
        decode(str(empty))
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n" * 50)
    with pytest.raises(AudioError) as e:
        decode(str(text))
    assert "Errno" not in str(e.value) and str(e.value).count("notes.mp3") == 1


def _wav(path, channels, rate=16000):
    """A 1 s 440 Hz tone at 0.5 in ``channels`` (a list of 0/1 per channel), 16-bit WAV."""
    import wave

    import numpy as np

    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    frames = np.stack([tone * c for c in channels], axis=1).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return path


def test_speech_in_the_centre_channel_of_a_surround_file_keeps_its_level(tmp_path):
    """A 5.1 file (FFmpeg's layout for six channels: FL FR FC LFE BL BR) whose centre channel
    holds the voice decodes at the voice's level: swresample's own mono downmix divided it by
    3.41; mono and stereo decode as before, and channels loud together never clip."""
    import numpy as np

    from aligner.audio import decode, downmix_weights
    from aligner.errors import AudioError

    assert downmix_weights(("FL", "FR", "FC", "LFE", "BL", "BR")).tolist() == pytest.approx(
        [0.7071, 0.7071, 1.0, 0.0, 0.5, 0.5], abs=1e-4)
    peak = lambda p: float(np.max(np.abs(decode(str(p)))))  # noqa: E731
    assert peak(_wav(tmp_path / "mono.wav", [1])) == pytest.approx(0.5, abs=0.01)
    assert peak(_wav(tmp_path / "centre.wav", [0, 0, 1, 0, 0, 0])) == pytest.approx(0.5, abs=0.01)
    assert peak(_wav(tmp_path / "stereo.wav", [1, 1])) == pytest.approx(0.5, abs=0.01)
    with pytest.raises(AudioError, match="silent"):  # low-frequency effects only: no voice
        decode(str(_wav(tmp_path / "lfe.wav", [0, 0, 0, 1, 0, 0])))
    loud = peak(_wav(tmp_path / "all.wav", [1, 1, 1, 0, 1, 1]))  # 0.5 x 3.41 would clip
    assert loud == pytest.approx(1.0, abs=0.01)
