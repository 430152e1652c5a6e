"""Reference outputs of coqui-tts 0.27.2's Arabic text cleaner, for sawt-xtts-text's parity test.

Writes, under tests/fixtures/xtts/text/, what coqui's own
`TTS.tts.layers.xtts.tokenizer.multilingual_cleaners(text, "ar")` makes of a hand-written case
list (cleaners.json) and of a generated sweep, every integer 0..=1100 and pseudo-random ones up
to and past num2words' limit in a short sentence, texts that walk the character tables of
scripts/xtts_unicode_tables.py, and a table of num2words 0.5.14 called as
coqui calls it (cleaners_sweep.json.gz: gzip keeps its ~470 KB of number words to ~50 KB, and
`mtime=0` keeps it byte-identical between runs). A Python exception is recorded by its class
name. The 4301-digit case takes coqui's currency regexes minutes (they backtrack cubically).

num2words' Arabic converter changes the thread's `decimal` precision for good when it meets a
number of 32+ digits, so its output depends on what the process spelt before. Every case here
runs in a copy of `decimal.DefaultContext` (what a fresh thread starts with), which is what
sawt reproduces per call; the "leak" cases show the change inside one call.

Run: /work/xvenv/bin/python scripts/xtts_text_cases.py (deterministic; no network, no weights).
"""

import decimal
import gzip
import json
import random
import re
import sys
from importlib.metadata import version
from pathlib import Path

from num2words import num2words
from xtts_unicode_tables import CODE_POINTS, ranges
from TTS.tts.layers.xtts.tokenizer import multilingual_cleaners

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/xtts/text"
SEED = 20260509
SENTENCE = "عندي {} كتاب"
ROUNDING = "123456789012345678901234567"  # 27 digits: with 3 more, 28-digit rounding bites

HAND = [
    # Western digits in Arabic text.
    *(f"عندي {n} كتاب" for n in [0, 1, 2, 10, 11, 12, 19, 20, 21, 99, 100, 101, 200, 345, 1000, 1001, 2000]),
    *(f"عندي {n} كتاب" for n in [12345, 1000000, 123456789, 2 * 10**9, 10**12, 10**50, 10**51 - 1]),
    "كان هناك 50 جنديًا.",
    "007 و 0 و 00",
    # Eastern Arabic digits are left alone, except that `\d` sees them in the dot regex.
    "٣٤٥",
    "٣٤٥ و 345",
    "٣٤٥345",
    "١.٠٠٠ و ١٫٥",
    "َ١.٢٣٤ و ب١.٢٣٤ و َ1.234 و ب1.234 و ²1.234",
    # Decimals and thousands separators.
    "في الـ 12,5 ثانية.",
    "3.14",
    "3,14159 و 0.5 و 0,05 و 2.0 و 0.0000000001 و 0.0000000006 و 0.9999999999",
    "1.000.000",
    "1.000,5 و 12.345.678,90 و 1.23.456",
    "1 234 و 1a234.567 و 1\n234 و 1.2.3",
    "4503599627370495.5 و 123456789012345678901234567890.5",
    # Currencies (all spelt as riyals by num2words' Arabic) and their failures.
    "$20",
    "20$",
    "£5",
    "€3.5",
    "3.5€ و $0.5 و $0 و $.5 و 5.$",
    "$1,000,000",
    "1.2.3$ و £5",
    "£1.2.3 و $5",
    "5£3 و £5£ و $$5",
    "€1.000.000 و $12.5 و 2.02$",
    "£7 و 1.2.3$ و €7",
    "$" + "9" * 400 + " و €7",
    # Ordinal suffixes.
    "3ون",
    "21ين 100ث 5ر 2ى 0ون 19ث 20ث 1000ر",
    "العدد 3ث و 4ر",
    # Symbols.
    "لدي 14% في البطارية",
    "100%% و a & b و x@y.com و #1 و 30° و 5 $ و £ و $$",
    "a  &  b   @",
    # Arabic diacritics, tatweel, punctuation, quotes, Latin with upper case.
    "مِئَة وَخَمْسُونَ دِرْهَماً",
    "ثلاثـ3ـة و الـ5ـة ٣َ 3َ",
    'قال: "مرحبا"، ثم سأل؟ نعم! (لا) [ربما] {x} ... — «نص»',
    "Hello WORLD, İstanbul ΟΔΟΣ Σ. ẞ Ǆ Ωμέγα",
    "ΑΣ ΑΣ. Σ ΑΣ\u0301Β",
    # Whitespace as Python sees it.
    "  a   b\tc\nd\r\ne\u000bf\u000cg\u001ch\u00a0i\u3000j\u200bk\u2028l  ",
    "",
    "   ",
    "\t\n",
    # Inside one call, a 32+ digit number raises the decimal precision for the ones after it.
    f"{ROUNDING}960 و 1{'0' * 34}5 و {ROUNDING}960",
    f"£1{'0' * 34}5 ثم {ROUNDING}960",
    # A float's exact 30-digit integer part, rounded at 28 digits too.
    "123456789012345801023021907968.5",
    f"{ROUNDING}500 {ROUNDING[:-1]}8500 {ROUNDING}499 {'9' * 30} {'9' * 31}",
    # Errors coqui raises.
    "9" * 52,
    "1" * 4301,
    "1" + "0" * 51 + "ون",
    "1" * 60 + ".5",
    "1" * 400 + ".5",
]

