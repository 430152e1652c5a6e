//! The pass over the text: each position is a number (or a sign, currency or symbol with one),
//! a Latin word, or a character that is copied as it is.

use crate::chars::{at, is_arabic_letter, is_arabic_mark, is_digit, CLITICS};
use crate::{abbreviations, numeric};

/// The output, with the spacing rule for what is inserted: a spoken replacement is kept apart
/// from letters and digits on either side by one space, except that a number stays attached to
/// a proclitic written onto it ("ب٥٠" → "بخمسين"). Punctuation and spaces that were there
/// stay as they were.
#[derive(Default)]
struct Out {
    text: String,
    /// The last thing written was a replacement.
    after_word: bool,
}

impl Out {
    fn char(&mut self, c: char) {
        if self.after_word && c.is_alphanumeric() {
            self.text.push(' ');
        }
        self.after_word = false;
        self.text.push(c);
    }

    fn word(&mut self, word: &str, number: bool) {
        if word.is_empty() {
            return;
        }
        if let Some(last) = self.text.chars().next_back() {
            let gap = if last.is_whitespace() {
                false
            } else if self.after_word {
                true
            } else if last.is_alphanumeric() || is_arabic_mark(last) {
                !(number && self.ends_with_clitic())
            } else {
                false
            };
            if gap {
                self.text.push(' ');
            }
        }
        self.text.push_str(word);
        self.after_word = true;
    }

    /// Whether the text ends in an Arabic word that is only a proclitic (ب، بال، و، ل…).
    fn ends_with_clitic(&self) -> bool {
        let mut word: Vec<char> = self
            .text
            .chars()
            .rev()
            .take_while(|&c| is_arabic_letter(c) || is_arabic_mark(c))
            .filter(|&c| !is_arabic_mark(c))
            .collect();
        word.reverse();
        let word: String = word.into_iter().collect();
        CLITICS.contains(&word.as_str())
    }
}

pub fn normalize(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Out::default();
    let mut i = 0;
    while let Some(c) = at(&chars, i) {
        let reading = if is_digit(c) {
            Some(numeric::at_digit(&chars, i))
        } else {
            numeric::at_sign(&chars, i).or_else(|| numeric::at_currency(&chars, i))
        };
        if let Some(r) = reading.filter(|r| r.end > i) {
            out.word(&r.text, true);
            i = r.end;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let after_number = numeric::number_before(&chars, i);
            if let Some((spoken, end)) = abbreviations::latin_at(&chars, i, after_number) {
                out.word(spoken, false);
                i = end;
                continue;
            }
            // An unknown word is copied whole, so no abbreviation is found inside it.
            while let Some(c) = at(&chars, i).filter(char::is_ascii_alphabetic) {
                out.char(c);
                i += 1;
            }
            continue;
        }
        if let Some((spoken, end)) = abbreviations::symbol_at(&chars, i) {
            out.word(spoken, false);
            i = end;
            continue;
        }
        out.char(c);
        i += 1;
    }
    out.text
}
