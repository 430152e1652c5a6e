"""Reference outputs of coqui-tts 0.27.2's XTTS tokenizer and sentence splitting, for sawt-xtts-text.

Writes, under tests/fixtures/xtts/text/:

- vocab.json: the tiny BPE of scripts/xtts_vocab.py (XTTS's layout, trained by `tokenizers`).
- coqui_xtts_vocab.json.gz: coqui's own XTTS test vocabulary (tests/inputs/xtts_vocab.json at
  v0.27.2, 5,413 tokens, the layout of the real XTTS files: merges as "a b" strings, language
  tags as added tokens inside the BPE id range), byte-identical, read from the git mirror.
- tokens.json: for each case, the text coqui's `VoiceBpeTokenizer.preprocess_text` made of it
  ("cleaned", what sawt's cleaner module produces) and the ids of coqui's own
  `VoiceBpeTokenizer(vocab_file).encode(text, lang)`, plus `decode(ids)`. "raw" cases run the
  same `encode` with `preprocess_text` replaced by the identity, so that what the cleaners
  would remove (repeated, leading and trailing spaces, tabs, capitals, quotes) reaches the part
  under test: coqui's tag, "[SPACE]" substitution and the tokenizer.
- split.json: coqui's `split_sentence(text, lang, limit)`, its `char_limits` (and the limit
  `check_input_length` applies, read from its warning) and `textwrap.wrap` with
  split_sentence's options.
- spacy_tokens.json.gz: the tokens (code-point offsets) and sentences of the pipeline
  split_sentence builds (`get_spacy_lang(lang)` + "sentencizer") on hand-picked texts, the split
  cases' texts, seeded pseudo-random texts and every special case of the Arabic rules (a sample
  of the other languages'), gzipped with mtime=0 (deterministic).

Run: /work/xvenv/bin/python scripts/xtts_text_reference.py (deterministic; no network, no weights;
spaCy, pypinyin and click pinned in scripts/requirements-xtts.txt).
"""

import gzip
import json
import logging
import random
import subprocess
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer, get_spacy_lang, split_sentence  # noqa: E402
from xtts_vocab import train_vocab  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests/fixtures/xtts/text"
MIRROR = Path("/work/.mirror/idiap+coqui-ai-TTS/repo")
COQUI_TAG = "v0.27.2"
SEED = 20260512


class RawTokenizer(VoiceBpeTokenizer):
    """coqui's tokenizer with its cleaning step skipped (everything else is coqui's `encode`)."""

    def preprocess_text(self, txt, lang):
        return txt


AR = "مرحبا بيك في صوت، المساعد الصوتي باللهجة المصرية"
LONG_AR = (
    "مرحبا بيك في صوت. ازيك النهارده؟ انا كويس الحمد لله! الجو حلو قوي النهارده في القاهرة: "
    "عايز اروح وسط البلد بكرة الصبح؛ السعر خمسة وعشرون جنيه بس. هل تريد أن تسمع شيئا؟ نعم! لا."
)

# (text, lang, mode): "coqui" = coqui's full encode, "raw" = with the cleaning skipped.
ENCODE_CASES = [
    (AR, "ar", "coqui"),
    ("مِئَة وَخَمْسُونَ دِرْهَماً", "ar", "coqui"),
    ("مرحبـــــا بيـك", "ar", "coqui"),
    ("عندي ٣٤٥ كتاب و ١٢ قلم", "ar", "coqui"),
    ("ازيك؟ انا كويس، الحمد لله! تمام. طيب: نعم؛ لا", "ar", "coqui"),
    ("انا بستخدم WiFi و GPS كل يوم", "ar", "coqui"),
    ("ژ ڤ گ پ چ ñ λ ש", "ar", "coqui"),
    ("😀 تمام 👍 ok", "ar", "coqui"),
    ("كلمة [SPACE] و [ar] هنا [STOP][UNK][START]", "ar", "coqui"),
    ("[ar][SPACE]", "ar", "coqui"),
    ("عندي 25 كتاب و 3.5 كيلو", "ar", "coqui"),
    (LONG_AR, "ar", "coqui"),
    ("مرحبا", "ar-EG", "coqui"),
    ("", "ar", "coqui"),
    ("hello world, this is sawt speaking.", "en", "coqui"),
    ("The quick brown fox jumps over the lazy dog", "en-US", "coqui"),
    ("你好世界", "zh-cn", "coqui"),
    ("你好 world", "zh", "coqui"),
    ("  مرحبا   بيك  ", "ar", "raw"),
    (" ", "ar", "raw"),
    ("   ", "ar", "raw"),
    ("مرحبا\tبيك\nفي صوت", "ar", "raw"),
    ("Hello WORLD \"quoted\"", "en", "raw"),
    ("hello[SPACE]world", "en", "raw"),
    ("[SPACE] [SPACE]", "ar", "raw"),
    ("مرحبا", "fa", "raw"),
    ("مرحبا", "-ar", "raw"),
    ("مرحبا", "zh-tw", "raw"),
    ("a b", "", "raw"),
]

