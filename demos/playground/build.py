"""``python demos/playground/build.py DIR``: build chainrule's browser playground as a static site in DIR.

DIR then holds everything the page needs and nothing it fetches from elsewhere: the page (index.html,
playground.css, playground.js, worker.mjs), the Python it runs (playground.py), Pyodide and viz.js
from the npm packages pinned in package-lock.json (installed with ``npm ci``), and the wheels of
chainrule and of its pure-Python dependencies (requirements-browser.txt, pinned with hashes). Serve
it from any static host: ``python -m http.server -d DIR``, then open http://localhost:8000/.

The site is built in a temporary folder beside DIR and moved into place at the end, so DIR is
either the old site or the new one, never half of each. An existing DIR is replaced only if it is
empty or an earlier build (it has this build's ``manifest.json``).

Needs Node.js's ``npm`` and this Python's ``pip`` (both reach their registries the first time).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # the repository: pyproject.toml, engine/, nn/
PAGE = ("index.html", "playground.css", "playground.js", "worker.mjs", "playground.py")
PYODIDE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
VIZ = ("viz.js",)  # Graphviz in WebAssembly, as one ES module
SOURCES = ("pyproject.toml", "README.md", "engine", "nn")  # what chainrule's wheel is built from
MANIFEST = "manifest.json"
KIND = "chainrule-playground"  # a manifest with this "kind" marks a folder this script built
COMMAND_TIMEOUT = 600  # seconds for npm ci or pip: a first download on a slow line, not a hang


class BuildError(RuntimeError):
    """The site could not be built; the message says what to do."""


def build(target, quiet=False):
    """Build the site into ``target`` (a folder path); returns a summary dict (files, bytes, seconds)."""
    started = time.perf_counter()
    target = Path(target).resolve()
    _check_target(target)
    say = (lambda text: None) if quiet else (lambda text: print(text, flush=True))
    say("npm ci: Pyodide and viz.js, as package-lock.json pins them")
    modules = _node_modules(quiet)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".building", dir=target.parent))
    try:
        for name in PAGE:
            shutil.copy2(HERE / name, staging / name)
        _copy(modules / "pyodide", PYODIDE, staging / "pyodide")
        _copy(modules / "@viz-js" / "viz" / "dist", VIZ, staging / "viz")
        say("pip: the wheels of chainrule and its dependencies")
        wheels = _wheels(staging / "wheels", quiet)
        (staging / ".nojekyll").write_text("")  # GitHub Pages: serve the files as they are
        manifest = {"kind": KIND, "wheels": wheels, "pyodide": _version(modules / "pyodide"),
                    "viz": _version(modules / "@viz-js" / "viz")}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        for path in staging.rglob("*"):  # mkdtemp's folder is private (0o700): a web server must read it
            path.chmod(0o755 if path.is_dir() else 0o644)
        staging.chmod(0o755)
        _replace(target, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = [path for path in target.rglob("*") if path.is_file()]
    return {"dir": str(target), "files": len(files), "bytes": sum(path.stat().st_size for path in files),
            "seconds": time.perf_counter() - started, **manifest}


def _check_target(target):
    if target == ROOT or ROOT.is_relative_to(target):
        raise BuildError(f"{target} would hold the sources it is built from; build into a folder outside them")
    if target.exists() and not target.is_dir():
        raise BuildError(f"{target} is a file; give a folder to build the site into")
    if target.is_dir() and any(target.iterdir()) and _manifest(target).get("kind") != KIND:
        raise BuildError(f"{target} is not empty and is not an earlier playground build (no {MANIFEST} of "
                         "this script's): give an empty or a new folder")


def _manifest(folder):
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _node_modules(quiet):
    """demos/playground/node_modules as package-lock.json pins it (``npm ci`` when it is missing or older)."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm was not found: the playground takes Pyodide and viz.js from npm packages. "
                         "Install Node.js (which brings npm), e.g. 'apt-get install nodejs npm', and run this again")
    modules = HERE / "node_modules"
    installed = modules / ".package-lock.json"  # npm writes it after every install
    lock = HERE / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime or not all(
        (modules / "pyodide" / name).exists() for name in PYODIDE
    ):
        _run([npm, "ci", "--no-audit", "--no-fund"], HERE, quiet, "npm ci")
    return modules


def _wheels(folder, quiet):
    """Build chainrule's wheel and download the pinned ones into ``folder``; their file names, chainrule last."""
    folder.mkdir()
    with tempfile.TemporaryDirectory() as source:  # a copy: the build leaves nothing in the repository
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, Path(source) / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(path, Path(source) / name)
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
        _run([*pip, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(folder), source], ROOT, quiet, "pip wheel")
    _run([*pip, "download", "--no-deps", "--only-binary=:all:", "--quiet", "--require-hashes",
          "--requirement", str(HERE / "requirements-browser.txt"), "--dest", str(folder)], ROOT, quiet, "pip download")
    names = sorted(path.name for path in folder.glob("*.whl"))
    chainrule = [name for name in names if name.startswith("chainrule-")]
    if len(chainrule) != 1 or not all(name.endswith("-none-any.whl") for name in names):
        raise BuildError(f"expected one chainrule wheel and pure-Python wheels only, got {', '.join(names)}")
    return [name for name in names if name not in chainrule] + chainrule


def _version(package):
    return json.loads((package / "package.json").read_text())["version"]


def _copy(source, names, folder):
    folder.mkdir()
    for name in names:
        if not (source / name).exists():
            raise BuildError(f"{source / name} is missing: delete {HERE / 'node_modules'} and build again")
        shutil.copy2(source / name, folder / name)


def _run(command, cwd, quiet, what):
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} took more than {COMMAND_TIMEOUT} s: is the registry reachable?") from None
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-12:]
        raise BuildError(f"{what} failed (exit status {result.returncode}):\n" + "\n".join(said))
    if not quiet and result.stdout.strip():
        print(result.stdout.strip())


def _replace(target, staging):
    """Move ``staging`` to ``target``; an earlier build there is moved aside first and then removed."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, old / "site")
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old / "site", target)  # put the old site back: DIR is never left without one
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python demos/playground/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="the folder to build the site into (made if missing)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    try:
        summary = build(args.dir, quiet=args.quiet)
    except BuildError as error:
        print(f"build.py: error: {error}", file=sys.stderr)
        return 1
    print(f"built {summary['dir']}: {summary['files']} files, {summary['bytes'] / 1e6:.1f} MB, "
          f"in {summary['seconds']:.1f} s (Pyodide {summary['pyodide']}, viz.js {summary['viz']})")
    print(f"open it: python -m http.server -d {summary['dir']}, then http://localhost:8000/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
