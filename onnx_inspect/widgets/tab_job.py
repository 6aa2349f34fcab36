"""What the Accuracy, Costs and Optimized tabs share: one background job at a time, a status line, Stop.

Each tab is a self-contained ``ipywidgets.VBox`` built on :class:`FactTab`, so the Inspector hosts it with
a few lines: ``Tab(model, graph, select=..., dims=..., feeds=...)``. ``graph`` is the Inspector's
``GraphView`` (overlays are painted on it), ``select`` selects and reveals nodes in the Inspector,
``dims``/``feeds`` read the Run tab's current choices (None: let onnx-inspect generate inputs).
Long work runs in a thread; the status line shows progress and the elapsed time, errors one line.
"""

from __future__ import annotations

import contextlib
import html
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as W

from ..errors import InspectError
from ..model import Model

Select = Callable[[list[str]], None]
Choice = Callable[[], "dict[str, Any] | None"]


def _none() -> None:
    return None


def note(text: str) -> str:
    """A grey one-line note, escaped."""
    return f"<span class='oi-note'>{html.escape(text)}</span>"


def error_line(exc: BaseException, what: str) -> str:
    """One escaped line for an error: the InspectError's message, or the type and text of anything else."""
    if isinstance(exc, InspectError):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    else:
        text = (
            f"{type(exc).__name__}: {exc} (an unexpected error inside onnx-inspect; "
            "tab.last_error holds the exception, please report it)"
        )
    return f"<span class='oi-error'>{html.escape(f'{what} failed: {text}')}</span>"


class Stopped(Exception):
    """Raised inside a job when the user pressed Stop (ends the job quietly)."""


class FactTab(W.VBox):
    """Base of the fact tabs: model, graph and Inspector hooks, a status line, a Stop button, one job."""

    def __init__(
        self,
        model: Model,
        graph: Any,
        *,
        select: Select | None = None,
        dims: Choice | None = None,
        feeds: Choice | None = None,
        namespace: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.model = model
        self.graph = graph
        self._select = select or (lambda ids: graph.select(ids))
        self._dims = dims or _none
        self._feeds = feeds or _none
        self._namespace = namespace
        self.last_error: BaseException | None = None
        self.status = W.HTML("")
        self.status.add_class("oi-tab-status")
        self.stop_button = W.Button(description="Stop", button_style="warning", layout=W.Layout(width="70px"))
        self.stop_button.layout.display = "none"
        self.stop_button.on_click(lambda _: self.stop())
        self._stop = threading.Event()
        self._job: threading.Thread | None = None
        self._progress = ""
        self._t0 = time.perf_counter()
        from .inspector import _close_tree  # here, not at import: the Inspector imports the tabs

        self._close_tree = _close_tree
        super().__init__(layout=W.Layout(width="100%"))

    # -- hooks the Inspector gives ---------------------------------------------------------------------
    def run_kwargs(self) -> dict[str, Any]:
        """``feeds=`` and ``dims=`` as the Run tab currently sets them (either may be None)."""
        return {"feeds": self._feeds(), "dims": self._dims()}

    def user_namespace(self) -> Mapping[str, Any]:
        """Where a second model named by a variable is looked up: the ``namespace`` given (a mapping, or a
        callable returning one, such as the Inspector's ``_user_namespace``), else the notebook's variables."""
        ns = self._namespace
        if ns is None:
            shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
            return shell.user_ns if shell is not None else {}
        return ns() if callable(ns) else ns

    # -- the one background job ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Whether a job started from a button is still running."""
        return self._job is not None and self._job.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running job (if any); True when none is left running."""
        if self._job is not None:
            self._job.join(timeout)
        return not self.busy

    def stop(self) -> None:
        """Ask the running job to stop at its next step (a session already running finishes that step)."""
        self._stop.set()
        if self.busy:
            self.status.value = note(f"{self._progress} stopping…")

    def progress(self, text: str) -> None:
        """Show what the job is doing, with the elapsed time; raises Stopped when Stop was pressed."""
        if self._stop.is_set():
            raise Stopped
        self._progress = text
        self.status.value = note(f"{text} {time.perf_counter() - self._t0:.1f} s")

    def stopped(self) -> bool:
        """Whether Stop was pressed since the job started."""
        return self._stop.is_set()

    def start(self, fn: Callable[[], Any], what: str, stoppable: bool = True) -> None:
        """Run ``fn`` in a background thread (one job at a time); errors are shown as one line."""
        if self.busy:
            self.status.value = note(f"{self._progress or 'a job'} is still running; wait or press Stop")
            return
        self._stop.clear()
        self._job = threading.Thread(target=self.guarded, args=(fn, what, stoppable), daemon=True,
                                     name=f"oi-{what}")  # fmt: skip
        self._job.start()

    def guarded(self, fn: Callable[[], Any], what: str, stoppable: bool = False) -> Any:
        """Run ``fn`` now, showing progress, the elapsed time and any error in the status line; re-raise
        errors (a job thread swallows them after they are shown)."""
        self._t0 = time.perf_counter()
        self._progress = what
        self.stop_button.layout.display = "" if stoppable else "none"
        ticking = threading.Event()

        def tick() -> None:
            while not ticking.wait(0.5):
                if not self._stop.is_set():
                    self.status.value = note(f"{self._progress} {time.perf_counter() - self._t0:.1f} s")

        ticker = threading.Thread(target=tick, daemon=True, name="oi-tab-ticker")
        ticker.start()
        try:
            out = fn()
        except Stopped:
            self.status.value = note(f"{what}: stopped after {time.perf_counter() - self._t0:.1f} s")
            return None
        except BaseException as exc:
            self.last_error = exc
            self.status.value = error_line(exc, what)
            if threading.current_thread() is self._job:
                return None
            raise
        finally:
            ticking.set()
            ticker.join(2)
            self.stop_button.layout.display = "none"
        if not self.status.value.startswith("<span class='oi-error'"):
            self.status.value = note(f"{what}: done in {time.perf_counter() - self._t0:.2f} s")
        return out

    def close(self) -> None:
        """Stop the job, close this tab and every widget it holds."""
        self._stop.set()
        # widgets kept aside (a hidden Stop button, figures not shown yet) are not children: close them too
        self._close_tree(self, extra=[v for v in vars(self).values() if v is not self])


def show_figure(out: W.Output, fig: Any) -> None:
    """A plotly figure into an Output widget, themed as the Inspector's figures are."""
    from .inspector import show_figure as show

    show(out, fig)


def figure_output() -> W.Output:
    """An empty full-width Output for one figure."""
    return W.Output(layout=W.Layout(width="100%"))


@contextlib.contextmanager
def disabled(*buttons: W.Button) -> Any:
    """Disable buttons while a job runs."""
    for b in buttons:
        b.disabled = True
    try:
        yield
    finally:
        for b in buttons:
            b.disabled = False
