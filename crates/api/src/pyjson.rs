//! JSON as Python writes it.

/// Python's `json.dump` writes `Infinity`, `-Infinity` and `NaN` (coqui's config has
/// `"max_audio_len": Infinity`), which strict JSON parsers refuse: outside strings they become
/// `null` (no field sawt reads can hold them; coqui's `config.json` is read by the XTTS
/// loader and the CLI's push).
pub fn python_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            if c == '\\' {
                if let Some(n) = rest.chars().next() {
                    out.push(n);
                    rest = &rest[n.len_utf8()..];
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        let word = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|w| rest.starts_with(w));
        if let Some(w) = word {
            out.push_str("null");
            rest = &rest[w.len()..];
            continue;
        }
        in_string = c == '"';
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python_json;

    #[test]
    fn python_non_finite_numbers_become_null_outside_strings() {
        let s = r#"{"a": Infinity, "b": -Infinity, "c": NaN, "d": "Infinity \"NaN\"", "e": 1}"#;
        assert_eq!(
            python_json(s),
            r#"{"a": null, "b": null, "c": null, "d": "Infinity \"NaN\"", "e": 1}"#
        );
    }
}