# (text, lang, limit): coqui's split_sentence.
SPLIT_CASES = [
    ("  مرحبا بيك  ", "ar", 166),
    ("\n\t مرحبا. بيك", "ar", 166),
    (LONG_AR, "ar", 166),
    (LONG_AR + " " + LONG_AR, "ar", 166),
    ("كلمة " * 40, "ar", 166),
    (("كلمة " * 40).strip() + ". " + LONG_AR, "ar", 166),
    ("ا" * 400, "ar", 166),
    ("ب" * 100 + " " + "ج" * 300 + " د", "ar", 166),
    ("م" * 166, "ar", 166),
    ("م" * 165, "ar", 166),
    ("مرحبا. " * 23 + "تمام", "ar", 166),
    (LONG_AR.replace(". ", ".\n\n").replace("؟ ", "؟   "), "ar", 166),
    ("قال: \"نعم.\" ثم ذهب... وبعدين؟! رجع!! (تمام.) «أكيد.» " * 4, "ar", 166),
    ("مِئَة وَخَمْسُونَ دِرْهَماً. مرحبـــــا بيـك؟ عندي ٣٫٥ و ٣.٥ كتاب. " * 5, "ar", 166),
    ("السعر 3.5 جنيه. الخصم 20% بس! الموقع sawt.example.com. الإيميل a@b.co؟ " * 3, "ar", 166),
    (LONG_AR, "ar", 40),
    (LONG_AR, "ar", 20),
    (LONG_AR, "ar", 1),
    ("كلمة" + "\u00a0" * 200 + "كلمة", "ar", 166),
    (" " * 200, "ar", 166),
    ("", "ar", 0),
    ("مرحبا", "ar", 0),
    (
        "Mr. Smith went to Washington D.C. on Monday. He arrived at 5 p.m. and said: \"Hello!\" "
        "Then he left... Did he come back? Yes! e.g. the U.S.A. is big. Visit https://example.com/a?b=1. "
        "Or mail me at someone@example.org. It costs $3.50, i.e. 3.5 dollars :) ok?! Done.",
        "en",
        250,
    ),
    ("word " * 70, "en", 250),
    ("x" * 600, "en", 250),
    ("This is a sentence. " * 20, "en", 250),
    ("Tab\tseparated\ttext. " * 20 + "end", "en", 250),
    ("Hola. ¿Qué tal? ¡Muy bien! El Sr. García llegó a las 3 p.m. de EE.UU. " * 4, "es", 239),
    ("यह एक वाक्य है। क्या यह दूसरा है? हाँ! " * 6, "hi", 150),
    ("你好。今天天气很好！你去哪里？我去北京。" * 4 + "好 的  吧", "zh", 82),
    ("Hello there. How are you? " * 10, "zh-cn", 82),
    ("これはテストです。" * 10, "ja", 71),
]

SENTENCE_CASES = [
    ("مرحبا. كيف حالك؟ تمام.", "ar"),
    ("مرحبا.كيف ب. م هنا °C. و ق.م", "ar"),
    ("قال: \"نعم.\" ثم ذهب", "ar"),
    ("hello.world x.y 3.5 a...b", "ar"),
    ("Mr. Smith (Dr. Who) said: 'it's 5p.m.' :) <3 ... ok.", "en"),
    ("don't can't won't I'm you're we've they'll.", "en"),
    ("Visit www.example.com. Or https://x.org/path?q=1#f!", "en"),
    ("  leading\n\nnewlines\t\ttabs  trailing  ", "en"),
    ("\u00a0nbsp\u00a0 \u2003em space. next", "en"),
    ("10km 5kg 3$ $3 US$5 20% 1+1 2-3 a-b a/b a=b", "en"),
    ("«مرحبا» (بيك) [في] {صوت} ـ تمام؛ ٪ ،", "ar"),
    ("😀. 👍! ok", "ar"),
    ("你好。 世界！ab  c\n", "zh"),
    ("", "ar"),
    (" ", "en"),
]


