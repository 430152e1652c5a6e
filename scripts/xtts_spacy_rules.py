"""Dump the spaCy tokenizer rules coqui's `split_sentence` runs into, for the Rust port.

coqui-tts 0.27.2 splits long text with a blank spaCy pipeline (`get_spacy_lang`: Arabic,
Spanish, Hindi, Chinese, Japanese, else English) plus the rule-based "sentencizer". Where the
sentencizer puts a boundary depends on how spaCy's tokenizer cuts punctuation off words, which is
driven by data: prefix, suffix and infix regular expressions, a URL pattern and the tokenizer
exceptions ("special cases"). This script writes that data for the rule-based tokenizers
(Arabic, English, Spanish, Hindi; Chinese splits per character and Japanese needs SudachiPy, so
neither has rules), exactly as the pinned spaCy builds it, to
crates/xtts-text/src/split/spacy_rules.json; crates/xtts-text/src/split/spacy.rs ports the
algorithm that uses it.

The big character classes (ALPHA, ICONS, ...) repeat in many patterns, so they are stored once
and referenced as ⟪NAME⟫; the script checks that expanding them gives back spaCy's patterns.

Usage: /work/xvenv/bin/python scripts/xtts_spacy_rules.py  (deterministic; spaCy pinned in
scripts/requirements-xtts.txt)
"""

import json
import pathlib

import spacy
import spacy.lang.char_classes as cc
from spacy.lang.ar import Arabic
from spacy.lang.en import English
from spacy.lang.es import Spanish
from spacy.lang.hi import Hindi
from spacy.pipeline.sentencizer import Sentencizer
from spacy.symbols import ORTH

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/xtts-text/src/split/spacy_rules.json"

# The character classes worth sharing: long, and used by several patterns.
CLASSES = {
    "ALPHA": cc.ALPHA,
    "ALPHA_LOWER": cc.ALPHA_LOWER,
    "ALPHA_UPPER": cc.ALPHA_UPPER,
    "ICONS": cc.ICONS,
    "UNITS": cc.UNITS,
    "CURRENCY": cc.CURRENCY,
}


def compress(pattern: str) -> str:
    for name, value in sorted(CLASSES.items(), key=lambda kv: -len(kv[1])):
        pattern = pattern.replace(value, f"⟪{name}⟫")
    return pattern


def expand(pattern: str) -> str:
    for name, value in CLASSES.items():
        pattern = pattern.replace(f"⟪{name}⟫", value)
    return pattern


def language(nlp) -> dict:
    tok = nlp.tokenizer
    assert tok.token_match is None, "the port assumes no token_match"
    patterns = {
        "prefix": tok.prefix_search.__self__.pattern,
        "suffix": tok.suffix_search.__self__.pattern,
        "infix": tok.infix_finditer.__self__.pattern,
        "url": tok.url_match.__self__.pattern,
    }
    out = {}
    for key, pattern in patterns.items():
        assert "⟪" not in pattern and "⟫" not in pattern
        small = compress(pattern)
        assert expand(small) == pattern
        out[key] = small
    # A special case is stored as its tokens' ORTH texts; their concatenation is the key
    # (spaCy validates that), so the key is not repeated.
    rules = []
    for key in sorted(tok.rules):
        pieces = [sub[ORTH] for sub in tok.rules[key]]
        assert "".join(pieces) == key
        rules.append(pieces)
    out["rules"] = rules
    return out


def main() -> None:
    data = {
        "spacy_version": spacy.__version__,
        "classes": CLASSES,
        "punct_chars": Sentencizer.default_punct_chars,
        "languages": {
            "ar": language(Arabic()),
            "en": language(English()),
            "es": language(Spanish()),
            "hi": language(Hindi()),
        },
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
