//! `spin-harness`: run a Spin app for a browser or an SDK when the Spin CLI is unavailable.
//!
//! ```text
//! spin-harness [up] [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]...
//! spin-harness build [--manifest spin.toml]     # runs each component's build.command
//! ```

use std::process::Command;

use anyhow::{bail, Context, Result};
use spin_harness::{Harness, HarnessOptions, Manifest};

struct Args {
    build: bool,
    manifest: String,
    listen: String,
    variables: Vec<(String, String)>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        build: false,
        manifest: "spin.toml".into(),
        listen: "127.0.0.1:3000".into(),
        variables: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "up" => {}
            "build" => args.build = true,
            "--manifest" | "-f" => args.manifest = value("--manifest")?,
            "--listen" => args.listen = value("--listen")?,
            "--variable" => {
                let pair = value("--variable")?;
                let (k, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--variable {pair:?} is not name=value"))?;
                args.variables.push((k.to_owned(), v.to_owned()));
            }
            "-h" | "--help" => {
                println!(
                    "spin-harness [up] [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]...\n\
                     spin-harness build [--manifest spin.toml]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(args)
}

/// `spin build`: each component's build.command, in its workdir (default: the manifest dir).
fn build(manifest_path: &str) -> Result<()> {
    let manifest = Manifest::load(manifest_path.as_ref())?;
    let mut done = Vec::new();
    for c in manifest.components.values() {
        let Some(command) = &c.build_command else {
            continue;
        };
        let dir = match &c.build_workdir {
            Some(w) => manifest.dir.join(w),
            None => manifest.dir.clone(),
        };
        // Components sharing one build command (same wasm) are built once.
        if done.contains(&(command.clone(), dir.clone())) {
            continue;
        }
        eprintln!("Building component {} with `{command}`", c.id);
        let status = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&dir)
            .status()
            .with_context(|| format!("running `{command}`"))?;
        if !status.success() {
            bail!("build of component {} failed: `{command}` {status}", c.id);
        }
        done.push((command.clone(), dir));
    }
    eprintln!("Finished building all Spin components");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    if args.build {
        return build(&args.manifest);
    }
    let mut options = HarnessOptions::new().inherit_stdio();
    for (k, v) in args.variables {
        options = options.variable(k, v);
    }
    let harness = Harness::from_manifest(&args.manifest, options)?;
    for (id, t) in harness.compile_times() {
        eprintln!("compiled {id} in {:.2?}", t);
    }
    let addr = harness.serve(&args.listen).await?;
    println!("Serving http://{addr}\nAvailable Routes:");
    for (route, component) in harness.routes() {
        println!("  {component}: http://{addr}{route}");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
