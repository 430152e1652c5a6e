//! spaCy's rule-based tokenizer, for the languages whose blank pipeline uses it.
//!
//! Port of spaCy 3.8.7 `spacy/tokenizer.pyx` (`Tokenizer._tokenize_affixes`, `_split_affixes`,
//! `_attach_tokens`, `add_special_case`, `_apply_special_cases`, `_filter_special_spans`,
//! `_retokenize_special_spans`) and of the `PhraseMatcher.find_matches` it uses
//! (`spacy/matcher/phrasematcher.pyx`). The rules (prefix, suffix and infix patterns, the URL
//! pattern, special cases) are spaCy's own, dumped by `scripts/xtts_spacy_rules.py`.
//!
//! Tokens are byte ranges into the text. spaCy's tokenization never loses a character, so a
//! token's position is the sum of what precedes it and ranges say everything the sentencizer
//! and `Span.text` need. spaCy's chunk cache is left out: it only ever returns what tokenizing
//! the same string again gives.

use super::super::SplitError;
use super::pyre;
use fancy_regex::Regex;
use std::collections::HashMap;
use std::ops::Range;

/// One language's rules as `scripts/xtts_spacy_rules.py` writes them.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct LangRules {
    prefix: String,
    suffix: String,
    infix: String,
    url: String,
    /// Each special case as its tokens' texts; the key is their concatenation.
    rules: Vec<Vec<String>>,
}

/// A node of the special-case matcher: token text → next node.
#[derive(Debug, Default)]
struct Trie {
    children: HashMap<String, Trie>,
    terminal: bool,
}

/// spaCy's `suffix_search`, split for speed. Every alternative ends in `$`, so a match's
/// length follows from its start alone and the leftmost start over any grouping of the
/// alternatives is the answer: the look-around-free ones run in the regex crate's linear
/// engine, only those with look-behind in fancy-regex's backtracker (the whole alternation
/// there costs ~7 ms per search on 5,000 characters, and spaCy searches once per suffix).
#[derive(Debug)]
struct SuffixSearch {
    plain: Option<regex::Regex>,
    fancy: Option<Regex>,
}

/// Whether a (Python) alternative ends in an unescaped `$`.
fn ends_with_anchor(alternative: &str) -> bool {
    let Some(body) = alternative.strip_suffix('$') else {
        return false;
    };
    body.chars().rev().take_while(|&c| c == '\\').count() % 2 == 0
}

impl SuffixSearch {
    fn new(pattern: &str) -> Result<Self, SplitError> {
        let alternatives = pyre::alternatives(pattern);
        if !alternatives.iter().all(|a| ends_with_anchor(a)) {
            return Ok(Self {
                plain: None,
                fancy: Some(compile_py(pattern)?),
            });
        }
        let (fancy, plain): (Vec<&str>, Vec<&str>) = alternatives
            .into_iter()
            .partition(|a| pyre::needs_backtracking(a));
        let plain = if plain.is_empty() {
            None
        } else {
            let rust = pyre::to_rust(&plain.join("|"))?;
            Some(regex::Regex::new(&rust).map_err(|e| SplitError::Rules(e.to_string()))?)
        };
        let fancy = if fancy.is_empty() {
            None
        } else {
            Some(compile_py(&fancy.join("|"))?)
        };
        Ok(Self { plain, fancy })
    }

    /// The length of the suffix `re.search` finds in `s` (0 for none).
    fn find(&self, s: &str) -> Result<usize, SplitError> {
        let mut start = self
            .plain
            .as_ref()
            .and_then(|re| re.find(s))
            .map(|m| m.start());
        if let Some(re) = &self.fancy {
            if let Some(m) = re.find(s).map_err(regex_err)? {
                start = Some(start.map_or(m.start(), |p| p.min(m.start())));
            }
        }
        Ok(start.map_or(0, |p| s.len() - p))
    }
}

#[derive(Debug)]
pub(crate) struct RuleTokenizer {
    prefix: Regex,
    suffix: SuffixSearch,
    infix: Regex,
    url: Regex,
    /// Special case → byte lengths of its tokens.
    specials: HashMap<String, Vec<usize>>,
    /// Token sequences of the special cases that the affix rules would split
    /// (`add_special_case` with `faster_heuristics=True`).
    matcher: Trie,
}

type Tokens = Vec<Range<usize>>;

/// A pattern of the rules file with its shared classes put back.
fn expand(pattern: &str, classes: &HashMap<String, String>) -> String {
    let mut full = pattern.to_owned();
    for (name, value) in classes {
        full = full.replace(&format!("⟪{name}⟫"), value);
    }
    full
}

/// A Python pattern as fancy-regex.
fn compile_py(pattern: &str) -> Result<Regex, SplitError> {
    Regex::new(&pyre::to_rust(pattern)?).map_err(|e| SplitError::Rules(e.to_string()))
}

