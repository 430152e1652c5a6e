//! Configuration lookup: Spin variables in a component, `SPIN_VARIABLE_*` env vars natively,
//! a map in tests. Handlers take `&dyn Env` so they never touch a host API directly.

use std::collections::HashMap;

/// A source of configuration variables (`name -> value`).
pub trait Env {
    /// Raw value of a variable, `None` when it is not defined.
    fn var(&self, name: &str) -> Option<String>;

    /// Value with surrounding whitespace removed; empty counts as unset, because Spin
    /// variables cannot be "absent" once declared with `default = ""`.
    fn get(&self, name: &str) -> Option<String> {
        self.var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// [`Env::get`] with a default.
    fn get_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }
}

impl<F> Env for F
where
    F: Fn(&str) -> Option<String>,
{
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// An [`Env`] backed by a map, for tests and native servers.
#[derive(Debug, Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder-style insert.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Variables from `SPIN_VARIABLE_<NAME>` process environment entries (the names Spin
    /// itself reads for its environment-variable provider), lower-cased.
    pub fn from_process_env() -> Self {
        let vars = std::env::vars()
            .filter_map(|(k, v)| {
                k.strip_prefix("SPIN_VARIABLE_")
                    .map(|name| (name.to_ascii_lowercase(), v))
            })
            .collect();
        Self(vars)
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_values_count_as_unset() {
        let env = MapEnv::new().with("a", "  ").with("b", " x ");
        assert_eq!(env.get("a"), None);
        assert_eq!(env.get("b").as_deref(), Some("x"));
        assert_eq!(env.get_or("a", "d"), "d");
        assert_eq!(env.get_or("missing", "d"), "d");
    }

    #[test]
    fn closures_are_envs() {
        let env = |name: &str| (name == "k").then(|| "v".to_owned());
        assert_eq!(Env::get(&env, "k").as_deref(), Some("v"));
        assert_eq!(Env::get(&env, "other"), None);
    }
}
