//! `sawt models push|ls|rm`: manage models in a deployed app through its admin API.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sawt_store::{validate_file_name, validate_model_name, FileSpec, UploadSpec, CHUNK_SIZE};
use sha2::{Digest, Sha256};

use crate::admin_client::{AdminClient, HttpError};

#[derive(Args, Debug)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Upload a model directory (every regular file in it) and make it current.
    Push(PushArgs),
    /// List the models in the app's store.
    Ls(Remote),
    /// Delete a model from the app's store.
    Rm {
        name: String,
        #[command(flatten)]
        remote: Remote,
    },
}

#[derive(Args, Debug, Clone)]
pub struct Remote {
    /// Base URL of the deployed app, e.g. https://sawt-xyz.fermyon.app
    #[arg(long)]
    pub url: String,
    /// The app's admin_token.
    #[arg(long, env = "SAWT_ADMIN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Retries for transient failures (network errors, 502/503/504).
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// Directory with the model's files (e.g. models/local/whisper-tiny).
    pub dir: PathBuf,
    /// Model name in the store (default: the directory's name).
    #[arg(long)]
    pub name: Option<String>,
    /// JSON object stored as the manifest's metadata (e.g. {"config": {...}}).
    #[arg(long)]
    pub metadata: Option<PathBuf>,
    #[command(flatten)]
    pub remote: Remote,
}

pub fn run(args: ModelsArgs) -> Result<()> {
    match args.command {
        ModelsCommand::Push(p) => push(&p).map(|_| ()),
        ModelsCommand::Ls(r) => ls(&r),
        ModelsCommand::Rm { name, remote } => {
            let v = client(&remote)?.delete(&name)?;
            println!("deleted {name} ({} keys)", v["keys_deleted"]);
            Ok(())
        }
    }
}

fn client(r: &Remote) -> Result<AdminClient> {
    Ok(AdminClient::new(&r.url, &r.token)?.with_retries(r.retries, Duration::from_millis(500)))
}

/// A file to push.
#[derive(Debug, Clone)]
pub struct LocalFile {
    pub path: PathBuf,
    pub spec: FileSpec,
}

/// The files of the model's layout in `dir` (see [`super::layout`]), sorted, with sizes and
/// sha256. Anything else in the folder is refused, not pushed.
pub fn scan_dir(dir: &Path) -> Result<Vec<LocalFile>> {
    let mut files = Vec::new();
    for name in super::layout::model_files(dir)? {
        let path = dir.join(&name);
        if !path.is_file() {
            bail!("{} is not a regular file", path.display());
        }
        validate_file_name(&name).with_context(|| format!("in {}", dir.display()))?;
        files.push((name, path));
    }
    let total: u64 = files
        .iter()
        .map(|(_, p)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress(total, "hashing");
    let mut out = Vec::with_capacity(files.len());
    for (name, path) in files {
        let mut f = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            size += n as u64;
            bar.inc(n as u64);
        }
        out.push(LocalFile {
            path,
            spec: FileSpec {
                name,
                size,
                sha256: sawt_store::hex(&h.finalize()),
            },
        });
    }
    bar.finish_and_clear();
    Ok(out)
}

