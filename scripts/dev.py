#!/usr/bin/env python3
"""One command to run Leadgate, one to test it, on a machine with only Python 3.11+.

    python3 scripts/dev.py run     # set up .venv, build a demo store once, open the window
    python3 scripts/dev.py test    # set up .venv; ruff, mypy, import contracts, every test

Set-up is incremental: the virtualenv is (re)installed only when pyproject.toml changes.
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


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(f"Leadgate needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PY.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".leadgate-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing Leadgate and its dependencies into .venv …", flush=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[test]"], check=True, cwd=ROOT
    )
    stamp.write_text(digest)


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
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    if command == "setup":
        ensure_venv()
        return 0
    return run_app(extra) if command == "run" else run_tests(extra)


if __name__ == "__main__":
    raise SystemExit(main())
