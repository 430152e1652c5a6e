//! The subset of Spin's manifest v2 (`spin.toml`) that sawt uses, validated the way `spin up`
//! validates it. Anything the harness cannot honour is an error, never silently ignored, so a
//! green test run means the manifest would behave the same under Spin.
//!
//! Every table denies unknown keys, as Spin's own schema does, so a misspelt key (say
//! `key_value_store`) fails to load instead of quietly granting nothing. The accepted keys are
//! those of spinframework/spin@94a8fc8a7804ec2519bb8d12df70ab77ad2e4f60
//! crates/manifest/src/schema/{v2,common}.rs and crates/http/src/config.rs
//! (`HttpTriggerConfig`); the legal ones the harness cannot honour are refused by name.

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
#[serde(deny_unknown_fields)]
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

/// Metadata only, apart from `trigger`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApplication {
    name: String,
    #[allow(dead_code)] // Read only to be accepted, as Spin accepts it.
    version: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    authors: Vec<String>,
    /// Deployment environments `spin build` checks components against.
    #[serde(default)]
    targets: Vec<toml::Value>,
    /// `[application.trigger.<type>]`: for http only a deprecated `base`.
    #[serde(default)]
    trigger: BTreeMap<String, toml::Table>,
    /// `[application.tool.<name>]`: settings for other tools, which Spin ignores too.
    #[serde(default)]
    #[allow(dead_code)]
    tool: BTreeMap<String, toml::Table>,
}

/// `[application.trigger.http]` as Spin's http trigger reads it (`TriggerMetadata` in
/// crates/trigger-http/src/lib.rs).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpTriggerMetadata {
    base: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[allow(dead_code)]
    description: Option<String>,
    default: Option<String>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    secret: bool,
}

/// One `[[trigger.http]]`: Spin's common trigger keys plus `HttpTriggerConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    #[allow(dead_code)] // An id only names the trigger.
    id: Option<String>,
    route: Option<RawRoute>,
    component: Option<toml::Value>,
    #[serde(default)]
    components: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    executor: Option<RawExecutor>,
    static_response: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private(RawPrivate),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivate {
    private: bool,
}

/// `executor = { type = "..." }`; Spin's default is `http` (alias `spin`).
#[derive(Deserialize)]
struct RawExecutor {
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    rest: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[allow(dead_code)]
    description: Option<String>,
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
    /// Only narrows `files`, which the harness refuses; without `files` Spin ignores it too.
    #[serde(default)]
    #[allow(dead_code)]
    exclude_files: Vec<String>,
    targets: Option<toml::Value>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    /// Only qualifies `dependencies`, which the harness refuses.
    #[allow(dead_code)]
    dependencies_inherit_configuration: Option<bool>,
    #[serde(default)]
    profile: BTreeMap<String, toml::Value>,
    /// `[component.<id>.tool.<name>]`: settings for other tools, which Spin ignores too.
    #[serde(default)]
    #[allow(dead_code)]
    tool: BTreeMap<String, toml::Table>,
    build: Option<RawBuild>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuild {
    command: toml::Value,
    workdir: Option<String>,
    /// `spin watch` globs; the harness has no watch mode and needs none to run the app.
    #[serde(default)]
    #[allow(dead_code)]
    watch: Vec<String>,
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
        check_application(&raw.application)?;

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
                ("profile", c.profile.len()),
                ("targets", usize::from(c.targets.is_some())),
            ] {
                if list > 0 {
                    return Err(format!(
                        "component {id:?}: `{what}` is not supported by the harness"
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
                if t.static_response.is_some() {
                    return Err(
                        "http triggers with `static_response` are not supported by the harness"
                            .into(),
                    );
                }
                if !t.components.is_empty() || !t.dependencies.is_empty() {
                    return Err("http triggers with `components` or `dependencies` are not supported by the harness".into());
                }
                if let Some(executor) = &t.executor {
                    check_executor(executor)?;
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
                    Some(RawRoute::Private(RawPrivate { private: true })) => {}
                    Some(RawRoute::Private(RawPrivate { private: false })) => {
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

/// `[application]` keys Spin accepts but the harness could only honour by ignoring them.
fn check_application(app: &RawApplication) -> Result<(), String> {
    if !app.targets.is_empty() {
        return Err("[application] `targets` is not supported by the harness".into());
    }
    for (kind, table) in &app.trigger {
        if kind != "http" {
            return Err(format!(
                "[application.trigger.{kind}]: trigger type {kind:?} is not provided by the harness (only http)"
            ));
        }
        let meta: RawHttpTriggerMetadata = table
            .clone()
            .try_into()
            .map_err(|e| format!("[application.trigger.http]: {e}"))?;
        // Spin warns about base "/" (the default) and refuses any other.
        match meta.base.as_deref() {
            None | Some("/") => {}
            Some(_) => {
                return Err("[application.trigger.http] uses the deprecated `base` field; prepend the base to each [[trigger.http]] route instead".into())
            }
        }
    }
    Ok(())
}

fn check_executor(executor: &RawExecutor) -> Result<(), String> {
    match executor.kind.as_str() {
        "http" | "spin" if executor.rest.is_empty() => Ok(()),
        "http" | "spin" => Err(format!(
            "http trigger executor {:?} takes no other keys, found {:?}",
            executor.kind,
            executor.rest.keys().collect::<Vec<_>>()
        )),
        "wagi" => Err("the wagi http executor is not supported by the harness".into()),
        other => Err(format!("unknown http trigger executor type {other:?}")),
    }
}
