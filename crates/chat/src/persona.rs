//! Persona system prompts, selected by `ai_language`. The texts live in versioned files
//! under `prompts/` so a change to the assistant's voice is a reviewed, numbered change.

use serde_json::{json, Value};

use crate::config::PersonaMode;

/// Built-in personas: (ai_language id, version, prompt).
const PERSONAS: &[(&str, u32, &str)] = &[
    (
        "arabic_egyptian",
        1,
        include_str!("../prompts/arabic_egyptian.v1.md"),
    ),
    ("arabic", 1, include_str!("../prompts/arabic.v1.md")),
    ("english", 1, include_str!("../prompts/english.v1.md")),
];

/// `ai_language` values that have a built-in persona.
pub fn known_ids() -> Vec<&'static str> {
    PERSONAS.iter().map(|(id, _, _)| *id).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persona {
    pub id: String,
    /// 0 for a prompt given by the `chat_system_prompt` variable.
    pub version: u32,
    pub text: String,
}

impl Persona {
    pub fn builtin(id: &str) -> Option<Self> {
        PERSONAS
            .iter()
            .find(|(pid, _, _)| *pid == id)
            .map(|(id, version, text)| Self {
                id: (*id).to_owned(),
                version: *version,
                text: text.trim().to_owned(),
            })
    }

    pub fn custom(text: String) -> Self {
        Self {
            id: "custom".into(),
            version: 0,
            text: text.trim().to_owned(),
        }
    }

    /// `arabic_egyptian@v1`, reported in the `x-sawt-persona` header.
    pub fn label(&self) -> String {
        if self.version == 0 {
            self.id.clone()
        } else {
            format!("{}@v{}", self.id, self.version)
        }
    }

    /// Inserts the persona as the first message according to `mode`; returns whether it did.
    pub fn apply(&self, messages: &mut Vec<Value>, mode: PersonaMode) -> bool {
        let client_has_system = messages.iter().any(|m| {
            matches!(
                m.get("role").and_then(Value::as_str),
                Some("system") | Some("developer")
            )
        });
        let insert = match mode {
            PersonaMode::Off => false,
            PersonaMode::Always => true,
            PersonaMode::Auto => !client_has_system,
        };
        if insert {
            messages.insert(0, json!({"role": "system", "content": self.text}));
        }
        insert
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egyptian_persona_is_arabic_script_and_asks_for_tts_friendly_text() {
        let p = Persona::builtin("arabic_egyptian").unwrap();
        assert_eq!(p.label(), "arabic_egyptian@v1");
        assert!(p.text.starts_with("أنت \"صوت\""));
        assert!(p.text.contains("اللهجة المصرية العامية"));
        assert!(p.text.contains("جمل قصيرة"));
        assert!(Persona::builtin("nope").is_none());
        assert_eq!(known_ids(), ["arabic_egyptian", "arabic", "english"]);
    }

    #[test]
    fn auto_mode_respects_a_client_system_message() {
        let p = Persona::custom("be brief".into());
        let mut plain = vec![json!({"role": "user", "content": "hi"})];
        assert!(p.apply(&mut plain, PersonaMode::Auto));
        assert_eq!(plain[0], json!({"role": "system", "content": "be brief"}));
        assert_eq!(plain.len(), 2);

        let mut with_system = vec![
            json!({"role": "system", "content": "mine"}),
            json!({"role": "user", "content": "hi"}),
        ];
        assert!(!p.apply(&mut with_system, PersonaMode::Auto));
        assert_eq!(with_system.len(), 2);

        let mut with_dev = vec![json!({"role": "developer", "content": "mine"})];
        assert!(!p.apply(&mut with_dev, PersonaMode::Auto));

        assert!(p.apply(&mut with_system, PersonaMode::Always));
        assert_eq!(with_system[0]["content"], "be brief");
        assert_eq!(with_system[1]["content"], "mine");

        let mut off = vec![json!({"role": "user", "content": "hi"})];
        assert!(!p.apply(&mut off, PersonaMode::Off));
        assert_eq!(off.len(), 1);
    }
}
