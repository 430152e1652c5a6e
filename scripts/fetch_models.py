#!/usr/bin/env python3
"""Download real model files listed in models/<name>.toml, verified by sha256.

    python3 scripts/fetch_models.py whisper-tiny [whisper-base ...] [--all]
        [--dest models/local] [--mirror URL] [--trust-new] [--retries N]

Each source is downloaded to models/local/<name>/.<file>.part (resumed with an HTTP Range
request after a dropped connection, retried with backoff), hashed, and only renamed to its
final name when the sha256 matches the manifest. A mismatch deletes the partial file and
exits non-zero. A source whose manifest has `sha256 = ""` is refused unless --trust-new
(the computed digest is printed so it can be pinned).

--mirror (or SAWT_MODELS_MIRROR) fetches every file from <mirror>/<file> instead of its
URL, e.g. an internal cache; the tests point it at a server on 127.0.0.1.

Standard library only (Python 3.11+: tomllib).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BLOCK = 1 << 20


class FetchError(Exception):
    """A source could not be fetched or did not verify; the message is for the user."""


@dataclass
class Source:
    file: str
    url: str
    sha256: str


@dataclass
class ModelManifest:
    name: str
    sources: list[Source]
    path: Path


def load_manifest(path: Path) -> ModelManifest:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    name = data.get("name") or path.stem
    sources = []
    for s in data.get("sources", []):
        file, url, sha = s.get("file", ""), s.get("url", ""), s.get("sha256")
        # A file name, never a path: it is joined to the destination directory.
        if not file or "/" in file or "\\" in file or file.startswith("."):
            raise FetchError(f"{path}: bad source file name {file!r}")
        if sha is None:
            raise FetchError(f"{path}: source {file} has no sha256 field (use sha256 = \"\")")
        sha = sha.lower()
        if sha and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            raise FetchError(f"{path}: source {file} has a malformed sha256")
        sources.append(Source(file=file, url=url, sha256=sha))
    if not sources:
        raise FetchError(f"{path}: no [[sources]]")
    return ModelManifest(name=name, sources=sources, path=path)


class Progress:
    """One status line on a terminal, a line per 10 % otherwise."""

    def __init__(self, label: str, total: int | None, done: int, out):
        self.label, self.total, self.done, self.out = label, total, done, out
        self.start = time.monotonic()
        self.start_done = done
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.last_decile = -1
        self.last_draw = 0.0

    def update(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            if now - self.last_draw >= 0.1:
                self.last_draw = now
                self.out.write("\r" + self.line(now))
                self.out.flush()
        elif self.total:
            decile = self.done * 10 // self.total
            if decile != self.last_decile:
                self.last_decile = decile
                self.out.write(self.line(now) + "\n")

    def line(self, now: float) -> str:
        rate = (self.done - self.start_done) / max(now - self.start, 1e-6) / 1e6
        if self.total:
            pct = 100 * self.done / self.total
            return (f"{self.label}: {pct:5.1f}% {self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
                    f" {rate:.1f} MB/s")
        return f"{self.label}: {self.done / 1e6:.1f} MB {rate:.1f} MB/s"

    def finish(self) -> None:
        if self.tty:
            self.out.write("\r" + self.line(time.monotonic()) + "\n")
            self.out.flush()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK):
            h.update(chunk)
    return h.hexdigest()


def source_url(src: Source, mirror: str | None) -> str:
    if mirror:
        return mirror.rstrip("/") + "/" + src.file
    return src.url


def download_once(url: str, part: Path, label: str, timeout: float, out) -> None:
    """Appends the rest of `url` to `part`. Raises OSError-family errors when cut off."""
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"User-Agent": "sawt-fetch-models"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            # Nothing left to send: the partial file already holds everything (or more);
            # the digest check decides.
            return
        raise
    with resp:
        if have and resp.status != 206:
            # The server ignored the range: start over.
            have = 0
        length = resp.headers.get("Content-Length")
        expect = int(length) if length and length.isdigit() else None
        total = have + expect if expect is not None else None
        progress = Progress(label, total, have, out)
        got = 0
        with open(part, "ab" if have else "wb") as f:
            while chunk := resp.read(BLOCK):
                f.write(chunk)
                got += len(chunk)
                progress.update(len(chunk))
        progress.finish()
        if expect is not None and got < expect:
            raise ConnectionError(f"connection closed after {got} of {expect} bytes")


def fetch_source(src: Source, dest: Path, *, mirror: str | None, trust_new: bool,
                 retries: int, timeout: float, backoff: float, out) -> Path:
    final = dest / src.file
    if final.exists() and src.sha256 and sha256_file(final) == src.sha256:
        out.write(f"{src.file}: already present, sha256 ok\n")
        return final
    dest.mkdir(parents=True, exist_ok=True)
    part = dest / f".{src.file}.part"
    url = source_url(src, mirror)
    attempt = 0
    while True:
        try:
            download_once(url, part, src.file, timeout, out)
            break
        except urllib.error.HTTPError as e:
            # A definite answer (404, 403 ...) is not worth retrying, except server trouble.
            if e.code < 500 or attempt >= retries:
                raise FetchError(f"{src.file}: HTTP {e.code} from {url}") from e
        # OSError covers URLError, ConnectionError and timeouts; IncompleteRead is an HTTPException.
        except (OSError, http.client.HTTPException) as e:
            if attempt >= retries:
                raise FetchError(f"{src.file}: download failed after {attempt + 1} attempts: {e}") from e
        attempt += 1
        delay = backoff * 2 ** (attempt - 1)
        out.write(f"{src.file}: interrupted, retry {attempt}/{retries} in {delay:.1f} s (resuming)\n")
        time.sleep(delay)

    actual = sha256_file(part)
    if not src.sha256:
        out.write(f"{src.file}: sha256 {actual} (the manifest pins none)\n")
        if not trust_new:
            part.unlink(missing_ok=True)
            raise FetchError(
                f"{src.file}: refusing an unpinned file; check the digest above, pin it as "
                f"sha256 in the manifest, or pass --trust-new")
    elif actual != src.sha256:
        part.unlink(missing_ok=True)
        raise FetchError(f"{src.file}: sha256 mismatch: expected {src.sha256}, got {actual}; "
                         f"the download was deleted")
    os.replace(part, final)  # atomic on one filesystem: the final name only ever holds verified bytes
    out.write(f"{src.file}: ok ({final.stat().st_size} bytes, sha256 {actual})\n")
    return final


def fetch_model(manifest: ModelManifest, dest_root: Path, **kw) -> list[Path]:
    dest = dest_root / manifest.name
    return [fetch_source(s, dest, **kw) for s in manifest.sources]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="model names (models/<name>.toml)")
    ap.add_argument("--all", action="store_true", help="every models/*.toml")
    ap.add_argument("--manifests", type=Path, default=REPO / "models", help="manifest directory")
    ap.add_argument("--dest", type=Path, default=REPO / "models" / "local")
    ap.add_argument("--mirror", default=os.environ.get("SAWT_MODELS_MIRROR"),
                    help="fetch <mirror>/<file> instead of each source URL (env SAWT_MODELS_MIRROR)")
    ap.add_argument("--trust-new", action="store_true",
                    help="accept sources whose manifest pins no sha256 (prints the digest)")
    ap.add_argument("--retries", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds without data before retrying")
    ap.add_argument("--backoff", type=float, default=1.0, help="first retry delay, doubled each time")
    args = ap.parse_args(argv)

    names = sorted(p.stem for p in args.manifests.glob("*.toml")) if args.all else args.models
    if not names:
        ap.error("name at least one model, or --all")
    out = sys.stderr
    failed = 0
    for name in names:
        path = args.manifests / f"{name}.toml"
        if not path.is_file():
            out.write(f"error: no manifest {path}\n")
            failed += 1
            continue
        try:
            manifest = load_manifest(path)
            fetch_model(manifest, args.dest, mirror=args.mirror, trust_new=args.trust_new,
                        retries=args.retries, timeout=args.timeout, backoff=args.backoff, out=out)
        except (FetchError, tomllib.TOMLDecodeError) as e:
            out.write(f"error: {e}\n")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