PARAGRAPH_PARTS = [
    "في عام 2023 زار 1500 سائح المتحف، ودفع كل منهم $20 أو €3.5 للتذكرة.",
    "ارتفعت درجة الحرارة إلى 45° يوم 21ين من الشهر، وهبطت الرطوبة 14%.",
    "قال المدير: \"سنفتتح 3 فروع جديدة\" & سنوظف 250 موظفاً قبل نهاية 2025.",
    "بلغ عدد السكان 1.000.000 نسمة تقريباً، منهم ٣٤٥ ألفاً في المدينة.",
    "سعر الكيلو 12,5 جنيه، والخصم 0.5 فقط لمن يحمل البطاقة #7.",
    "Visit US at WWW.EXAMPLE.COM or write to INFO@EXAMPLE.COM  today.",
]


def paragraph(length=1000):
    out, i = "", 0
    while len(out) < length:
        out += PARAGRAPH_PARTS[i % len(PARAGRAPH_PARTS)] + (" " if i % 3 else "\n")
        i += 1
    return out


def fresh(call):
    """Run `call` in a fresh thread's decimal context; the exception class name if it raises."""
    with decimal.localcontext(decimal.DefaultContext):
        try:
            return {"output": call()}
        except Exception as e:  # recorded, not hidden: the Rust side must fail the same way
            return {"error": type(e).__name__}


def sweep_numbers(rng):
    numbers = list(range(0, 1101))
    for _ in range(250):
        digits = rng.randint(1, 51)
        numbers.append(rng.randrange(10 ** (digits - 1), 10**digits))
    numbers += [10**51, 10**51 + 1, rng.randrange(10**51, 10**60)]
    return numbers


def unicode_probes():
    """Texts that walk CPython's character tables: every character with a lower case of its own,
    and the edges of the `\\w`, `\\d` and `\\s` ranges (and their neighbours) where `\\b` decides
    whether the dot regex takes "1.234", `\\d` whether it takes "x.٤٥٦", `\\s` what collapses."""

    def edges(pattern):
        cps = set()
        for first, last in ranges(lambda c: re.match(pattern, c) is not None):
            cps |= {first - 1, first, last, last + 1}
        return [chr(cp) for cp in sorted(cps) if 0 <= cp < 0x110000 and not 0xD800 <= cp <= 0xDFFF]

    items = [f"{c}1.234" for c in edges(r"\w")]
    items += [f" {c}.٤٥٦" for c in edges(r"\d")]
    items += [f"a{c}b" for c in edges(r"\s")]
    upper = [chr(cp) for cp in CODE_POINTS if chr(cp).lower() != chr(cp)]
    texts = [" ".join(upper[i : i + 100]) for i in range(0, len(upper), 100)]
    texts += ["\n".join(items[i : i + 100]) for i in range(0, len(items), 100)]
    return texts


