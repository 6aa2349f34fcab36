"""Drive a real JupyterLab server and Chromium for the browser tests.

`LabServer` runs `jupyter lab` on 127.0.0.1 in an isolated temp root (its own config, settings,
runtime and workspace dirs, nothing fetched from the network). `LabNotebook` opens a notebook in a
Playwright page, runs it, and reads values back from the same kernel through its connection file.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OI_CHROMIUM", "/usr/bin/chromium")  # Debian's; override for other distros
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--metrics-recording-only",
    # belt and braces: no host name but 127.0.0.1 resolves, even for Chromium's own background traffic
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# JupyterLab plugins that would reach the network or pop dialogs.
DISABLED_PLUGINS = [
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/extensionmanager-extension:plugin",
]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine (127.0.0.1, data:, blob:, about:)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "chrome-error", "chrome"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def write_notebook(path: Path, cells: Iterable[str]) -> Path:
    """Write a Python 3 notebook with the given code cells (dedented) to `path`."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(src).strip()) for src in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


class LabServer:
    """A JupyterLab server on 127.0.0.1 with a token, isolated in `workdir` (start with `start()`)."""

    def __init__(self, workdir: Path, *, startup_timeout: float = 90.0) -> None:
        self.workdir = Path(workdir)
        self.root = self.workdir / "root"
        self.runtime_dir = self.workdir / "runtime"
        self.settings_dir = self.workdir / "user-settings"
        self.token = secrets.token_hex(16)
        self.port = 0
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "jupyterlab.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        config_dir = self.workdir / "config"
        env.update(
            JUPYTER_CONFIG_DIR=str(config_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workdir / "workspaces"),
            IPYTHONDIR=str(self.workdir / "ipython"),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )
        env.pop("JUPYTER_PREFER_ENV_PATH", None)
        return env

    def _write_config(self) -> None:
        config_dir = self.workdir / "config"
        (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
        page_config = {"disabledExtensions": dict.fromkeys(DISABLED_PLUGINS, True)}
        (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
        # No "fetch news?" toast, no update check, no extension manager listing.
        for plugin, settings in {
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
                "fetchNews": "false",
                "checkForUpdates": False,
            },
            "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
        }.items():
            p = self.settings_dir / plugin
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(settings))

    def start(self) -> LabServer:
        """Start the server and block until its REST API answers."""
        for d in (self.root, self.runtime_dir, self.settings_dir, self.workdir / "notary"):
            d.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self.port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
            "--LanguageServerManager.autodetect=False",
            f"--NotebookNotary.data_dir={self.workdir / 'notary'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root
            cmd.append("--allow-root")
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.root, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"jupyter lab did not answer within {self.startup_timeout}s:\n{self.log()}"
                )
            time.sleep(0.2)

    def log(self) -> str:
        """The server's log so far (stdout and stderr)."""
        try:
            return self.log_path.read_text(errors="replace")[-20000:]
        except OSError:
            return ""

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        """Call the server's REST API with the token; return the decoded JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def lab_url(self, path: str = "") -> str:
        """URL that opens `path` (relative to the root dir) in JupyterLab, logging in with the token."""
        tree = f"/tree/{urllib.parse.quote(path)}" if path else ""
        return f"{self.url}/lab{tree}?token={self.token}&reset"

    def kernel_for(self, notebook_path: str) -> str:
        """Kernel id of the session that runs `notebook_path` (raises if there is none)."""
        for s in self.api("GET", "/api/sessions"):
            if s.get("path") == notebook_path and s.get("kernel"):
                return s["kernel"]["id"]
        raise LookupError(f"no running kernel session for {notebook_path!r}")

    def stop(self) -> None:
        """Shut the server (and its kernels) down; kill it if it does not exit within 20 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.api("POST", "/api/shutdown", timeout=5)
        except (OSError, urllib.error.URLError):
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


