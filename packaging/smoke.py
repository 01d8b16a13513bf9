"""Smoke test of the built bundle (python3 scripts/dev.py package first):

    python3 packaging/smoke.py [--bundle dist/leadgate]

Runs the bundled executable as a user would, in a scratch folder: --version, a demo store of
200 leads, `leads list --json`, the main window opened offscreen until its first view has
painted (LEADGATE_EXIT_WHEN_SHOWN), then checks the bundle holds the migrations and icons, and,
on Linux, installs the tarball into a scratch home and validates its desktop entry and
AppStream metainfo. Prints the bundle's size. Any failure exits non-zero with the reason.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


class SmokeFailure(Exception):
    pass


def version() -> str:
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    assert match
    return match.group(1)


def executable(bundle: Path) -> Path:
    name = "leadgate-cli.exe" if os.name == "nt" else "leadgate"
    exe = bundle / name
    if not exe.is_file():
        raise SmokeFailure(f"no executable {exe}: build it with `python3 scripts/dev.py package`")
    return exe


def run(
    cmd: list[str], env: dict[str, str], timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise SmokeFailure(f"`{' '.join(cmd[1:])}` did not finish in {timeout} s") from exc
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SmokeFailure(
            f"`{' '.join(cmd[1:])}` exited {done.returncode}:\n{done.stderr.strip()[-3000:]}"
        )
    if "Traceback" in done.stderr:
        raise SmokeFailure(f"`{' '.join(cmd[1:])}` printed a traceback:\n{done.stderr[-3000:]}")
    print(f"  ok  {' '.join(['leadgate', *cmd[1:]])}  ({took:.1f} s)", flush=True)
    return done


def check_app(exe: Path, tmp: Path) -> None:
    env = dict(os.environ, LEADGATE_DATA_DIR=str(tmp / "data"), QT_QPA_PLATFORM="offscreen")
    env.pop("LEADGATE_DB", None)
    out = run([str(exe), "--version"], env).stdout.strip()
    if out != f"leadgate {version()}":
        raise SmokeFailure(f"--version says {out!r}, expected 'leadgate {version()}'")
    db = f"sqlite:///{(tmp / 'x.sqlite3').as_posix()}"
    run([str(exe), "--db", db, "demo", "--leads", "200"], env, timeout=300)
    leads = json.loads(
        run([str(exe), "--db", db, "leads", "list", "--json", "--limit", "5"], env).stdout
    )
    if not (isinstance(leads, list) and len(leads) == 5 and all("email" in lead for lead in leads)):
        raise SmokeFailure(f"leads list --json --limit 5 gave {str(leads)[:300]}")
    users = json.loads(run([str(exe), "--db", db, "users", "list", "--json"], env).stdout)
    owner = next(u["email"] for u in users if u["role"] == "owner")
    check_import_worker(exe, env, db, owner, tmp)
    window_env = dict(env, LEADGATE_EXIT_WHEN_SHOWN="1", LEADGATE_USER=owner)
    shown = run([str(exe), "--db", db], window_env, timeout=120)
    marks = [line for line in shown.stdout.splitlines() if line.startswith("LEADGATE_SHOWN")]
    if not marks:
        raise SmokeFailure(f"the window never reported itself shown:\n{shown.stderr[-3000:]}")
    peak_mb = int(marks[0].split()[2]) / 1024
    print(f"      window shown offscreen and closed cleanly (peak RSS {peak_mb:.0f} MB)")


def check_import_worker(exe: Path, env: dict[str, str], db: str, owner: str, tmp: Path) -> None:
    """A big import reads its file in a second process: the bundled executable started again
    with a flag. Forced here on a small file, the import must come out whole."""
    scans = tmp / "scans.csv"
    with scans.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["First Name", "Last Name", "Email", "Company"])
        out.writerows([f"Ann{i}", f"Smoke{i}", f"ann{i}@smoke{i}.example", f"Smoke {i}"]
                      for i in range(300))  # fmt: skip
    worker_env = dict(env, LEADGATE_IMPORT_WORKER="1")
    cmd = [str(exe), "--db", db, "--as", owner, "import", str(scans), "--json"]
    result = json.loads(run(cmd, worker_env, timeout=300).stdout)
    if result.get("created") != 300:
        raise SmokeFailure(f"the import read by the worker process gave {str(result)[:300]}")


def check_contents(bundle: Path) -> None:
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    app_dir = internal / "app"
    versions = sorted(p.name for p in (ROOT / "app" / "migrations" / "versions").glob("*.py"))
    needed = [
        "migrations/env.py",
        "migrations/script.py.mako",
        *(f"migrations/versions/{name}" for name in versions),
        "resources/leadgate.svg",
        *(f"resources/icons/leadgate-{size}.png" for size in ICON_SIZES),
    ]
    missing = [name for name in needed if not (app_dir / name).is_file()]
    if missing:
        raise SmokeFailure(f"the bundle lacks app/{', app/'.join(missing)}")
    print(f"  ok  bundle holds {len(versions)} migrations, env.py, script.py.mako and the icons")


def check_tarball(tarball: Path, tmp: Path) -> None:
    """Install into a scratch home as a user would; validate what lands in the menu."""
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp / "unpacked", filter="tar")
    top = next((tmp / "unpacked").iterdir())
    home = tmp / "home"
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"))
    env.pop("PREFIX", None)
    subprocess.run(["sh", str(top / "install.sh")], env=env, check=True, capture_output=True)
    share = home / ".local" / "share"
    desktop = share / "applications" / "leadgate.desktop"
    metainfo = share / "metainfo" / "io.github.leadgate.Leadgate.metainfo.xml"
    icons = [share / "icons/hicolor" / f"{s}x{s}" / "apps" / "leadgate.png" for s in ICON_SIZES]
    icons.append(share / "icons/hicolor/scalable/apps/leadgate.svg")
    for path in [desktop, metainfo, *icons, home / ".local" / "bin" / "leadgate"]:
        if not path.exists():
            raise SmokeFailure(f"install.sh did not install {path.relative_to(home)}")
    exec_line = next(line for line in desktop.read_text().splitlines() if line.startswith("Exec="))
    installed = Path(exec_line.split("=", 1)[1].split()[0])
    if not installed.is_file():
        raise SmokeFailure(f"the launcher runs {installed}, which does not exist")
    out = subprocess.run([str(installed), "--version"], capture_output=True, text=True, env=env)
    if out.stdout.strip() != f"leadgate {version()}":
        raise SmokeFailure(f"the installed app says {out.stdout!r} {out.stderr[-500:]}")
    validate(desktop, metainfo)
    subprocess.run(["sh", str(top / "install.sh"), "--uninstall"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    if desktop.exists() or installed.exists():
        raise SmokeFailure("install.sh --uninstall left the launcher or the app behind")
    print("  ok  tarball: install.sh puts the launcher and icons in the menu; --uninstall removes")


def validate(desktop: Path, metainfo: Path) -> None:
    for tool, cmd in (
        ("desktop-file-validate", ["desktop-file-validate", str(desktop)]),
        ("appstreamcli", ["appstreamcli", "validate", "--no-net", str(metainfo)]),
    ):
        if shutil.which(tool) is None:
            print(f"  --  {tool} not installed: {desktop.name if 'desktop' in tool else 'metainfo'}"
                  " not validated (apt-get install desktop-file-utils appstream)")  # fmt: skip
            continue
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise SmokeFailure(f"{tool} rejects the installed file:\n{done.stdout}{done.stderr}")
        print(f"  ok  {tool}: valid")


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "leadgate")
    args = parser.parse_args()
    bundle = args.bundle.resolve()
    print(f"Smoke test of {bundle}", flush=True)
    try:
        exe = executable(bundle)
        with tempfile.TemporaryDirectory(prefix="leadgate-smoke-") as tmp:
            check_app(exe, Path(tmp))
            check_contents(bundle)
            tarballs = sorted(bundle.parent.glob(f"leadgate-{version()}-*.tar.gz"))
            if sys.platform.startswith("linux"):
                if not tarballs:
                    raise SmokeFailure("no tarball beside the bundle (dev.py package makes it)")
                check_tarball(tarballs[-1], Path(tmp))
    except SmokeFailure as exc:
        print(f"SMOKE TEST FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"bundle size: {size_of(bundle) / 1e6:.1f} MB in {bundle}")
    for tarball in tarballs:
        print(f"tarball size: {tarball.stat().st_size / 1e6:.1f} MB ({tarball.name})")
    print("Smoke test passed.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