def encode_cases(vocab_path: Path) -> list:
    coqui, raw = VoiceBpeTokenizer(str(vocab_path)), RawTokenizer(str(vocab_path))
    cases = []
    for text, lang, mode in ENCODE_CASES:
        tok = coqui if mode == "coqui" else raw
        # `encode` cleans with the region stripped; record that text for the Rust side.
        cleaned = tok.preprocess_text(text, lang.split("-")[0])
        ids = tok.encode(text, lang)
        cases.append(
            {"text": text, "lang": lang, "mode": mode, "cleaned": cleaned, "ids": ids, "decoded": coqui.decode(ids)}
        )
    return cases


def vocab_facts(vocab_path: Path) -> dict:
    tok = VoiceBpeTokenizer(str(vocab_path))
    names = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[ar]", "[en]", "[zh-cn]", "[ja]", "[hi]", "[nope]"]
    return {
        "vocab_size": tok.get_number_tokens(),
        "token_ids": {n: tok.tokenizer.token_to_id(n) for n in names},
    }


def coqui_limit(lang: str) -> int:
    """The limit `check_input_length` applies, read from the warning it logs."""
    records = []

    class Grab(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("TTS.tts.layers.xtts.tokenizer")
    handler = Grab()
    logger.addHandler(handler)
    try:
        VoiceBpeTokenizer().check_input_length("x" * 10_000, lang)
    finally:
        logger.removeHandler(handler)
    (record,) = records
    return record.args[0]


def split_cases() -> list:
    out = []
    for text, lang, limit in SPLIT_CASES:
        case = {"text": text, "lang": lang, "limit": limit}
        try:
            case["splits"] = split_sentence(text, lang, limit)
        except Exception as e:  # recorded: the Rust side must fail too
            case["error"] = type(e).__name__
        out.append(case)
    return out


def spacy_doc(text: str, lang: str):
    nlp = get_spacy_lang(lang)
    nlp.add_pipe("sentencizer")
    return nlp(text)


WRAP_CASES = [
    ("one two three four five six seven", 10),
    ("  leading spaces and trailing   ", 8),
    ("a\tb\nc\rd\x0be\x0cf", 3),
    ("averyveryverylongword short", 5),
    ("x" * 23, 7),
    ("ab cd", 2),
    ("ab  cd", 3),
    ("\u00a0\u00a0 word \u00a0", 4),
    ("مرحبا بيك في صوت المساعد الصوتي", 12),
    ("", 5),
    ("   ", 2),
    ("hy-phen-ated words-here", 6),
]


def wrap_cases() -> list:
    return [
        {
            "text": text,
            "width": width,
            "lines": textwrap.wrap(text, width=width, drop_whitespace=True, break_on_hyphens=False, tabsize=1),
        }
        for text, width in WRAP_CASES
    ]


# Characters the pseudo-random texts are drawn from: letters of each script, digits, the
# punctuation spaCy's affix rules and the sentencizer care about, whitespace of several kinds.
ALPHABETS = {
    "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآؤئـًٌٍَُِّْ٠١٢٣٤٥٦٧٨٩abcXYZ0123456789",
    "en": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éß",
    "es": "abcdefghijklmnopqrstuvwxyzáéíóúñÁÉÑ0123456789",
    "hi": "कखगघचछजझटठडढतथदधनपफबभमयरलवशसहािीुूेैोौंः०१२३४५६७८९abc",
    "zh": "你好世界天气很北京我去哪里的是不了人abc12",
}
PUNCT = ".,;:!?¿¡()[]{}<>\"'`‘’“”«»-–—/\\@#$%^&*+=~|…،؛؟۔٪।॥。！？，、$£€°²"
SPACES = [" ", " ", " ", "  ", "\n", "\t", "\u00a0"]


def random_texts(lang: str, n: int, rng: random.Random) -> list:
    letters = ALPHABETS[lang]
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 8)):
            word = "".join(rng.choice(letters) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(0, 3)):
                pos = rng.randint(0, len(word))
                word = word[:pos] + rng.choice(PUNCT) * rng.choice([1, 1, 1, 2, 3]) + word[pos:]
            parts.append(word)
            parts.append(rng.choice(SPACES))
        texts.append("".join(parts[:-1]) if rng.random() < 0.7 else "".join(parts))
    return texts