fn regex_err(e: fancy_regex::Error) -> SplitError {
    SplitError::Regex(e.to_string())
}

impl RuleTokenizer {
    pub(crate) fn new(
        rules: &LangRules,
        classes: &HashMap<String, String>,
    ) -> Result<Self, SplitError> {
        let mut tok = Self {
            prefix: compile_py(&expand(&rules.prefix, classes))?,
            suffix: SuffixSearch::new(&expand(&rules.suffix, classes))?,
            infix: compile_py(&expand(&rules.infix, classes))?,
            url: compile_py(&expand(&rules.url, classes))?,
            specials: HashMap::new(),
            matcher: Trie::default(),
        };
        for pieces in &rules.rules {
            let key: String = pieces.concat();
            tok.specials
                .insert(key, pieces.iter().map(String::len).collect());
        }
        // `add_special_case`: a case goes to the matcher when an affix rule fires on it or it
        // holds a space, as its tokenization without special cases.
        for pieces in &rules.rules {
            let key: String = pieces.concat();
            let affixed = tok.find_prefix(&key)? != 0
                || !tok.find_infix(&key)?.is_empty()
                || tok.find_suffix(&key)? != 0
                || key.contains(' ');
            if affixed {
                let tokens = tok.tokenize_affixes(&key, false)?;
                let mut node = &mut tok.matcher;
                for r in tokens {
                    node = node.children.entry(key[r].to_owned()).or_default();
                }
                node.terminal = true;
            }
        }
        Ok(tok)
    }

    /// `Tokenizer.__call__`: affix tokenization, then special cases that span several tokens.
    pub(crate) fn tokenize(&self, text: &str) -> Result<Tokens, SplitError> {
        let tokens = self.tokenize_affixes(text, true)?;
        Ok(self.apply_special_cases(text, tokens))
    }

    fn find_prefix(&self, s: &str) -> Result<usize, SplitError> {
        Ok(self
            .prefix
            .find(s)
            .map_err(regex_err)?
            .map_or(0, |m| m.end() - m.start()))
    }

    fn find_suffix(&self, s: &str) -> Result<usize, SplitError> {
        // Python's `$` also matches before a final "\n"; no string searched here has one
        // that a suffix could precede (newlines only occur in whitespace-only chunks).
        self.suffix.find(s)
    }

    fn find_infix(&self, s: &str) -> Result<Vec<(usize, usize)>, SplitError> {
        self.infix
            .find_iter(s)
            .map(|m| m.map(|m| (m.start(), m.end())).map_err(regex_err))
            .collect()
    }

    fn is_special(&self, with_special: bool, s: &str) -> bool {
        with_special && self.specials.contains_key(s)
    }

    /// Pushes a special case's tokens for `text[range]` if it is one.
    fn push_special(
        &self,
        text: &str,
        range: Range<usize>,
        with_special: bool,
        out: &mut Tokens,
    ) -> bool {
        if !with_special {
            return false;
        }
        let Some(lengths) = self.specials.get(&text[range.clone()]) else {
            return false;
        };
        let mut at = range.start;
        for len in lengths {
            out.push(at..at + len);
            at += len;
        }
        true
    }

