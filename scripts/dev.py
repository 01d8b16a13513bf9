#!/usr/bin/env python3
"""One command to run Leadgate, one to test it, on a machine with only Python 3.11+.

    python3 scripts/dev.py run      # set up .venv, build a demo store once, open the window
    python3 scripts/dev.py test     # set up .venv; ruff, mypy, import contracts, every test
    python3 scripts/dev.py setup    # only set up .venv
    python3 scripts/dev.py package  # the desktop bundle and its tarball in dist/ (packaging/)
    python3 scripts/dev.py lock [--upgrade]   # refresh requirements/*.lock from pyproject.toml

Set-up is incremental: the virtualenv is (re)installed only when pyproject.toml or the lock
file changes. It installs the exact, hash-checked versions of requirements/dev.lock.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCKS = ROOT / "requirements"
# Lock file -> the extra of pyproject.toml it pins (None: the runtime dependencies only).
LOCK_EXTRAS: dict[str, str | None] = {"runtime": None, "dev": "dev", "package": "package"}


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(f"Leadgate needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PY.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    lock = LOCKS / "dev.lock"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock.read_bytes()).hexdigest()
    stamp = VENV / ".leadgate-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing Leadgate and its dependencies into .venv …", flush=True)
    pip = [str(PY), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True, cwd=ROOT)
    stamp.write_text(digest)


def lock(extra: list[str]) -> int:
    """Re-resolve requirements/*.lock for every platform (uv's universal resolution), with
    hashes; existing pins are kept unless `--upgrade` (or `--upgrade-package NAME`) is given."""
    ensure_venv()
    LOCKS.mkdir(exist_ok=True)
    for name, group in LOCK_EXTRAS.items():
        cmd = [str(PY), "-m", "uv", "pip", "compile", "pyproject.toml", "--quiet"]
        cmd += ["--universal", "--python-version", "3.11", "--generate-hashes"]
        cmd += ["--custom-compile-command", "python3 scripts/dev.py lock"]
        cmd += [*(["--extra", group] if group else []), "-o", f"requirements/{name}.lock"]
        if subprocess.call([*cmd, *extra], cwd=ROOT):
            return 1
        print(f"requirements/{name}.lock")
    return 0


def run_app(extra: list[str]) -> int:
    ensure_venv()
    env = dict(os.environ)
    demo_dir = Path(env.get("LEADGATE_DEMO_DIR", ROOT / ".demo"))
    demo_dir.mkdir(parents=True, exist_ok=True)
    env.setdefault("LEADGATE_DATA_DIR", str(demo_dir))
    url = f"sqlite:///{demo_dir / 'leadgate-demo.sqlite3'}"
    if not (demo_dir / "leadgate-demo.sqlite3").exists():
        print("Building the demo store (a team, 300 accounts, 2,000 leads) …", flush=True)
        subprocess.run([str(PY), "-m", "app", "--db", url, "demo"], check=True, cwd=ROOT, env=env)
    return subprocess.call([str(PY), "-m", "app", "--db", url, *extra], cwd=ROOT, env=env)


def run_tests(extra: list[str]) -> int:
    ensure_venv()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    lint = subprocess.call([str(PY), "-m", "ruff", "check", "."], cwd=ROOT)
    fmt = subprocess.call([str(PY), "-m", "ruff", "format", "--check", "."], cwd=ROOT)
    types = subprocess.call([str(PY), "-m", "mypy"], cwd=ROOT)  # what pyproject names
    layers = subprocess.call([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT)
    workers = [] if any(a.startswith("-n") for a in extra) else ["-n", "2"]
    tests = subprocess.call([str(PY), "-m", "pytest", *workers, *extra], cwd=ROOT, env=env)
    if lint or fmt or types or layers:
        print("ruff, mypy or lint-imports found problems (see above).", file=sys.stderr)
    return tests or lint or fmt or types or layers


def main() -> int:
    commands = ("run", "test", "setup", "package", "lock")
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    if command == "setup":
        ensure_venv()
        return 0
    if command == "lock":
        return lock(extra)
    if command == "package":
        # Its own virtualenv from requirements/package.lock: see packaging/build.py.
        return subprocess.call([sys.executable, str(ROOT / "packaging" / "build.py"), *extra])
    return run_app(extra) if command == "run" else run_tests(extra)


if __name__ == "__main__":
    raise SystemExit(main())
