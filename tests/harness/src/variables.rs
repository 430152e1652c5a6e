//! Spin variables: application variables resolved once per harness (overrides, then
//! `SPIN_VARIABLE_<NAME>`, then the manifest default), and component variables rendered from
//! their `{{ name }}` templates when the guest asks for them.

use std::collections::BTreeMap;
use std::fmt;

use crate::manifest::VariableDecl;

/// Spin's variable-name rule: lowercase ASCII letters, digits and single underscores,
/// starting with a letter and not ending with an underscore.
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if !ok_chars || !starts_with_letter || name.ends_with('_') || name.contains("__") {
        return Err(format!(
            "invalid variable name {name:?}: use lowercase letters, digits and single underscores, starting with a letter"
        ));
    }
    Ok(())
}

/// A string with `{{ variable }}` references to application variables.
#[derive(Clone, PartialEq, Eq)]
pub struct Template(Vec<Part>);

#[derive(Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String),
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Literal(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' in {text:?}"))?;
            let name = after[..end].trim();
            validate_name(name)?;
            parts.push(Part::Variable(name.to_owned()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Self(parts))
    }

    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Part::Variable(name) => Some(name.as_str()),
            Part::Literal(_) => None,
        })
    }

    pub fn render(&self, values: &AppVariables) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Variable(name) => out.push_str(values.get(name)?),
            }
        }
        Ok(out)
    }
}

// Templates may embed secrets once rendered, but the template itself only names variables.
impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.0 {
            match part {
                Part::Literal(s) => f.write_str(s)?,
                Part::Variable(name) => write!(f, "{{{{ {name} }}}}")?,
            }
        }
        Ok(())
    }
}

/// Resolved application variables.
#[derive(Clone, Default)]
pub struct AppVariables {
    values: BTreeMap<String, (String, bool)>,
}

impl AppVariables {
    /// Resolve like `spin up`: `--variable` overrides win, then `SPIN_VARIABLE_<NAME>` from
    /// the environment, then the default. A required variable without a value is a startup
    /// error, as it is for Spin.
    pub fn resolve(
        decls: &BTreeMap<String, VariableDecl>,
        overrides: &BTreeMap<String, String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        for name in overrides.keys() {
            if !decls.contains_key(name) {
                return Err(format!(
                    "variable override {name:?} is not declared in [variables]"
                ));
            }
        }
        let mut values = BTreeMap::new();
        for (name, decl) in decls {
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())))
                .or_else(|| decl.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), (v, decl.secret));
                }
                None => {
                    return Err(format!(
                        "required variable {name:?} has no value; set it with SPIN_VARIABLE_{} or a harness override",
                        name.to_ascii_uppercase()
                    ))
                }
            }
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Result<&str, String> {
        self.values
            .get(name)
            .map(|(v, _)| v.as_str())
            .ok_or_else(|| format!("undeclared application variable {name:?}"))
    }
}

impl fmt::Debug for AppVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, (value, secret)) in &self.values {
            if *secret {
                map.entry(name, &"<secret>");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// The answer to a guest's `variables.get`, in Spin's error vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Value(String),
    InvalidName(String),
    Undefined(String),
    Provider(String),
}

/// One component's view: only the names in `[component.<id>.variables]` exist for it.
pub fn lookup(
    component: &str,
    declared: &BTreeMap<String, Template>,
    app: &AppVariables,
    name: &str,
) -> Lookup {
    if let Err(e) = validate_name(name) {
        return Lookup::InvalidName(e);
    }
    match declared.get(name) {
        // Spin's message for a name the component did not declare.
        None => Lookup::Undefined(format!("no variable for {component:?}.{name:?}")),
        Some(template) => match template.render(app) {
            Ok(v) => Lookup::Value(v),
            Err(e) => Lookup::Provider(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls() -> BTreeMap<String, VariableDecl> {
        BTreeMap::from([
            (
                "host".to_owned(),
                VariableDecl {
                    default: Some("example.com".into()),
                    ..Default::default()
                },
            ),
            (
                "token".to_owned(),
                VariableDecl {
                    required: true,
                    secret: true,
                    ..Default::default()
                },
            ),
        ])
    }

    #[test]
    fn templates_render_and_list_references() {
        let t = Template::parse("https://{{host}}:{{ port }}/x").unwrap();
        assert_eq!(t.references().collect::<Vec<_>>(), ["host", "port"]);
        assert_eq!(format!("{t:?}"), "https://{{ host }}:{{ port }}/x");
        assert!(Template::parse("{{ host").is_err());
        assert!(Template::parse("{{ Host }}").is_err());
    }

    #[test]
    fn precedence_is_override_then_env_then_default() {
        let env = |k: &str| (k == "SPIN_VARIABLE_HOST").then(|| "env.example".to_owned());
        let overrides = BTreeMap::from([("token".to_owned(), "t0k".to_owned())]);
        let vars = AppVariables::resolve(&decls(), &overrides, env).unwrap();
        assert_eq!(vars.get("host").unwrap(), "env.example");
        assert_eq!(vars.get("token").unwrap(), "t0k");
        assert_eq!(
            format!("{vars:?}"),
            r#"{"host": "env.example", "token": "<secret>"}"#
        );

        let overrides = BTreeMap::from([
            ("token".to_owned(), "t0k".to_owned()),
            ("host".to_owned(), "cli.example".to_owned()),
        ]);
        let vars = AppVariables::resolve(&decls(), &overrides, env).unwrap();
        assert_eq!(vars.get("host").unwrap(), "cli.example");
    }

    #[test]
    fn missing_required_and_unknown_overrides_fail() {
        let err = AppVariables::resolve(&decls(), &BTreeMap::new(), |_| None).unwrap_err();
        assert!(err.contains("SPIN_VARIABLE_TOKEN"), "{err}");
        let overrides = BTreeMap::from([("nope".to_owned(), "x".to_owned())]);
        assert!(AppVariables::resolve(&decls(), &overrides, |_| None).is_err());
    }

    #[test]
    fn component_lookup_follows_spin() {
        let app = AppVariables::resolve(
            &decls(),
            &BTreeMap::from([("token".to_owned(), "s3cret".to_owned())]),
            |_| None,
        )
        .unwrap();
        let declared = BTreeMap::from([(
            "auth".to_owned(),
            Template::parse("Bearer {{ token }}").unwrap(),
        )]);
        assert_eq!(
            lookup("chat", &declared, &app, "auth"),
            Lookup::Value("Bearer s3cret".into())
        );
        // An application variable is not visible unless the component maps it.
        assert_eq!(
            lookup("chat", &declared, &app, "token"),
            Lookup::Undefined(r#"no variable for "chat"."token""#.into())
        );
        assert!(matches!(
            lookup("chat", &declared, &app, "Bad-Name"),
            Lookup::InvalidName(_)
        ));
    }
}
