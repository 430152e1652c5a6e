//! `spin.toml` loading: the app's own manifests load, misspelt keys fail, legal keys the
//! harness cannot honour are refused by name. No wasm needed.

use std::path::{Path, PathBuf};

use spin_harness::Manifest;

const MINIMAL: &str = r#"
spin_manifest_version = 2

[application]
name = "t"

[[trigger.http]]
route = "/..."
component = "c"

[component.c]
source = "c.wasm"
"#;

/// `MINIMAL` with the keys `extra` added to the table `table`, or, when `extra` starts a
/// table of its own, with `extra` appended (so it captures no key of `table`).
fn with(table: &str, extra: &str) -> Result<Manifest, String> {
    let text = if extra.starts_with('[') {
        format!("{MINIMAL}\n{extra}\n")
    } else {
        MINIMAL.replacen(table, &format!("{table}\n{extra}"), 1)
    };
    assert_ne!(text, MINIMAL, "no {table} in the test manifest");
    Manifest::parse(&text, PathBuf::from("."))
}

#[test]
fn the_apps_manifests_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in ["../../spin.toml", "../harness-guest/spin.toml"] {
        let m = Manifest::load(&root.join(path)).unwrap_or_else(|e| panic!("{e}"));
        assert!(!m.components.is_empty() && !m.routes.is_empty(), "{path}");
    }
    let app = Manifest::load(&root.join("../../spin.toml")).unwrap();
    assert_eq!(app.name, "sawt");
    assert_eq!(app.components["transcribe"].key_value_stores, ["default"]);
    assert_eq!(
        app.components["chat"].allowed_outbound_hosts,
        ["{{ openrouter_origin }}"]
    );
}

#[test]
fn a_misspelt_key_fails_to_load() {
    let err = with("[component.c]", r#"key_value_store = ["default"]"#).unwrap_err();
    assert!(
        err.contains("unknown field `key_value_store`") && err.contains("key_value_stores"),
        "{err}"
    );
    for (table, key) in [
        ("[application]", "nmae = \"x\""),
        ("[[trigger.http]]", "rout = \"/x\""),
        (
            "spin_manifest_version = 2",
            "[variable]\nx = { default = \"1\" }",
        ),
    ] {
        let err = with(table, key).unwrap_err();
        assert!(err.contains("unknown field"), "{key}: {err}");
    }
    let err = with(
        "[component.c]",
        "[component.c.build]\ncommand = \"x\"\nwath = []",
    )
    .unwrap_err();
    assert!(err.contains("unknown field `wath`"), "{err}");
    let err = Manifest::parse(
        &MINIMAL.replace(
            "[application]",
            "[variables]\nv = { default = \"1\", secrt = true }\n\n[application]",
        ),
        PathBuf::from("."),
    )
    .unwrap_err();
    assert!(err.contains("unknown field `secrt`"), "{err}");
}

#[test]
fn legal_metadata_is_accepted() {
    let text = MINIMAL
        .replace(
            "name = \"t\"",
            "name = \"t\"\nversion = \"1\"\ndescription = \"d\"\nauthors = [\"a\"]\n\n[application.trigger.http]\nbase = \"/\"\n\n[application.tool.x]\ny = 1",
        )
        .replace(
            "component = \"c\"",
            "component = \"c\"\nid = \"t1\"\nexecutor = { type = \"spin\" }",
        )
        .replace(
            "source = \"c.wasm\"",
            "source = \"c.wasm\"\ndescription = \"d\"\nexclude_files = [\"x\"]\n\n[component.c.build]\ncommand = [\"a\", \"b\"]\nworkdir = \"w\"\nwatch = [\"src/**\"]",
        );
    let m = Manifest::parse(&text, PathBuf::from(".")).unwrap_or_else(|e| panic!("{e}"));
    let c = &m.components["c"];
    assert_eq!(c.build_command.as_deref(), Some("a && b"));
    assert_eq!(c.build_workdir.as_deref(), Some("w"));
}

#[test]
fn legal_keys_the_harness_cannot_honour_are_refused_by_name() {
    for (table, extra, expected) in [
        (
            "[component.c]",
            r#"files = ["static/*"]"#,
            "`files` is not supported by the harness",
        ),
        (
            "[component.c]",
            r#"ai_models = ["llama2-chat"]"#,
            "`ai_models` is not supported",
        ),
        (
            "[component.c]",
            r#"sqlite_databases = ["default"]"#,
            "`sqlite_databases` is not supported",
        ),
        (
            "[component.c]",
            r#"targets = ["spin-up:3.3"]"#,
            "`targets` is not supported",
        ),
        (
            "[component.c]",
            "[component.c.profile.debug]\nsource = \"d.wasm\"",
            "`profile` is not supported",
        ),
        (
            "[component.c]",
            "[component.c.dependencies]\n\"a:b/c\" = \"1.0\"",
            "`dependencies` is not supported",
        ),
        (
            "[application]",
            r#"targets = ["spin-up:3.3"]"#,
            "`targets` is not supported",
        ),
        (
            "[[trigger.http]]",
            r#"executor = { type = "wagi" }"#,
            "wagi http executor is not supported",
        ),
        (
            "[[trigger.http]]",
            r#"static_response = { status_code = 404 }"#,
            "`static_response` are not supported",
        ),
    ] {
        let err = with(table, extra).unwrap_err();
        assert!(err.contains(expected), "{extra}: {err}");
    }
    let err = Manifest::parse(
        &MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n\n[application.trigger.http]\nbase = \"/api\"",
        ),
        PathBuf::from("."),
    )
    .unwrap_err();
    assert!(err.contains("deprecated `base`"), "{err}");
    let err = Manifest::parse(
        &MINIMAL.replace(
            "name = \"t\"",
            "name = \"t\"\n\n[application.trigger.http]\nbse = \"/\"",
        ),
        PathBuf::from("."),
    )
    .unwrap_err();
    assert!(err.contains("unknown field `bse`"), "{err}");
}