class KernelBridge:
    """A second client of a notebook's kernel: executes code in the notebook's namespace."""

    def __init__(self, connection_file: Path) -> None:
        from jupyter_client import BlockingKernelClient

        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(self, code: str, timeout: float = 60) -> str:
        """Run `code` in the kernel; return its stdout, raise AssertionError with the traceback on error."""
        out: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])

        reply = self.client.execute_interactive(
            textwrap.dedent(code), timeout=timeout, output_hook=hook, store_history=False, allow_stdin=False
        )
        content = reply["content"]
        if content["status"] != "ok":
            tb = "\n".join(content.get("traceback", [])) or f"{content.get('ename')}: {content.get('evalue')}"
            raise AssertionError(f"kernel code failed:\n{code}\n{tb}")
        return "".join(out)

    def eval_json(self, expr: str) -> Any:
        """JSON value of the Python expression `expr` evaluated in the kernel."""
        text = self.execute(f"import json as _j; print('@@' + _j.dumps({expr}))")
        return json.loads(text.split("@@", 1)[1])

    def wait_for(self, expr: str, predicate: Callable[[Any], bool], timeout: float = 15) -> Any:
        """Poll `expr` until `predicate(value)` holds; return the value or fail with the last one seen."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval_json(expr)
            if predicate(value):
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{expr} = {value!r} did not reach the expected value in {timeout}s")
            time.sleep(0.1)

    def close(self) -> None:
        self.client.stop_channels()


class PageGuard:
    """Aborts and records every request from a browser context that leaves 127.0.0.1, and records
    uncaught JavaScript exceptions of its pages; `check()` fails on either."""

    def __init__(self, context: Any) -> None:
        self.blocked: list[str] = []
        self.page_errors: list[str] = []
        context.route("**/*", self._route)
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _watch_page(self, page: Any) -> None:
        page.on("websocket", lambda ws: None if is_local_url(ws.url) else self.blocked.append(ws.url))
        page.on("pageerror", lambda err: self.page_errors.append(f"{page.url}: {err}"))

    def check(self) -> None:
        """Fail if anything tried to leave the machine or a page threw an uncaught exception."""
        if self.blocked:
            urls = "\n  ".join(sorted(set(self.blocked)))
            raise AssertionError(f"the page tried to reach outside 127.0.0.1:\n  {urls}")
        if self.page_errors:
            errors = "\n  ".join(self.page_errors)
            raise AssertionError(f"uncaught JavaScript exception(s) in the page:\n  {errors}")


@contextmanager
def guarded_context(
    browser: Any, width: int = 1400, height: int = 1000, timeout_ms: int = 30_000
) -> Iterator[tuple[Any, PageGuard]]:
    """A fresh browser context (no service workers) with a PageGuard on it, closed on exit; the caller
    decides what the guard's records must be (``guard.check()`` for none at all)."""
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
    context.set_default_timeout(timeout_ms)
    guard = PageGuard(context)
    try:
        yield context, guard
    finally:
        context.unroute_all(behavior="ignoreErrors")
        context.close()


# JavaScript run in the page; `window.jupyterapp` exists because of --LabApp.expose_app_in_browser.
_JS_NOTEBOOK_STATE = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return {state: 'no-app'};
  const w = app.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.content || !w.sessionContext) return {state: 'no-panel'};
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [];
  for (const c of w.content.widgets) {
    if (c.model.type !== 'code') continue;
    const outputs = c.model.outputs.toJSON();
    cells.push({
      count: c.model.executionCount,
      pending: c.promptNode ? c.promptNode.textContent.includes('*') : false,
      errors: outputs.filter((o) => o.output_type === 'error')
        .map((o) => o.ename + ': ' + o.evalue + '\\n' + (o.traceback || []).join('\\n')),
    });
  }
  const dialog = document.querySelector('.jp-Dialog');
  return {state: 'ok', kernel: kernel ? kernel.status : 'none', cells, dialog: dialog ? dialog.innerText : null};
}
"""


class LabNotebook:
    """A notebook open in JupyterLab in one Playwright page, plus a bridge to its kernel."""

    def __init__(self, server: LabServer, page: Any, path: str) -> None:
        self.server = server
        self.page = page
        self.path = path
        self._bridge: KernelBridge | None = None

    def open(self, timeout: float = 90) -> LabNotebook:
        """Load the notebook in Lab and wait until its kernel is idle."""
        self.page.goto(self.server.lab_url(self.path), wait_until="domcontentloaded")
        self._wait(lambda s: s["state"] == "ok" and s["kernel"] == "idle", timeout, "kernel idle")
        return self

    def state(self) -> dict[str, Any]:
        return self.page.evaluate(_JS_NOTEBOOK_STATE, self.path)

    def _wait(self, cond: Callable[[dict[str, Any]], bool], timeout: float, what: str) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            s = self.state()
            if s.get("dialog"):
                raise AssertionError(f"JupyterLab shows a dialog while waiting for {what}: {s['dialog']!r}")
            if s["state"] == "ok":
                errors = [e for c in s["cells"] for e in c["errors"]]
                if errors:
                    raise AssertionError(f"notebook {self.path} raised:\n" + "\n".join(errors))
            if cond(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; last state {s}")
            time.sleep(0.1)

    def run_all(self, timeout: float = 120) -> None:
        """Run every cell through Lab's UI command and wait until all have run (fail on any error)."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self._wait(
            lambda s: (
                s["state"] == "ok"
                and s["kernel"] == "idle"
                and all(c["count"] is not None and not c["pending"] for c in s["cells"])
            ),
            timeout,
            "all cells to finish",
        )

    @property
    def kernel(self) -> KernelBridge:
        """A client of this notebook's kernel (same namespace as the cells)."""
        if self._bridge is None:
            kid = self.server.kernel_for(self.path)
            self._bridge = KernelBridge(self.server.runtime_dir / f"kernel-{kid}.json")
        return self._bridge

    def output(self, cell_index: int) -> Any:
        """Locator for the output area of the `cell_index`-th cell of the notebook."""
        cell = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(
            cell_index
        )
        return cell.locator(".jp-OutputArea")

    def set_theme(self, theme: str, timeout: float = 30) -> None:
        """Switch JupyterLab's theme (e.g. 'JupyterLab Light', 'JupyterLab Dark') and wait for it."""
        self.page.evaluate(
            "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
        )
        self.page.wait_for_function(
            "(t) => document.body.dataset.jpThemeName === t", arg=theme, timeout=timeout * 1000
        )
        # Let the theme's CSS variables reach the widget before anyone takes a picture.
        self.page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
