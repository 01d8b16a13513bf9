"""Build the desktop bundle: python3 scripts/dev.py package [--force] [--no-tarball]

1. A build virtualenv from requirements/package.lock (hash-checked; the runtime dependencies
   and PyInstaller), kept under ~/.cache/leadgate keyed by the lock file and Python version.
2. The leadgate wheel, checked to hold the migrations and the icons, installed into it.
3. PyInstaller with packaging/leadgate.spec: a one-folder build in dist/leadgate/.
4. On Linux, dist/leadgate-VERSION-linux-ARCH.tar.gz: the folder, the desktop entry, the
   AppStream metainfo, hicolor icons and install.sh.

The result is cached under ~/.cache/leadgate/bundles/KEY, KEY being a hash of the lock file,
pyproject.toml and every file under app/ and packaging/: an unchanged tree is not rebuilt
(`--force` rebuilds). LEADGATE_CACHE moves the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "packaging"
DIST = ROOT / "dist"
LOCK = ROOT / "requirements" / "package.lock"
CACHE = Path(os.environ.get("LEADGATE_CACHE") or Path.home() / ".cache" / "leadgate")
BUNDLE_NAME = "leadgate"
METAINFO = "io.github.leadgate.Leadgate.metainfo.xml"  # AppStream wants the id as the name
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# What the wheel (and so the bundle) must hold for the app to open a store and show its icon.
REQUIRED_IN_WHEEL = (
    "app/migrations/env.py",
    "app/migrations/script.py.mako",
    "app/resources/leadgate.svg",
    *(f"app/resources/icons/leadgate-{size}.png" for size in ICON_SIZES),
)


def version() -> str:
    """app/__init__.py's __version__, read without importing the app."""
    text = (ROOT / "app" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise SystemExit("app/__init__.py has no __version__")
    return match.group(1)


def platform_tag() -> str:
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    return f"{system}-{platform.machine().lower()}"


def venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sources_key() -> str:
    """A hash of everything the bundle is made from."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version_info[:2]} {platform_tag()}".encode())
    files = [LOCK, ROOT / "pyproject.toml"]
    for folder in (ROOT / "app", HERE):
        files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def build_venv() -> Path:
    """The build virtualenv for this lock file, made once."""
    key = hashlib.sha256(LOCK.read_bytes() + sys.version.encode()).hexdigest()[:12]
    path = CACHE / f"build-venv-{key}"
    python = venv_python(path)
    stamp = path / ".installed"
    if stamp.exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    print(f"Creating the build virtualenv {path} …", flush=True)
    venv.EnvBuilder(with_pip=True).create(path)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--require-hashes", "-r", str(LOCK)], check=True)
    stamp.write_text(LOCK.read_text(encoding="utf-8"))
    return path


def build_wheel(python: Path, out: Path) -> Path:
    subprocess.run(
        [str(python), "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
    )
    wheel = next(out.glob("leadgate-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = sorted(p.name for p in (ROOT / "app" / "migrations" / "versions").glob("*.py"))
    required = [*REQUIRED_IN_WHEEL, *(f"app/migrations/versions/{v}" for v in versions)]
    missing = [name for name in required if name not in names]
    if missing:
        raise SystemExit(f"the wheel {wheel.name} lacks {', '.join(missing)}")
    print(f"{wheel.name}: {len(names)} files, migrations ({len(versions)}) and icons present")
    return wheel


def pyinstaller(python: Path, work: Path) -> Path:
    subprocess.run(
        [
            str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
            str(HERE / "leadgate.spec"),
        ],
        check=True,
        cwd=work,  # not the source tree: the app comes from the installed wheel
    )  # fmt: skip
    return work / "dist" / BUNDLE_NAME


def tarball(bundle: Path, out: Path) -> Path:
    """leadgate-VERSION-linux-ARCH.tar.gz: the bundle, its desktop integration, install.sh."""
    top = f"leadgate-{version()}"
    path = out / f"{top}-{platform_tag()}.tar.gz"
    staging = Path(tempfile.mkdtemp(prefix="lg-tar-")) / top
    shutil.copytree(bundle, staging / BUNDLE_NAME, symlinks=True)
    share = staging / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(HERE / "linux" / "leadgate.desktop", share / "applications")
    (share / "metainfo").mkdir()
    shutil.copy2(HERE / "linux" / METAINFO, share / "metainfo")
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy2(ROOT / "app" / "resources" / "icons" / f"leadgate-{size}.png",
                     target / "leadgate.png")  # fmt: skip
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(ROOT / "app" / "resources" / "leadgate.svg", scalable / "leadgate.svg")
    for script in ("install.sh",):
        shutil.copy2(HERE / "linux" / script, staging / script)
        (staging / script).chmod(0o755)
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:  # 9 is slower, barely smaller
        tar.add(staging, arcname=top)
    shutil.rmtree(staging.parent)
    return path


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument("--no-tarball", action="store_true", help="only the bundle folder")
    args = parser.parse_args()
    if sys.version_info < (3, 11):  # noqa: UP036 - runs with any python3
        sys.exit("Building Leadgate needs Python 3.11 or newer.")
    key = sources_key()
    cached = CACHE / "bundles" / key
    if args.force or not (cached / ".complete").exists():
        python = venv_python(build_venv())
        with tempfile.TemporaryDirectory(prefix="lg-build-") as tmp:
            work = Path(tmp)
            wheel = build_wheel(python, work / "wheel")
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                 str(wheel)],
                check=True,
            )  # fmt: skip
            bundle = pyinstaller(python, work)
            shutil.rmtree(cached, ignore_errors=True)
            cached.mkdir(parents=True)
            shutil.copytree(bundle, cached / BUNDLE_NAME, symlinks=True)
            if sys.platform.startswith("linux") and not args.no_tarball:
                tarball(bundle, cached)
            (cached / ".complete").write_text(key)
        # Older bundles' caches are of no further use.
        for old in (CACHE / "bundles").iterdir():
            if old != cached:
                shutil.rmtree(old, ignore_errors=True)
    else:
        print(f"Sources unchanged since the cached build {key}: reusing it.")
    DIST.mkdir(exist_ok=True)
    shutil.rmtree(DIST / BUNDLE_NAME, ignore_errors=True)
    shutil.copytree(cached / BUNDLE_NAME, DIST / BUNDLE_NAME, symlinks=True)
    for tar in cached.glob("*.tar.gz"):
        shutil.copy2(tar, DIST / tar.name)
        print(f"{(DIST / tar.name).relative_to(ROOT)}: {tar.stat().st_size / 1e6:.1f} MB")
    size = folder_size(DIST / BUNDLE_NAME)
    print(f"dist/{BUNDLE_NAME}/: {size / 1e6:.1f} MB (one-folder bundle)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
