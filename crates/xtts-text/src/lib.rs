//! XTTS text preparation, runtime-neutral: what coqui-tts 0.27.2 does to a sentence before the
//! GPT sees it (`TTS/tts/layers/xtts/tokenizer.py`), ported so the token ids are identical.

pub mod cleaners;
pub mod num2words_ar;
pub mod prepare;
pub mod split;
pub mod tokenizer;