def special_case_texts(lang: str, step: int) -> list:
    nlp = get_spacy_lang(lang)
    keys = sorted(nlp.tokenizer.rules)[::step]
    # Each key alone, glued to affixes, and inside a sentence ending in a period.
    texts = []
    for i in range(0, len(keys), 12):
        chunk = keys[i : i + 12]
        texts.append(" ".join(chunk))
        texts.append(" ".join(f"({k})." for k in chunk))
        texts.append(" ".join(f"x {k}. y" for k in chunk))
    return texts


def token_cases() -> list:
    rng = random.Random(SEED)
    plan = [("ar", 200, 1), ("en", 150, 6), ("es", 60, 4), ("hi", 60, 3), ("zh", 40, None), ("zh-cn", 10, None)]
    out = []
    for lang, n_random, step in plan:
        texts = [t for t, tl in SENTENCE_CASES if tl == lang]
        texts += [t for t, tl, _ in SPLIT_CASES if tl == lang and t]
        texts += random_texts(lang if lang in ALPHABETS else "en", n_random, rng)
        if step is not None:
            texts += special_case_texts(lang, step)
        for text in texts:
            doc = spacy_doc(text, lang)
            out.append(
                {
                    "text": text,
                    "lang": lang,
                    # Token start/end in code points, flattened.
                    "tokens": [x for t in doc for x in (t.idx, t.idx + len(t.text))],
                    "sentences": [str(s) for s in doc.sents],
                }
            )
    return out


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    fixture_vocab = OUT / "vocab.json"
    train_vocab(str(fixture_vocab))
    coqui_vocab = subprocess.run(
        ["git", "-C", str(MIRROR), "show", f"{COQUI_TAG}:tests/inputs/xtts_vocab.json"],
        check=True,
        capture_output=True,
    ).stdout
    (OUT / "coqui_xtts_vocab.json.gz").write_bytes(gzip.compress(coqui_vocab, 9, mtime=0))
    coqui_vocab_path = OUT / ".coqui_xtts_vocab.json.tmp"
    coqui_vocab_path.write_bytes(coqui_vocab)
    try:
        vocabs = {
            "fixture": {"file": "vocab.json", **vocab_facts(fixture_vocab), "cases": encode_cases(fixture_vocab)},
            "coqui": {
                "file": "coqui_xtts_vocab.json.gz",
                **vocab_facts(coqui_vocab_path),
                "cases": encode_cases(coqui_vocab_path),
            },
        }
    finally:
        coqui_vocab_path.unlink()
    versions = {p: version(p) for p in ["coqui-tts", "tokenizers", "spacy", "pypinyin"]}
    versions["python"] = sys.version.split()[0]
    write_json(OUT / "tokens.json", {"versions": versions, "vocabs": vocabs})

    limits = VoiceBpeTokenizer().char_limits
    probe = sorted(limits) + ["ar-EG", "zh-cn", "en-US", "xx", "fa", ""]
    write_json(
        OUT / "split.json",
        {
            "versions": versions,
            "char_limits": limits,
            "check_input_length_limit": {lang: coqui_limit(lang) for lang in probe},
            "split": split_cases(),
            "wrap": wrap_cases(),
        },
    )
    tokens = json.dumps({"versions": versions, "cases": token_cases()}, ensure_ascii=False) + "\n"
    (OUT / "spacy_tokens.json.gz").write_bytes(gzip.compress(tokens.encode("utf-8"), 9, mtime=0))
    for name in ["vocab.json", "coqui_xtts_vocab.json.gz", "tokens.json", "split.json", "spacy_tokens.json.gz"]:
        print(f"{name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
