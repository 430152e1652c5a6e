//! The spaCy pipeline coqui's `split_sentence` builds: `get_spacy_lang(lang)` then the
//! "sentencizer".
//!
//! Ports of coqui-tts 0.27.2 `TTS/tts/layers/xtts/tokenizer.py` `get_spacy_lang` (commit
//! 3194998df292b56a53064b300e12210979e3f16f) and of spaCy 3.8.7: the blank pipelines' tokenizers
//! (`tokenizer` module; Chinese's character segmenter in `spacy/lang/zh/__init__.py`
//! `ChineseTokenizer.__call__` with `util.get_words_and_spaces`), `Sentencizer.predict`
//! (`spacy/pipeline/sentencizer.pyx`) and `Doc.sents` / `Span.text`.

mod pyre;
mod tokenizer;

use super::{py, SplitError};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;
use tokenizer::{LangRules, RuleTokenizer};

/// spaCy's rules, written by `scripts/xtts_spacy_rules.py`.
const RULES_JSON: &str = include_str!("spacy_rules.json");

#[derive(Debug, serde::Deserialize)]
struct RulesFile {
    classes: HashMap<String, String>,
    punct_chars: Vec<String>,
    languages: HashMap<String, LangRules>,
}

/// The rule-based languages in `spacy_rules.json`, in a fixed order for the caches below.
const RULE_LANGS: [&str; 4] = ["ar", "en", "es", "hi"];

/// How a blank pipeline cuts text into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segmenter {
    /// spaCy's rule-based tokenizer with one language's rules (index into `RULE_LANGS`).
    Rules(usize),
    /// Chinese's default "char" segmenter: every non-space character is a token.
    Chars,
}

/// `get_spacy_lang`: which blank pipeline coqui uses for `lang` (as given: coqui's XTTS
/// inference strips the region first, so "zh-cn" reaching this is English).
fn segmenter(lang: &str) -> Result<Segmenter, SplitError> {
    Ok(match lang {
        "zh" => Segmenter::Chars,
        // spaCy's Japanese() needs SudachiPy and its dictionary; not ported.
        "ja" => return Err(SplitError::UnsupportedLanguage(lang.to_owned())),
        "ar" => Segmenter::Rules(0),
        "es" => Segmenter::Rules(2),
        "hi" => Segmenter::Rules(3),
        // "For most languages, English does the job".
        _ => Segmenter::Rules(1),
    })
}

/// What every pipeline shares: the sentencizer's data, parsed once.
struct Shared {
    rules: RulesFile,
    punct_chars: HashSet<String>,
    punct: regex::Regex,
}

fn shared() -> Result<&'static Shared, SplitError> {
    static SHARED: OnceLock<Result<Shared, SplitError>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let rules: RulesFile =
                serde_json::from_str(RULES_JSON).map_err(|e| SplitError::Rules(e.to_string()))?;
            let punct_chars = rules.punct_chars.iter().cloned().collect();
            Ok(Shared {
                rules,
                punct_chars,
                punct: pyre::punct_regex()?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn rule_tokenizer(index: usize) -> Result<&'static RuleTokenizer, SplitError> {
    static CACHE: [OnceLock<Result<RuleTokenizer, SplitError>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let lang = RULE_LANGS[index];
    CACHE[index]
        .get_or_init(|| {
            let shared = shared()?;
            let rules = shared
                .rules
                .languages
                .get(lang)
                .ok_or_else(|| SplitError::Rules(format!("no spaCy rules for {lang}")))?;
            RuleTokenizer::new(rules, &shared.rules.classes)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The tokens spaCy's blank pipeline for `lang` makes of `text`, as byte ranges into it.
pub fn tokens(text: &str, lang: &str) -> Result<Vec<Range<usize>>, SplitError> {
    match segmenter(lang)? {
        Segmenter::Rules(index) => rule_tokenizer(index)?.tokenize(text),
        Segmenter::Chars => Ok(char_tokens(text)),
    }
}

/// `[str(s) for s in nlp(text).sents]` for coqui's `nlp = get_spacy_lang(lang)` with
/// `nlp.add_pipe("sentencizer")`.
pub fn sentences<'t>(text: &'t str, lang: &str) -> Result<Vec<&'t str>, SplitError> {
    let shared = shared()?;
    let tokens = tokens(text, lang)?;
    let starts = sentence_starts(text, &tokens, shared);
    // `Doc.sents` yields the spans between starts; `Span.text` runs from the first token to
    // the end of the last one (its trailing space dropped).
    let mut out = Vec::with_capacity(starts.len());
    for (k, &first) in starts.iter().enumerate() {
        let last = starts.get(k + 1).map_or(tokens.len(), |&next| next) - 1;
        out.push(&text[tokens[first].start..tokens[last].end]);
    }
    Ok(out)
}

/// `Sentencizer.predict` with the default punctuation: a sentence starts at the first token
/// after a sentence-final character that is neither punctuation nor such a character.
fn sentence_starts(text: &str, tokens: &[Range<usize>], shared: &Shared) -> Vec<usize> {
    let mut starts = Vec::new();
    if tokens.is_empty() {
        return starts;
    }
    starts.push(0);
    let mut seen_period = false;
    for (i, r) in tokens.iter().enumerate() {
        let t = &text[r.clone()];
        let in_punct_chars = shared.punct_chars.contains(t);
        if seen_period && !in_punct_chars && !shared.punct.is_match(t) {
            // Never at 0: `seen_period` starts false.
            starts.push(i);
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    }
    starts
}

/// Chinese's "char" segmenter: `words = list(text)` aligned by `get_words_and_spaces`, which
/// drops whitespace characters, gives a token one following " " and makes every other run of
/// whitespace a token of its own.
fn char_tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = 0;
    for (i, c) in text.char_indices() {
        if py::is_space(c) {
            continue;
        }
        if i > pos {
            out.push(pos..i);
        }
        pos = i + c.len_utf8();
        out.push(i..pos);
        if text[pos..].starts_with(' ') {
            pos += 1;
        }
    }
    if pos < text.len() {
        out.push(pos..text.len());
    }
    out
}