def number_table(rng):
    rows = []
    ints = sorted(
        {*range(0, 121), 199, 200, 201, 202, 1000, 2000, 2001, 3000, 10000, 11000, 100000, 101000, 102000}
        | {2 * 10**k for k in range(0, 51)}
        | {10**k for k in range(0, 51)}
        | {10**k + 1 for k in range(2, 51)}
        | {int(ROUNDING + tail) for tail in ["000", "499", "500", "501", "960", "999"]}
        | {int(ROUNDING[:-1] + tail) for tail in ["8500", "7500", "9999"]}
        | {rng.randrange(10**28, 10**31) for _ in range(10)}
    )
    for n in ints:
        rows.append({"call": "cardinal", "arg": str(n), **fresh(lambda: num2words(n, lang="ar"))})
    for n in [0, 1, 2, 3, 9, 10, 11, 12, 19, 20, 21, 22, 23, 30, 99, 100, 101, 111, 345, 1000, 2000, 10**50]:
        rows.append({"call": "ordinal", "arg": str(n), **fresh(lambda: num2words(n, ordinal=True, lang="ar"))})
    for n in [10**51, 10**60]:
        rows.append({"call": "cardinal", "arg": str(n), **fresh(lambda: num2words(n, lang="ar"))})
        rows.append({"call": "ordinal", "arg": str(n), **fresh(lambda: num2words(n, ordinal=True, lang="ar"))})
    floats = [0.0, 0.5, 0.05, 0.01, 1e-10, 6e-10, 0.9999999999, 1.005, 2.675, 2.0, 12.5, 3.14, 3.14159, 100.25]
    floats += [123456.789, 2000.5, 4503599627370495.5, 1e15 + 0.3, 1e20, 1e50, 1e51, 9.999999999999999e50]
    floats += [1e52, float("inf")]
    for x in floats:
        rows.append({"call": "cardinal_float", "arg": repr(x), **fresh(lambda: num2words(x, lang="ar"))})
    amounts = [0.0, 0.5, 0.01, 0.02, 0.03, 0.11, 1.0, 2.0, 3.0, 10.0, 11.0, 20.0, 100.0, 101.0, 102.0]
    amounts += [1000000.0, 12.5, 1.01, 2.02, 3.1, 1e50, 1e52, float("inf")]
    for currency in ["GBP", "USD", "EUR"]:
        for x in amounts if currency == "USD" else amounts[:4]:
            row = {"call": "currency", "arg": repr(x), "currency": currency}
            rows.append({**row, **fresh(lambda: num2words(x, to="currency", currency=currency, lang="ar"))})
    return rows


def main():
    rng = random.Random(SEED)
    reference = {
        "python": sys.version.split()[0],
        "coqui-tts": version("coqui-tts"),
        "num2words": version("num2words"),
    }

    def run(texts):
        return [{"input": text, **fresh(lambda: multilingual_cleaners(text, "ar"))} for text in texts]

    hand = {"reference": reference, "cases": run([*HAND, paragraph()])}
    sweep = {
        "reference": reference,
        "cases": run([SENTENCE.format(n) for n in sweep_numbers(rng)] + unicode_probes()),
        "num2words": number_table(rng),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    text = json.dumps(hand, ensure_ascii=False, indent=0) + "\n"
    (OUT / "cleaners.json").write_text(text, encoding="utf-8")
    packed = gzip.compress((json.dumps(sweep, ensure_ascii=False, indent=0) + "\n").encode(), 9, mtime=0)
    (OUT / "cleaners_sweep.json.gz").write_bytes(packed)
    print(f"wrote {OUT}: {len(hand['cases'])} cases ({len(text.encode())} bytes),")
    print(f"  sweep {len(sweep['cases'])} cases + {len(sweep['num2words'])} num2words rows ({len(packed)} bytes)")


if __name__ == "__main__":
    main()
