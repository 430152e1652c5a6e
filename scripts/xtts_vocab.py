"""A tiny BPE vocabulary laid out like XTTS v2's `vocab.json`, for the random-weight fixtures.

The coqui-tts wheel ships no XTTS vocabulary and none can be downloaded here, so the fixture
model gets one trained with Hugging Face `tokenizers` in the same layout as the real file:
`[STOP]`=0, `[UNK]`=1, `[SPACE]`=2, then `[START]` and the language tags as added special
tokens, a `Whitespace` pre-tokenizer and a BPE model whose `unk_token` is `[UNK]`. The real
file (6,681 tokens) and fine-tunes such as EGTTS keep that layout, so code that reads this one
reads theirs.
"""

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

# coqui's VoiceBpeTokenizer turns spaces into this token before BPE.
SPECIALS = ["[STOP]", "[UNK]", "[SPACE]"]
# The languages XTTS v2 knows (its config's `languages`); `zh-cn` as coqui tags Chinese.
LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "pl", "tr", "ru", "nl", "cs", "ar", "zh-cn", "hu", "ko", "ja", "hi"]

# Text as the GPT sees it after coqui's cleaners: lower case, numbers spelt out, Arabic with
# and without diacritics, some Latin.
CORPUS = [
    "مرحبا بيك في صوت، المساعد الصوتي باللهجة المصرية",
    "ازيك النهارده؟ انا كويس الحمد لله",
    "الجو حلو قوي النهارده في القاهرة",
    "عايز اروح وسط البلد بكرة الصبح",
    "السعر خمسة وعشرون جنيه بس",
    "مِئَة وَخَمْسُونَ دِرْهَماً",
    "ثلاثمائة و خمسة و أربعون",
    "في المئة رقم دولار جنيه درجة على",
    "واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة",
    "عشرون ثلاثون أربعون خمسون ستون سبعون ثمانون تسعون مئة ألف مليون",
    "hello world, this is sawt speaking arabic and english",
    "the quick brown fox jumps over the lazy dog",
    "ok, wifi, gps, usb, pdf.",
    "هل تريد أن تسمع شيئا؟ نعم! لا.",
]


def train_vocab(path: str, vocab_size: int = 512) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tok.train_from_iterator(CORPUS, trainer=trainer)
    tok.add_special_tokens(["[START]"] + [f"[{lang}]" for lang in LANGUAGES])
    tok.save(path)
    return tok


if __name__ == "__main__":
    import sys

    train_vocab(sys.argv[1] if len(sys.argv) > 1 else "vocab.json")
