"""Fixtures for browser tests: one JupyterLab server and one headless Chromium per session.

Without /usr/bin/chromium (or Playwright/JupyterLab) the tests are skipped, except when CI=true,
where they fail: CI must never silently lose the widget tests.
"""

from __future__ import annotations

import importlib.util
import os
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .jlab import CHROMIUM, CHROMIUM_ARGS, LabNotebook, LabServer, PageGuard, guarded_context, write_notebook


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; skip (or fail on CI) when it or Playwright/JupyterLab is absent."""
    for mod in ("playwright", "jupyterlab", "ipykernel"):
        if importlib.util.find_spec(mod) is None:
            _missing(f"python package {mod!r} is not installed (pip install -e .[test])")
    if not (Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def lab_server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A JupyterLab server on 127.0.0.1 with a token, rooted in a temp dir, using this venv's kernel."""
    server = LabServer(tmp_path_factory.mktemp("jupyterlab")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: str) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def lab_context(chromium_browser: Any) -> Iterator[tuple[Any, PageGuard]]:
    """A fresh browser context whose requests may not leave 127.0.0.1 and whose pages may not throw
    (checked after every test)."""
    with guarded_context(chromium_browser) as (context, guard):
        yield context, guard
    guard.check()


@pytest.fixture(autouse=True)
def _no_external_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test during which a page tried to reach a host other than 127.0.0.1 or threw an error."""
    if "lab_context" not in request.fixturenames:
        yield
        return
    _, guard = request.getfixturevalue("lab_context")
    yield
    guard.check()


@pytest.fixture(scope="module")
def open_notebook(
    lab_server: LabServer, lab_context: tuple[Any, PageGuard]
) -> Iterator[Callable[[str, list[str]], LabNotebook]]:
    """Factory: write a notebook with the given cells, open it in a new page, wait for its kernel."""
    context, _ = lab_context
    opened: list[LabNotebook] = []

    def _open(name: str, cells: list[str]) -> LabNotebook:
        write_notebook(lab_server.root / name, cells)
        page = context.new_page()
        nb = LabNotebook(lab_server, page, name)
        opened.append(nb)
        try:
            return nb.open()
        except Exception as exc:
            raise AssertionError(f"{exc}\n--- jupyter lab log ---\n{lab_server.log()[-5000:]}") from exc

    yield _open
    for nb in opened:
        nb.close()
        try:  # free the kernel's CPU for the next module
            for s in lab_server.api("GET", "/api/sessions"):
                if s.get("path") == nb.path:
                    lab_server.api("DELETE", f"/api/sessions/{s['id']}")
        except (OSError, urllib.error.URLError):
            pass
        nb.page.close()
