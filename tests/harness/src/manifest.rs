//! The subset of Spin's manifest v2 (`spin.toml`) that sawt uses, validated the way `spin up`
//! validates it. Anything the harness cannot honour is an error, never silently ignored, so a
//! green test run means the manifest would behave the same under Spin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::variables::{validate_name, Template};
use crate::HarnessError;

/// A parsed, validated `spin.toml`.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory holding `spin.toml`; relative `source` paths start here.
    pub dir: PathBuf,
    pub name: String,
    pub variables: BTreeMap<String, VariableDecl>,
    pub routes: Vec<HttpRoute>,
    pub components: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariableDecl {
    pub default: Option<String>,
    pub required: bool,
    pub secret: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// The route as written, e.g. `/v1/...` or `/v1/models`.
    pub route: String,
    pub component: String,
}

#[derive(Debug, Clone)]
pub struct ComponentDecl {
    pub id: String,
    /// `source` exactly as written in the manifest.
    pub source: String,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub variables: BTreeMap<String, Template>,
    pub environment: BTreeMap<String, String>,
    pub build_command: Option<String>,
    pub build_workdir: Option<String>,
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<RawTrigger>>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
    #[serde(default)]
    trigger: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
}

#[derive(Deserialize)]
struct RawTrigger {
    route: Option<RawRoute>,
    component: Option<toml::Value>,
    executor: Option<toml::Value>,
    static_response: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    files: Vec<toml::Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    build: Option<RawBuild>,
}

#[derive(Deserialize)]
struct RawBuild {
    command: toml::Value,
    workdir: Option<String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, HarnessError> {
        let text = std::fs::read_to_string(path).map_err(|source| HarnessError::Io {
            path: path.to_owned(),
            source,
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, dir).map_err(|message| HarnessError::Manifest {
            path: path.to_owned(),
            message,
        })
    }

    pub fn parse(text: &str, dir: PathBuf) -> Result<Self, String> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| e.to_string())?;
        if raw.spin_manifest_version.as_integer() != Some(2) {
            return Err(format!(
                "spin_manifest_version must be 2, found {}",
                raw.spin_manifest_version
            ));
        }
        if raw.application.trigger.is_some() {
            return Err("[application.trigger] settings (e.g. a base path) are manifest v1 only; v2 has none".into());
        }

        let mut variables = BTreeMap::new();
        for (name, v) in raw.variables {
            validate_name(&name).map_err(|e| format!("variable {name:?}: {e}"))?;
            match (&v.default, v.required) {
                (Some(_), true) => {
                    return Err(format!(
                        "variable {name:?} cannot be both required and have a default"
                    ))
                }
                (None, false) => {
                    return Err(format!(
                        "variable {name:?} must have a default or be required = true"
                    ))
                }
                _ => {}
            }
            variables.insert(
                name,
                VariableDecl {
                    default: v.default,
                    required: v.required,
                    secret: v.secret,
                },
            );
        }

        let mut components = BTreeMap::new();
        for (id, c) in raw.component {
            let source = match c.source {
                toml::Value::String(s) => s,
                other => {
                    return Err(format!(
                        "component {id:?}: only a local file `source` is supported by the harness, found {other}"
                    ))
                }
            };
            if !c.allowed_http_hosts.is_empty() {
                return Err(format!(
                    "component {id:?}: `allowed_http_hosts` is manifest v1; use allowed_outbound_hosts"
                ));
            }
            for (what, list) in [
                ("sqlite_databases", c.sqlite_databases.len()),
                ("ai_models", c.ai_models.len()),
                ("files", c.files.len()),
                ("dependencies", c.dependencies.len()),
            ] {
                if list > 0 {
                    return Err(format!(
                        "component {id:?}: `{what}` is not provided by the harness"
                    ));
                }
            }
            let mut component_vars = BTreeMap::new();
            for (name, template) in c.variables {
                validate_name(&name)
                    .map_err(|e| format!("component {id:?} variable {name:?}: {e}"))?;
                let template = Template::parse(&template)
                    .map_err(|e| format!("component {id:?} variable {name:?}: {e}"))?;
                for reference in template.references() {
                    if !variables.contains_key(reference) {
                        return Err(format!(
                            "component {id:?} variable {name:?} refers to undeclared application variable {reference:?}"
                        ));
                    }
                }
                component_vars.insert(name, template);
            }
            for host in &c.allowed_outbound_hosts {
                let template = Template::parse(host)
                    .map_err(|e| format!("component {id:?} allowed_outbound_hosts: {e}"))?;
                for reference in template.references() {
                    if !variables.contains_key(reference) {
                        return Err(format!(
                            "component {id:?} allowed_outbound_hosts {host:?} refers to undeclared application variable {reference:?}"
                        ));
                    }
                }
            }
            let (build_command, build_workdir) = match c.build {
                None => (None, None),
                Some(b) => {
                    let command = match b.command {
                        toml::Value::String(s) => s,
                        toml::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                format!("component {id:?}: build.command must be strings")
                            })?
                            .join(" && "),
                        other => {
                            return Err(format!(
                                "component {id:?}: build.command must be a string, found {other}"
                            ))
                        }
                    };
                    (Some(command), b.workdir)
                }
            };
            components.insert(
                id.clone(),
                ComponentDecl {
                    id,
                    source,
                    allowed_outbound_hosts: c.allowed_outbound_hosts,
                    key_value_stores: c.key_value_stores,
                    variables: component_vars,
                    environment: c.environment,
                    build_command,
                    build_workdir,
                },
            );
        }

        let mut routes = Vec::new();
        for (kind, triggers) in raw.trigger {
            if kind != "http" {
                return Err(format!(
                    "trigger type {kind:?} is not provided by the harness (only http)"
                ));
            }
            for t in triggers {
                if t.executor.is_some() || t.static_response.is_some() {
                    return Err("http triggers with `executor` or `static_response` are not provided by the harness".into());
                }
                let component = match t.component {
                    Some(toml::Value::String(s)) => s,
                    Some(_) => {
                        return Err("inline trigger components are not supported by the harness; name a [component.<id>]".into())
                    }
                    None => return Err("an http trigger has no component".into()),
                };
                if !components.contains_key(&component) {
                    return Err(format!(
                        "http trigger refers to undefined component {component:?}"
                    ));
                }
                match t.route {
                    Some(RawRoute::Path(route)) => routes.push(HttpRoute { route, component }),
                    // Private endpoints are reachable only by service chaining, not by URL.
                    Some(RawRoute::Private { private: true }) => {}
                    Some(RawRoute::Private { private: false }) => {
                        return Err(format!(
                            "component {component:?}: route must be a string pattern or {{ private = true }}"
                        ))
                    }
                    None => return Err(format!("http trigger for {component:?} has no route")),
                }
            }
        }

        Ok(Self {
            dir,
            name: raw.application.name,
            variables,
            routes,
            components,
        })
    }
}