fn progress(total: u64, what: &str) -> ProgressBar {
    // indicatif hides the bar by itself when stderr is not a terminal (CI, tests).
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{msg:>10} [{bar:40.cyan/blue}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    pub model: String,
    pub version: String,
    /// False when the store already had this exact content.
    pub uploaded: bool,
    /// Bytes sent in this run (less than the total when resuming).
    pub bytes_sent: u64,
}

pub fn push(args: &PushArgs) -> Result<PushReport> {
    let dir = &args.dir;
    let model = match &args.name {
        Some(n) => n.clone(),
        None => dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .context("cannot take a model name from the directory; pass --name")?,
    };
    validate_model_name(&model)?;
    let metadata: BTreeMap<String, serde_json::Value> = match &args.metadata {
        Some(p) => serde_json::from_slice(
            &std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("{} must hold a JSON object", p.display()))?,
        None => BTreeMap::new(),
    };
    let files = scan_dir(dir)?;
    let spec = UploadSpec {
        files: files.iter().map(|f| f.spec.clone()).collect(),
        metadata,
    };
    let api = client(&args.remote)?;
    let begun = api.begin(&model, &spec)?;
    let status = match (begun.status.as_str(), begun.upload, begun.manifest) {
        ("current", _, Some(m)) => {
            eprintln!(
                "{model} is already at version {} (nothing to send)",
                m.version
            );
            return Ok(PushReport {
                model,
                version: m.version,
                uploaded: false,
                bytes_sent: 0,
            });
        }
        ("staging", Some(u), _) => u,
        (s, _, _) => bail!("unexpected answer to begin: status {s:?}"),
    };
    let id = status.id.clone();
    let part_size = status.part_size.max(CHUNK_SIZE);
    let total: u64 = files.iter().map(|f| f.spec.size).sum();
    let already: u64 = status.files.iter().map(|f| f.received).sum();
    if already > 0 {
        eprintln!("resuming upload {id}: {already} of {total} bytes already stored");
    }
    let bar = progress(total, "uploading");
    bar.set_position(already);
    let started = Instant::now();
    let mut sent = 0u64;
    for (local, remote) in files.iter().zip(&status.files) {
        if remote.complete {
            continue;
        }
        sent += send_file(&api, &model, &id, local, remote.received, part_size, &bar)?;
    }
    let committed = api.commit(&model, &id)?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "pushed {model} version {} ({} files, {total} bytes; sent {sent} bytes at {:.1} MB/s; {} old keys deleted)",
        committed.manifest.version,
        committed.manifest.files.len(),
        sent as f64 / secs / 1e6,
        committed.keys_deleted
    );
    if let Some(e) = committed.cleanup_error {
        eprintln!("warning: the model is live but cleanup failed ({e}); the next push retries it");
    }
    Ok(PushReport {
        model,
        version: committed.manifest.version,
        uploaded: true,
        bytes_sent: sent,
    })
}

/// Sends one file from `from`, in parts; returns the bytes sent.
fn send_file(
    api: &AdminClient,
    model: &str,
    id: &str,
    local: &LocalFile,
    from: u64,
    part_size: usize,
    bar: &ProgressBar,
) -> Result<u64> {
    let name = &local.spec.name;
    let mut f =
        File::open(&local.path).with_context(|| format!("opening {}", local.path.display()))?;
    let mut offset = from;
    let mut buf = vec![0u8; part_size];
    let mut sent = 0;
    while offset < local.spec.size {
        f.seek(SeekFrom::Start(offset))?;
        let want = part_size.min((local.spec.size - offset) as usize);
        f.read_exact(&mut buf[..want])
            .with_context(|| format!("{} changed while pushing", local.path.display()))?;
        match api.put_part(model, id, name, offset, &buf[..want]) {
            Ok(st) => {
                bar.inc(st.received.saturating_sub(offset));
                sent += want as u64;
                offset = st.received;
            }
            // The server has a different idea of where the file stands (e.g. another
            // client resumed it): ask, and continue from there.
            Err(e)
                if e.downcast_ref::<HttpError>()
                    .is_some_and(|h| h.status == 409) =>
            {
                let st = api.status(model, id)?;
                let Some(fs) = st.files.iter().find(|f| &f.name == name) else {
                    bail!("the upload no longer lists {name}");
                };
                if fs.received == offset {
                    return Err(e);
                }
                bar.set_position(bar.position() + fs.received - offset.min(fs.received));
                offset = fs.received;
            }
            Err(e) => return Err(e.context(format!("sending {name} at offset {offset}"))),
        }
    }
    Ok(sent)
}

fn ls(r: &Remote) -> Result<()> {
    let list = client(r)?.list()?;
    println!(
        "{:<24} {:<13} {:>6} {:>14} {:>6}  note",
        "MODEL", "VERSION", "FILES", "BYTES", "KEYS"
    );
    for m in &list.data {
        let (version, files, bytes) = match &m.current {
            Some(c) => (
                c.version.as_str(),
                c.files.len().to_string(),
                c.total_size().to_string(),
            ),
            None => ("-", "-".into(), "-".into()),
        };
        let mut note = m.error.clone().unwrap_or_default();
        if !m.uploads.is_empty() {
            note = format!("{note} upload in progress: {}", m.uploads.join(", "));
        }
        println!(
            "{:<24} {:<13} {:>6} {:>14} {:>6}  {}",
            m.name,
            version,
            files,
            bytes,
            m.keys,
            note.trim()
        );
    }
    println!(
        "keys used: {} of {} budget",
        list.keys_total, list.key_budget
    );
    Ok(())
}
