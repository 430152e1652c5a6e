//! `spin-harness`: run a Spin app for a browser or an SDK when the Spin CLI is unavailable.
//!
//! ```text
//! spin-harness [up] [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]...
//!              [--request-deadline SECONDS]
//! spin-harness build [--manifest spin.toml]     # runs each component's build.command
//! ```

use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use spin_harness::{Harness, HarnessOptions, Manifest, DEFAULT_REQUEST_DEADLINE};

const USAGE: &str = "\
spin-harness [up] [--manifest spin.toml] [--listen 127.0.0.1:3000] [--variable name=value]...
             [--request-deadline SECONDS]   (default 300; a request running longer gets a 500)
spin-harness build [--manifest spin.toml]";

struct Args {
    build: bool,
    manifest: String,
    listen: String,
    variables: Vec<(String, String)>,
    request_deadline: Duration,
}

/// A positive number of seconds, fractions allowed ("0.5").
fn parse_seconds(text: &str) -> Result<Duration> {
    let secs: f64 = text
        .parse()
        .with_context(|| format!("--request-deadline {text:?} is not a number of seconds"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => bail!("--request-deadline {text:?} must be a positive number of seconds"),
    }
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        build: false,
        manifest: "spin.toml".into(),
        listen: "127.0.0.1:3000".into(),
        variables: Vec::new(),
        request_deadline: DEFAULT_REQUEST_DEADLINE,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "up" => {}
            "build" => args.build = true,
            "--manifest" | "-f" => args.manifest = value("--manifest")?,
            "--listen" => args.listen = value("--listen")?,
            "--request-deadline" => {
                args.request_deadline = parse_seconds(&value("--request-deadline")?)?
            }
            "--variable" => {
                let pair = value("--variable")?;
                let (k, v) = pair
                    .split_once('=')
                    .with_context(|| format!("--variable {pair:?} is not name=value"))?;
                args.variables.push((k.to_owned(), v.to_owned()));
            }
            "-h" | "--help" => {
                println!("{USAGE}");
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
    let mut options = HarnessOptions::new()
        .inherit_stdio()
        .request_deadline(args.request_deadline);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_deadline_is_positive_seconds() {
        assert_eq!(parse_seconds("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_seconds("300").unwrap(), Duration::from_secs(300));
        for bad in ["0", "-1", "soon", "inf", "NaN"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
