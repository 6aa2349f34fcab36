"""``Inspector``: the graph view beside a tabbed panel (Model, Node, Weights, Run, Profile).

One module per tab (``model_tab``, ``node_tab``, ``weights_tab``, ``run_tab``, ``profile_tab``: mixins
holding that tab's methods); this module holds the state, selection, errors, ``close`` and ``to_html``.

Composition only: tables and HTML come from ``views.details``/``views.tensors``, runs and profiles from
``runtime``; this module wires them to ipywidgets. Sessions and profiles started from buttons run in a
background thread (the notebook stays usable, progress is shown); the same actions are methods
(``run_to_selection``, ``compare_providers``, ``run_profile``) that code and tests call synchronously.
Plotly figures go into ``ipywidgets.Output`` as ``application/vnd.plotly.v1+json``: JupyterLab renders
that with the plotly extension that ships in the plotly wheel (plotly.js loaded once, from the local
server), while a ``FigureWidget`` would resend its ~5 MB plotly.js bundle with every new figure.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W

from ...errors import InspectError, UnknownNameError
from ...model import Model, ModelLike, load
from ...runtime import clear_cache  # at import: close() also runs from Widget.__del__ at interpreter exit
from ...views import details as D
from ..accuracy_tab import AccuracyTab
from ..costs_tab import CostsTab
from ..fallback import StaticFallback, summary_text
from ..optimized_tab import OptimizedTab
from ._common import _CSS, PLOTLY_MIME, PROFILE, RUN, TABS, TensorCard, _close_tree, _html, show_figure
from .model_tab import ModelTab
from .node_tab import NodeTab
from .profile_tab import ProfileTab
from .run_tab import RunTab
from .weights_tab import BACKGROUND_BYTES, WeightsTab


class Inspector(ModelTab, NodeTab, WeightsTab, RunTab, ProfileTab, StaticFallback, W.HBox):
    """The model's graph beside Model / Node / Weights / Run / Profile tabs; state readable from code.

    ``insp.select(node_id)``, ``insp.selected``, ``insp.model``, ``insp.last_run`` (dict of arrays of the
    last run), ``insp.last_compare`` (DataFrame), ``insp.profile`` (``Profile``), ``insp.last_error``.
    """

    def __init__(
        self,
        model: ModelLike,
        *,
        height: str = "640px",
        namespace: Mapping[str, Any] | None = None,
    ) -> None:
        m = model if isinstance(model, Model) else load(model)
        self.model = m
        # (the state's types are declared once, on TabHost in _common.py)
        self.last_run = None
        self.last_run_node = None
        self.last_run_inputs = {}
        self.last_compare = None
        self.profile = None
        self.last_error = None
        self._namespace = namespace
        self._sel = []
        self._job = None
        self._weights_job = None
        self._weights_sync = False
        self._syncing = False
        self._from_table = False
        self._weights_for = None
        self._weights_token = 0

        # graph (left)
        try:
            from ..graphview import GraphView

            self.graph = GraphView(m, height=height)
            self.graph.layout = W.Layout(flex="1 1 58%", min_width="0", width="58%")
            self.graph.observe(self._on_graph_selected, "selected")
            self.graph._snapshot_listeners.append(weakref.WeakMethod(self._set_snapshot))  # static fallback
            left: W.Widget = self.graph
        except InspectError as exc:  # e.g. the front-end bundle is not built: the panel still works
            self.graph = None
            left = _html(D.error_html(exc, "graph view unavailable:"), "oi-details")
            left.layout = W.Layout(flex="1 1 40%")

        # panel (right): the Model tab shows first and is built now, with the Node and Weights tabs (both
        # empty until a selection); the other tabs are built when first shown (or used from code), so
        # that nothing the first view does not show costs time before the graph is on screen
        self.tabs = W.Tab()
        self._tab_lock = threading.RLock()
        self._pending: dict[int, Callable[[], W.Widget]] = {}
        self._slots: dict[int, W.Box] = {}
        self._fact_tabs: list[Any] = []
        self._build_model_tab()
        self._build_node_tab()
        self._build_weights_tab()
        children: list[W.Widget] = [self._model_box, self._node_box, self._weights_box]
        children.append(self._later(RUN, self._run_tab_box))
        children.append(self._later(PROFILE, self._profile_tab_box))
        # Accuracy / Costs / Optimized (widgets/*_tab.py) paint and select on the graph, so they need one
        if self.graph is not None:
            for T in (AccuracyTab, CostsTab, OptimizedTab):
                children.append(self._later(len(children), functools.partial(self._fact_tab, T)))
        self.tabs.children = children
        self.tabs.titles = TABS[: len(self.tabs.children)]
        self.tabs.observe(self._on_tab, "selected_index")
        self.panel = W.VBox(
            [_html(_CSS), self.tabs],
            layout=W.Layout(flex="1 1 42%", min_width="340px", width="42%", height=height, overflow="auto"),
        )
        self.panel.add_class("oi-details")
        super().__init__([left, self.panel], layout=W.Layout(width="100%", align_items="stretch"))
        self.add_class("oi-inspector")
        self._render_node()

    _fallback_live_update = False  # the picture goes into later displays only (see widgets/fallback.py)

    def _fallback_text(self) -> str:
        return summary_text(self.model, "Inspector")

    # -- tabs built when first shown ---------------------------------------------------------------------
    def _later(self, index: int, build: Callable[[], W.Widget]) -> W.Box:
        """An empty box standing for tab ``index`` until it is first shown; ``build`` makes its content."""
        self._pending[index] = build
        slot = self._slots[index] = W.VBox(layout=W.Layout(width="100%"))
        slot.add_class("oi-tab-slot")
        return slot

    def _ensure_tab(self, index: int) -> None:
        """Build tab ``index`` now if it has not been (on first selection, or when code uses it)."""
        with self._tab_lock:
            build = self._pending.pop(index, None)
            if build is None:
                return
            try:
                content = build()
            except Exception as exc:  # shown in the tab, never a blank panel
                self.last_error = exc
                self._slots[index].children = [
                    _html(D.error_html(str(exc), f"building the {TABS[index]} tab failed:"))
                ]
                raise
            self._slots[index].children = [content]

    def _built(self, index: int) -> bool:
        """Whether tab ``index`` exists yet (tabs other than Model, Node and Weights are built when shown)."""
        return index not in self._pending

    def _run_tab_box(self) -> W.Widget:
        self._build_run_tab()
        return self._run_box

    def _profile_tab_box(self) -> W.Widget:
        self._ensure_tab(RUN)  # the Profile tab mirrors the Run tab's dim fields and reads its inputs
        self._build_profile_tab()
        return self._profile_box

    def _fact_tab(self, T: Any) -> W.Widget:
        self._ensure_tab(RUN)  # its runs read the Run tab's inputs: build those controls here, not in a job
        tab = T(self.model, self.graph, select=self.select, dims=lambda: self._feeds().get("dims"),
                feeds=lambda: self._feeds().get("feeds"), namespace=self._user_namespace)  # fmt: skip
        self._fact_tabs.append(tab)
        return tab

    @property
    def fact_tabs(self) -> list[Any]:
        """The Accuracy, Costs and Optimized tabs (built now if not shown yet); [] without a graph view."""
        first = TABS.index("Accuracy")
        for i in range(first, len(self.tabs.children)):
            self._ensure_tab(i)
        return [self._slots[i].children[0] for i in range(first, len(self.tabs.children))]

    # -- state ------------------------------------------------------------------------------------------
    @property
    def selected(self) -> list[str]:
        """Selected node ids (the graph's selection; the panel follows the last one)."""
        return list(self.graph.selected) if self.graph is not None else list(self._sel)

    @selected.setter
    def selected(self, ids: Sequence[str]) -> None:
        self.select(list(ids))

    @property
    def node_id(self) -> str | None:
        """The node the panel shows: the last selected one, or None."""
        sel = self.selected
        return sel[-1] if sel else None

    def select(self, node_id: str | Sequence[str]) -> None:
        """Select node(s) by id (as in ``m.nodes.index``); the graph reveals them and the panel follows."""
        ids = [node_id] if isinstance(node_id, str) else list(node_id)
        bad = [i for i in ids if i not in self.model.nodes.index]
        if bad:
            raise UnknownNameError(self.model._unknown("node", bad[0], self.model.nodes.index))
        if self.graph is not None:
            if list(self.graph.selected) == ids:
                self._selection_changed()
            self.graph.selected = ids  # the observer updates the panel
        else:
            self._sel = ids
            self._selection_changed()

    def show_tab(self, name: str) -> None:
        """Switch the panel to a tab by title ('Model', 'Node', 'Weights', 'Run', 'Profile')."""
        if name not in TABS:
            raise InspectError(f"no tab named {name!r}; tabs: {', '.join(TABS)}")
        self.tabs.selected_index = TABS.index(name)

    @property
    def busy(self) -> bool:
        """True while a background job (run, comparison, profile) is running."""
        return self._job is not None and self._job.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for background work (a run, comparison or profile started from a button, big weights being
        summarised); True when nothing is running any more."""
        for job in (self._job, self._weights_job):
            if job is not None:
                job.join(timeout)
        return not self.busy and not (self._weights_job is not None and self._weights_job.is_alive())

    def _on_graph_selected(self, change: Mapping[str, Any]) -> None:
        self._selection_changed()

    def _selection_changed(self) -> None:
        nid = self.node_id
        if not self._from_table and self.tabs.selected_index == 0 and nid is not None:
            self.tabs.selected_index = 1  # a click in the graph shows its details
        self._from_table = False
        self._sync_table(nid)
        self._render_node()
        if self._built(RUN):
            self._run_target.value = self._target_html()
        if self.tabs.selected_index == 2:
            self._render_weights()

    def _on_tab(self, change: Mapping[str, Any]) -> None:
        if isinstance(change["new"], int):
            self._ensure_tab(change["new"])
        if change["new"] == 2:
            self._render_weights(background=not self._weights_sync)

    # -- errors -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _reporting(self, where: W.HTML, what: str) -> Iterator[None]:
        """Show any error raised inside as a readable message in ``where`` (never a traceback), then re-raise."""
        try:
            yield
        except InspectError as exc:
            self.last_error = exc
            where.value = D.error_html(exc, f"{what} failed:")
            raise
        except Exception as exc:
            self.last_error = exc
            where.value = D.error_html(
                f"{type(exc).__name__}: {exc} (an unexpected error inside onnx-inspect; "
                "insp.last_error holds the exception, please report it)",
                f"{what} failed:",
            )
            raise

    def _spawn(self, fn: Callable[[], Any], status: W.HTML) -> None:
        """Run ``fn`` in a background thread (one job at a time); errors are already shown by ``fn``."""
        if self.busy:
            status.value = D.note_html("another run or profile is still in progress; wait for it to finish")
            return

        def target() -> None:
            with contextlib.suppress(Exception):
                fn()

        self._job = threading.Thread(target=target, daemon=True, name="oi-inspector-job")
        self._job.start()

    def close(self) -> None:
        """Close this Inspector and every widget inside it, and drop its model's cached sessions.

        ipywidgets keeps every widget alive until it is closed, so a cell that is re-run leaves the old
        Inspector (and its model) in the kernel; close it to free them at once.
        """
        if hasattr(self, "_weights_job"):  # (also called by Widget.__del__ on a half-built Inspector)
            self.wait(timeout=60)
        for tab in getattr(self, "_fact_tabs", ()):  # their own close() ends jobs and removes temp files
            tab.close()
        getattr(self, "_pending", {}).clear()  # tabs never shown are never built
        held = [v for v in vars(self).values() if v is not self]  # widgets kept aside (other tabs' boxes)
        _close_tree(self, extra=held)
        if getattr(self, "model", None) is not None:
            clear_cache(self.model)
        if getattr(self, "netron_view", None) is not None:
            self.netron_view.stop()
            self.netron_view = None

    def to_html(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Write this Inspector's model, profile, last run and selection as a self-contained HTML report,
        with what the Accuracy, Costs and Optimized tabs hold (node sections, overlays, tables, figures)."""
        from ...reporting import report  # entry point above the widgets layer: imported when used

        facts: dict[str, Any] = {}
        for tab in self.fact_tabs:
            facts.update(tab.report_kwargs())

        mode = self._p_overlay.value if self._built(PROFILE) else "off"
        overlay = (
            {"latency": "mean_us", "provider": "provider"}.get(mode) if self.profile is not None else None
        )
        return report(
            self.model,
            path,
            profile=self.profile,
            runs=[self.last_run] if self.last_run else None,
            title=title,
            selected=list(self.selected),
            overlay=overlay,
            **facts,
        )


def inspect(model: ModelLike, **kwargs: Any) -> Inspector:
    """The Inspector widget for a model (path, bytes, ModelProto or ``oi.Model``): graph plus detail tabs."""
    return Inspector(model, **kwargs)


__all__ = ["BACKGROUND_BYTES", "PLOTLY_MIME", "TABS", "Inspector", "TensorCard", "inspect", "show_figure"]
