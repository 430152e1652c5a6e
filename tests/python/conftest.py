"""Processes the SDK tests talk to: the mock OpenRouter, the native chat dev server, and the
wasm components under `spin-harness` (the built .wasm files spin.toml names, in a host that
offers what Spin offers).

Binaries: <NAME>_BIN env overrides, else $CARGO_TARGET_DIR/debug/<name> (built by
`cargo build --all-targets`, the step of scripts/check before the tests; the harness also
needs the release wasm builds, see scripts/check).
"""

import os
import pathlib
import subprocess
import threading

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary(name):
    env_name = name.upper().replace("-", "_") + "_BIN"
    if os.environ.get(env_name):
        return os.environ[env_name]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return str(target / "debug" / name)


def _drain(stream):
    # Keep reading so a chatty child never blocks on a full pipe.
    threading.Thread(target=stream.read, daemon=True).start()


def start(cmd, prefix, env=None):
    """Starts `cmd` in the repository with `env` as its whole environment (default: ours) and
    waits for the stdout line starting with `prefix`; returns the process and the rest of that
    line (the URL it serves)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    seen = []
    for line in proc.stdout:
        line = line.strip()
        if line.startswith(prefix):
            _drain(proc.stdout)
            return proc, line.removeprefix(prefix)
        seen.append(line)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{cmd[0]} did not start: {seen!r}")


def start_mock():
    return start([binary("mock-openrouter"), "--port", "0"], "listening on ")


def start_harness(variables):
    """`spin up` for the root spin.toml on a random loopback port; returns (process, origin)."""
    cmd = [binary("spin-harness"), "up", "--listen", "127.0.0.1:0"]
    for k, v in variables.items():
        cmd += ["--variable", f"{k}={v}"]
    # Only the variables given here: a developer's SPIN_VARIABLE_* must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIN_VARIABLE_")}
    return start(cmd, "Serving ", env)


def stop(*procs):
    for p in procs:
        p.kill()
    for p in procs:
        p.wait()