    /// `_tokenize_affixes`: cut at whitespace (a single " " after a token belongs to it, other
    /// whitespace becomes tokens), then tokenize every piece.
    fn tokenize_affixes(&self, text: &str, with_special: bool) -> Result<Tokens, SplitError> {
        let mut out = Tokens::new();
        let Some(first) = text.chars().next() else {
            return Ok(out);
        };
        let mut in_ws = super::super::py::is_space(first);
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if super::super::py::is_space(c) != in_ws {
                if start < i {
                    self.tokenize_chunk(text, start..i, with_special, &mut out)?;
                }
                start = if c == ' ' { i + 1 } else { i };
                in_ws = !in_ws;
            }
        }
        if start < text.len() {
            self.tokenize_chunk(text, start..text.len(), with_special, &mut out)?;
        }
        Ok(out)
    }

    /// `_try_specials_and_cache`, else `_tokenize`.
    fn tokenize_chunk(
        &self,
        text: &str,
        chunk: Range<usize>,
        with_special: bool,
        out: &mut Tokens,
    ) -> Result<(), SplitError> {
        if self.push_special(text, chunk.clone(), with_special, out) {
            return Ok(());
        }
        let mut prefixes = Tokens::new();
        let mut suffixes = Tokens::new();
        let middle = self.split_affixes(text, chunk, &mut prefixes, &mut suffixes, with_special)?;
        self.attach_tokens(text, middle, prefixes, suffixes, with_special, out)
    }

    /// `_split_affixes`: strip prefixes and suffixes off `text[s]` until none matches or what
    /// is left is a special case.
    fn split_affixes(
        &self,
        text: &str,
        mut s: Range<usize>,
        prefixes: &mut Tokens,
        suffixes: &mut Tokens,
        with_special: bool,
    ) -> Result<Range<usize>, SplitError> {
        let mut last_size = 0;
        while !s.is_empty() && s.len() != last_size {
            if self.is_special(with_special, &text[s.clone()]) {
                break;
            }
            last_size = s.len();
            let pre_len = self.find_prefix(&text[s.clone()])?;
            if pre_len != 0 {
                let minus_pre = s.start + pre_len..s.end;
                if !minus_pre.is_empty() && self.is_special(with_special, &text[minus_pre.clone()])
                {
                    prefixes.push(s.start..s.start + pre_len);
                    s = minus_pre;
                    break;
                }
            }
            let suf_len = self.find_suffix(&text[s.start + pre_len..s.end])?;
            if suf_len != 0 {
                let minus_suf = s.start..s.end - suf_len;
                if !minus_suf.is_empty() && self.is_special(with_special, &text[minus_suf.clone()])
                {
                    suffixes.push(s.end - suf_len..s.end);
                    s = minus_suf;
                    break;
                }
            }
            // The suffix was searched after the prefix, so both always fit together.
            if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= s.len() {
                prefixes.push(s.start..s.start + pre_len);
                suffixes.push(s.end - suf_len..s.end);
                s = s.start + pre_len..s.end - suf_len;
            } else if pre_len != 0 {
                prefixes.push(s.start..s.start + pre_len);
                s = s.start + pre_len..s.end;
            } else if suf_len != 0 {
                suffixes.push(s.end - suf_len..s.end);
                s = s.start..s.end - suf_len;
            }
        }
        Ok(s)
    }

    /// `_attach_tokens`: prefixes, the middle (a special case, a URL, or split at infixes),
    /// then the suffixes innermost first.
    fn attach_tokens(
        &self,
        text: &str,
        middle: Range<usize>,
        prefixes: Tokens,
        suffixes: Tokens,
        with_special: bool,
        out: &mut Tokens,
    ) -> Result<(), SplitError> {
        out.extend(prefixes);
        if !middle.is_empty() {
            let s = &text[middle.clone()];
            if self.push_special(text, middle.clone(), with_special, out) {
                // done
            } else if self.url.is_match(s).map_err(regex_err)? {
                out.push(middle.clone());
            } else {
                let base = middle.start;
                let matches = self.find_infix(s)?;
                let mut start = 0;
                for (infix_start, infix_end) in matches {
                    // An infix at the very start is not split off (`start_before_infixes`).
                    if infix_start == 0 {
                        continue;
                    }
                    if infix_start != start {
                        out.push(base + start..base + infix_start);
                    }
                    if infix_start != infix_end {
                        out.push(base + infix_start..base + infix_end);
                    }
                    start = infix_end;
                }
                if start < s.len() {
                    out.push(base + start..middle.end);
                }
            }
        }
        out.extend(suffixes.into_iter().rev());
        Ok(())
    }

    /// `_apply_special_cases`: find special cases the affix rules split into several tokens
    /// (PhraseMatcher on token texts), keep the longest, leftmost, non-overlapping ones, and
    /// replace those whose text (with the whitespace between the tokens) is a special case.
    fn apply_special_cases(&self, text: &str, tokens: Tokens) -> Tokens {
        let mut matches: Vec<(usize, usize)> = Vec::new();
        for start in 0..tokens.len() {
            let mut node = &self.matcher;
            for (idy, r) in tokens.iter().enumerate().skip(start) {
                let Some(next) = node.children.get(&text[r.clone()]) else {
                    break;
                };
                node = next;
                if node.terminal {
                    matches.push((start, idy + 1));
                }
            }
        }
        if matches.is_empty() {
            return tokens;
        }
        // `_filter_special_spans`: sorted by `len_start_cmp` (length up, then start down) and
        // walked from the end; a span's tokens count as seen even when it is rejected.
        matches.sort_by(|a, b| (a.1 - a.0).cmp(&(b.1 - b.0)).then(b.0.cmp(&a.0)));
        let mut seen = vec![false; tokens.len()];
        let mut filtered: Vec<(usize, usize)> = Vec::new();
        for &(s, e) in matches.iter().rev() {
            if !seen[s] && !seen[e - 1] {
                filtered.push((s, e));
            }
            seen[s..e].iter_mut().for_each(|x| *x = true);
        }
        filtered.sort_by_key(|m| m.0);
        // `_retokenize_special_spans`.
        let mut out = Tokens::with_capacity(tokens.len());
        let mut spans = filtered.into_iter().peekable();
        let mut i = 0;
        while i < tokens.len() {
            match spans.peek() {
                Some(&(s, e)) if s == i => {
                    spans.next();
                    let range = tokens[s].start..tokens[e - 1].end;
                    if !self.push_special(text, range, true, &mut out) {
                        out.extend(tokens[s..e].iter().cloned());
                    }
                    i = e;
                }
                _ => {
                    out.push(tokens[i].clone());
                    i += 1;
                }
            }
        }
        out
    }
}
