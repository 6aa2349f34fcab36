"""``Inspector``: the graph view beside a tabbed panel (Model, Node, Weights, Run, Profile).

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
import json
import os
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np

from ..errors import InspectError, UnknownNameError
from ..model import Model, load
from ..runtime import clear_cache  # at import: close() also runs from Widget.__del__ at interpreter exit
from ..views import details as D
from .details_view import DetailsView, node_record, weight_record
from .fallback import StaticFallback, summary_text

PLOTLY_MIME = "application/vnd.plotly.v1+json"
TABS = ("Model", "Node", "Weights", "Run", "Profile")
#: Rows listed in the Model tab's node table (the filter narrows the rest down).
LIST_LIMIT = 400
#: Output tensors shown as cards (histogram + preview) after a run.
MAX_CARDS = 4
#: Weights bigger than this (bytes, all of a node's weights) are summarised in the background.
BACKGROUND_BYTES = 8 * 2**20

_LABEL = {"description_width": "90px"}
_TOGGLE = {"description_width": "90px", "button_width": "96px"}

_CSS = """
<style>
.oi-inspector { align-items: stretch; }
.oi-inspector .oi-details { color: var(--jp-ui-font-color1, #1f1f1f);
  font-size: var(--jp-ui-font-size1, 13px); background: var(--jp-layout-color1, #fff);
  border-left: 1px solid var(--jp-border-color2, #e0e0e0); padding: 0 0 0 6px; box-sizing: border-box; }
.oi-details h4 { margin: 6px 0 4px; font-size: 1.15em; }
.oi-details h5 { margin: 10px 0 3px; font-size: 1em; color: var(--jp-ui-font-color1, #1f1f1f); }
.oi-details h6 { margin: 6px 0 2px; font-size: 0.92em; color: var(--jp-ui-font-color2, #555); }
.oi-details a { color: var(--jp-content-link-color, #1976d2); }
.oi-details table.oi-table { border-collapse: collapse; margin: 2px 0 6px; font-size: 0.92em;
  font-family: var(--jp-code-font-family, monospace); color: var(--jp-ui-font-color1, #1f1f1f); }
.oi-details .oi-scroll { overflow-x: auto; max-width: 100%; }
.oi-details table.oi-table th, .oi-details table.oi-table td { padding: 2px 8px 2px 0; text-align: left;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); vertical-align: top; white-space: nowrap; }
.oi-details table.oi-wrap td, .oi-details table.oi-kv td { white-space: normal; overflow-wrap: anywhere;
  max-width: 30em; }
.oi-details table.oi-table thead th { color: var(--jp-ui-font-color2, #555); font-weight: 600; }
.oi-details table.oi-kv th { color: var(--jp-ui-font-color2, #555); font-weight: normal; }
.oi-details table.oi-preview td { text-align: right; }
.oi-details tr.oi-default td, .oi-details tr.oi-default th { color: var(--jp-ui-font-color3, #888); }
.oi-details .oi-note { color: var(--jp-ui-font-color2, #666); margin: 2px 0; }
.oi-details .oi-doc { color: var(--jp-ui-font-color2, #555); margin: 4px 0; white-space: pre-wrap; }
.oi-details .oi-warning { color: var(--jp-warn-color0, #b26a00); }
.oi-details .oi-error { color: var(--jp-error-color0, #b71c1c);
  background: var(--jp-error-color3, #fdecea); border-left: 3px solid var(--jp-error-color1, #d32f2f);
  padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.oi-details .oi-op { font-family: var(--jp-code-font-family, monospace); }
.oi-details .widget-html-content { line-height: 1.45; }
.oi-details .oi-facts { margin: 2px 0 6px; line-height: 1.7; }
.oi-details .oi-facts code { font-family: var(--jp-code-font-family, monospace); background: none;
  color: var(--jp-ui-font-color1, #1f1f1f); overflow-wrap: anywhere; }
.oi-details .oi-io-row { margin: 3px 0 5px; border-bottom: 1px dashed var(--jp-border-color2, #e0e0e0); }
.oi-details .oi-io-row .oi-io-text { font-family: var(--jp-code-font-family, monospace); font-size: 0.92em; }
.oi-details .oi-link button, .oi-details button.oi-link { font-family: var(--jp-code-font-family, monospace);
  font-size: 0.88em; }
.oi-details .oi-node-list select { font-family: var(--jp-code-font-family, monospace); font-size: 0.9em; }
.oi-details .oi-card { border: 1px solid var(--jp-border-color2, #e0e0e0); border-radius: 3px;
  padding: 4px 6px; margin: 6px 0; }
.oi-details .oi-busy .progress-bar, .oi-details .oi-busy .widget-progress .progress-bar {
  background-image: linear-gradient(45deg, rgba(255,255,255,.35) 25%, transparent 25%, transparent 50%,
    rgba(255,255,255,.35) 50%, rgba(255,255,255,.35) 75%, transparent 75%, transparent);
  background-size: 24px 24px; animation: oi-stripes 1s linear infinite; }
@keyframes oi-stripes { from { background-position: 24px 0; } to { background-position: 0 0; } }
.oi-details .js-plotly-plot .main-svg .xtick text, .oi-details .js-plotly-plot .main-svg .ytick text,
.oi-details .js-plotly-plot .main-svg .g-xtitle text, .oi-details .js-plotly-plot .main-svg .g-ytitle text,
.oi-details .js-plotly-plot .main-svg .gtitle, .oi-details .js-plotly-plot .main-svg .gtitle tspan,
.oi-details .js-plotly-plot .main-svg .legendtext {
  fill: var(--jp-ui-font-color1, #1f1f1f) !important; }
.oi-details .js-plotly-plot .main-svg .gridlayer path { stroke: var(--jp-border-color2, #e0e0e0) !important; }
</style>
"""


# -- small helpers ------------------------------------------------------------------------------------


def _html(value: str = "", *classes: str) -> W.HTML:
    w = W.HTML(value)
    for c in classes:
        w.add_class(c)
    return w


def _widgets_in(value: Any) -> list[W.Widget]:
    if isinstance(value, W.Widget):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, W.Widget)]
    return []


def _close_tree(root: W.Widget, extra: Sequence[Any] = ()) -> None:
    """Close a widget and every widget it holds (children, layouts, styles): frees their comms.

    ipywidgets keeps each widget registered until it is closed, and closing a box closes neither its
    children nor its Layout/Style widgets.
    """
    seen: set[int] = set()
    stack: list[W.Widget] = [root, *[w for v in extra for w in _widgets_in(v)]]
    found: list[W.Widget] = []
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        found.append(w)
        for name in w.keys:
            with contextlib.suppress(Exception):
                stack.extend(_widgets_in(getattr(w, name)))
    for w in found:
        with contextlib.suppress(Exception):
            W.Widget.close(w)  # the base close: never re-enter an override such as Inspector.close


def _themed(fig: Any) -> Any:
    """A copy of a plotly figure with transparent backgrounds and neutral grid colours (both Lab themes)."""
    import plotly.graph_objects as go

    f = go.Figure(fig)
    title = f.layout.title.text if f.layout.title and f.layout.title.text else ""
    if " - " in title and "<br>" not in title:  # "What - runs, us/run (...)": the details go below
        head, rest = title.split(" - ", 1)
        f.update_layout(title_text=f"{head}<br><sup>{rest}</sup>")
    grid = "rgba(128,128,128,0.25)"
    f.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#888"},
        autosize=True,
        width=None,
        title_font_size=13,
    )
    f.update_xaxes(gridcolor=grid, zerolinecolor=grid, linecolor=grid)
    f.update_yaxes(gridcolor=grid, zerolinecolor=grid, linecolor=grid)
    return f


def show_figure(out: W.Output, fig: Any) -> None:
    """Put a plotly figure into an Output widget as plotly's JSON mime type (works from any thread)."""
    spec = json.loads(_themed(fig).to_json())
    spec["config"] = {"displaylogo": False}
    title = (fig.layout.title.text or "figure") if fig.layout.title else "figure"
    out.outputs = (
        {
            "output_type": "display_data",
            "data": {PLOTLY_MIME: spec, "text/plain": f"<plotly figure: {title}>"},
            "metadata": {},
        },
    )


def _short(provider: str) -> str:
    return provider.replace("ExecutionProvider", "")


def _bar_updater(bar: W.IntProgress) -> Callable[[int, int], None]:
    """Progress callback for oi.profile that moves an ipywidgets bar (runs done of total)."""

    def update(done: int, total: int) -> None:
        bar.max = total
        bar.value = done

    return update


class _Ticker:
    """Updates a label with the elapsed time every ``period`` seconds until stopped."""

    def __init__(self, label: W.HTML, text: str, period: float = 0.5) -> None:
        self.label, self.text, self.period = label, text, period
        self.t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="oi-ticker")

    def __enter__(self) -> _Ticker:
        self._show()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(2)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def _show(self) -> None:
        self.label.value = D.note_html(f"{self.text} {self.elapsed:.1f} s")

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self._show()


class TensorCard(W.VBox):
    """One tensor: its card (stats, first values, histogram: ``details.ts``, as in reports) and, for
    arrays of 2+ dimensions, a 2-D slice preview with index pickers (needs the kernel: stays in Python).

    ``summary`` is ``views.tensors.tensor_stats`` of the value; ``record`` the card's WeightRecord.
    """

    def __init__(self, value: Any, name: str, record: Mapping[str, Any] | None = None) -> None:
        from ..views.tensors import tensor_stats
        from .details_view import DetailsView, value_record

        a = value if isinstance(value, np.ndarray) else np.asarray(value)
        self.value = a
        self.name = name
        self.summary = tensor_stats(a)
        self.record = dict(record) if record is not None else value_record(a, name)
        self.view = DetailsView(weights=[self.record])
        self.view.add_class("oi-histogram")
        lead = max(a.ndim - 2, 0)
        self.pickers = [
            W.BoundedIntText(
                value=0, min=0, max=max(int(a.shape[k]) - 1, 0), description=f"axis {k}",
                layout=W.Layout(width="130px"), style={"description_width": "44px"},
            )
            for k in range(lead)
        ]  # fmt: skip
        self.preview = _html("", "oi-preview-box")
        self.message = _html()
        for p in self.pickers:
            p.observe(self._update_preview, "value")
        self._update_preview()
        picker_row = [W.HBox(self.pickers, layout=W.Layout(flex_flow="row wrap"))] if self.pickers else []
        super().__init__([self.view, *picker_row, self.message, self.preview])
        self.add_class("oi-card")

    def _update_preview(self, _: Any = None) -> None:
        try:
            df = D.slice_preview(self.value, [p.value for p in self.pickers])
            self.preview.value = D.preview_html(df)
            self.message.value = ""
        except InspectError as exc:
            self.message.value = D.error_html(exc)


# -- the inspector ------------------------------------------------------------------------------------


class Inspector(StaticFallback, W.HBox):
    """The model's graph beside Model / Node / Weights / Run / Profile tabs; state readable from code.

    ``insp.select(node_id)``, ``insp.selected``, ``insp.model``, ``insp.last_run`` (dict of arrays of the
    last run), ``insp.last_compare`` (DataFrame), ``insp.profile`` (``Profile``), ``insp.last_error``.
    """

    def __init__(
        self,
        model: Model | str | os.PathLike[str] | bytes | Any,
        *,
        height: str = "640px",
        namespace: Mapping[str, Any] | None = None,
    ) -> None:
        m = model if isinstance(model, Model) else load(model)
        self.model = m
        self.last_run: dict[str, np.ndarray] | None = None
        self.last_run_node: str | None = None
        self.last_compare: Any = None
        self.profile: Any = None
        self.last_error: BaseException | None = None
        self._namespace = namespace
        self._sel: list[str] = []
        self._job: threading.Thread | None = None
        self._weights_job: threading.Thread | None = None
        self._weights_sync = False
        self._syncing = False
        self._from_table = False
        self._weights_for: str | None = None
        self._weights_token = 0

        # graph (left)
        try:
            from .graphview import GraphView

            self.graph: Any = GraphView(m, height=height)
            self.graph.layout = W.Layout(flex="1 1 58%", min_width="0", width="58%")
            self.graph.observe(self._on_graph_selected, "selected")
            self.graph._snapshot_listeners.append(weakref.WeakMethod(self._set_snapshot))  # static fallback
            left: W.Widget = self.graph
        except InspectError as exc:  # e.g. the front-end bundle is not built: the panel still works
            self.graph = None
            left = _html(D.error_html(exc, "graph view unavailable:"), "oi-details")
            left.layout = W.Layout(flex="1 1 40%")

        # panel (right)
        self.tabs = W.Tab()
        self._build_model_tab()
        self._build_node_tab()
        self._build_weights_tab()
        self._build_run_tab()
        self._build_profile_tab()
        self.tabs.children = [
            self._model_box, self._node_box, self._weights_box, self._run_box, self._profile_box
        ]  # fmt: skip
        self.tabs.titles = TABS
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
        self._run_target.value = self._target_html()
        if self.tabs.selected_index == 2:
            self._render_weights()

    def _on_tab(self, change: Mapping[str, Any]) -> None:
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

    # -- Model tab --------------------------------------------------------------------------------------
    def _build_model_tab(self) -> None:
        self._table = D.node_table(self.model)
        self._summary = _html(D.model_summary_html(self.model))
        self._filter = W.Text(
            placeholder="filter nodes: id, op type, name or scope (all words)",
            continuous_update=True,
            layout=W.Layout(width="98%"),
        )
        self._filter.add_class("oi-filter")
        self._count = _html()
        self._list = W.Select(options=[], rows=14, layout=W.Layout(width="98%"))
        self._list.add_class("oi-node-list")
        self._filter.observe(lambda _: self._refilter(), "value")
        self._list.observe(self._on_list_pick, "value")
        self._refilter()
        self.netron_view: Any = None
        self._netron_btn = W.Button(
            description="Open in Netron",
            tooltip="Serve this model with Netron on 127.0.0.1 and show it here (Netron's page contacts "
            "outside hosts; onnx-inspect's own views do not)",
        )
        self._netron_btn.add_class("oi-netron")
        self._netron_btn.on_click(lambda _: self._open_netron_safe())
        self._netron_box = _html("", "oi-netron-frame")
        self._model_box = W.VBox(
            [
                self._summary,
                self._netron_btn,
                self._netron_box,
                _html("<h5>Nodes</h5>"),
                self._filter,
                self._count,
                self._list,
            ]
        )

    def open_netron(self) -> Any:
        """Serve the model with Netron on 127.0.0.1 and show it on the Model tab; returns the NetronView."""
        from ..netron import netron  # entry point above the widgets layer: imported when used

        with self._reporting(self._netron_box, "opening Netron"):
            if self.netron_view is None:
                self.netron_view = netron(self.model)
            note = D.note_html(
                f"Netron {self.netron_view.url} - its page contacts outside hosts (analytics, consent)"
            )
            self._netron_box.value = note + self.netron_view._repr_html_()
        return self.netron_view

    def _open_netron_safe(self) -> None:
        with contextlib.suppress(Exception):
            self.open_netron()

    def filter_nodes(self, text: str) -> list[str]:
        """Filter the Model tab's node table; returns the ids listed (at most ``LIST_LIMIT``)."""
        self._filter.value = text
        return [v for _, v in self._list.options]

    def _refilter(self) -> None:
        rows = D.filter_nodes(self._table, self._filter.value)
        shown = rows.iloc[:LIST_LIMIT]
        opts = [
            (" · ".join(x for x in (nid, op, shape, scope) if x), nid)
            for nid, op, shape, scope in zip(shown.index, shown["op_type"], shown["shape"], shown["scope"], strict=True)
        ]  # fmt: skip
        self._syncing = True
        try:
            self._list.options = opts
            nid = self.node_id if hasattr(self, "tabs") else None
            self._list.value = nid if nid in set(shown.index) else None
        finally:
            self._syncing = False
        more = f", showing the first {LIST_LIMIT}" if len(rows) > LIST_LIMIT else ""
        self._count.value = D.note_html(
            f"{len(rows):,} of {len(self._table):,} nodes{more}; click one to select it"
        )

    def _on_list_pick(self, change: Mapping[str, Any]) -> None:
        if self._syncing or not change["new"] or change["new"] == self.node_id:
            return
        self._from_table = True
        self.select(change["new"])

    def _sync_table(self, nid: str | None) -> None:
        values = {v for _, v in self._list.options}
        self._syncing = True
        try:
            self._list.value = nid if nid in values else None
        finally:
            self._syncing = False

    # -- Node tab ---------------------------------------------------------------------------------------
    def _build_node_tab(self) -> None:
        self._node_status = _html()
        self._node_view = DetailsView(
            on_select=self._select_from_panel,
            on_show_graph=self._show_graph,
            on_show_weight=lambda _tid: self.show_tab("Weights"),
        )
        self._node_schema = _html()
        self._node_box = W.VBox([self._node_status, self._node_view, self._node_schema])
        self._node_box.add_class("oi-node-tab")

    def _select_from_panel(self, node_id: str) -> None:
        with contextlib.suppress(InspectError):  # a stale link (the model changed): nothing to select
            self.select(node_id)

    def _show_graph(self, path: str) -> None:
        """Select the first node of a body (an If/Loop/Scan branch or a function), which opens it."""
        first = self.model.nodes.index[self.model.nodes["graph"] == path]
        if len(first):
            self.select(first[0])

    def _render_node(self) -> None:
        nid = self.node_id
        self._node_status.value = ""
        if nid is None:
            self._node_view.node = None
            self._node_view.note = "Click a node in the graph, or pick one on the Model tab."
            self._node_schema.value = ""
            return
        m = self.model
        try:
            with self._reporting(self._node_status, f"details of node {nid!r}"):
                rec = node_record(m, nid)
                info = D.node_info(m, nid)
                schema = D.schema_summary(info["op_type"], info["domain"], info["opset"])
        except Exception:
            self._node_view.node = None
            self._node_view.note = ""
            self._node_schema.value = ""
            return
        self._node_view.note = ""
        self._node_view.more = len(self.selected) - 1
        self._node_view.node = rec
        self._node_schema.value = "<h5>Schema</h5>" + D.schema_html(schema, info["op_type"], info["domain"])

    # -- Weights tab ------------------------------------------------------------------------------------
    def _build_weights_tab(self) -> None:
        self._weights_status = _html()
        self._weights_cards = W.VBox([])
        self._weights_box = W.VBox([self._weights_status, self._weights_cards])
        self._weights_box.add_class("oi-weights")

    def show_weights(self, node_id: str | None = None) -> list[TensorCard]:
        """Show the Weights tab for ``node_id`` (default: the selection), synchronously; returns the cards."""
        if node_id is not None and node_id != self.node_id:
            self.select(node_id)
        if self._weights_job is not None:
            self._weights_job.join()
        self._weights_for = None
        self._weights_sync = True
        try:
            self.show_tab("Weights")
            if self._weights_for != self.node_id:
                self._render_weights(background=False)
        finally:
            self._weights_sync = False
        return [c for c in self._weights_cards.children if isinstance(c, TensorCard)]

    def _render_weights(self, background: bool = True) -> None:
        nid = self.node_id
        pending = self._weights_job is not None and self._weights_job.is_alive()
        if nid == self._weights_for and (self._weights_cards.children or pending):
            return
        for w in self._weights_cards.children:
            _close_tree(w)
        self._weights_cards.children = []
        self._weights_for = nid
        self._weights_token += 1
        token = self._weights_token
        if nid is None:
            self._weights_status.value = D.note_html("Select a node to see its weights.")
            return
        m = self.model
        ids = D.weight_ids(m, nid)
        if not ids:
            self._weights_status.value = D.note_html(
                f"node {nid} has no weights (no initializer or Constant inputs); run it on the Run tab"
            )
            return
        infos = [D.weight_info(m, t) for t in ids]
        total = sum(i["nbytes"] or 0 for i in infos)

        def build() -> None:
            cards: list[W.Widget] = []
            for info in infos:
                if token != self._weights_token:
                    break
                box = _html()
                try:
                    with self._reporting(box, f"weight {info['name']!r}"):
                        value = m.weight(info["name"], info["graph"])
                        rec = weight_record(m, info["tensor_id"], value)
                        cards.append(TensorCard(value, info["name"], rec))
                except Exception:
                    cards.append(box)
            if token == self._weights_token:
                self._weights_cards.children = cards
                self._weights_status.value = D.note_html(f"{len(cards)} weight(s) of node {nid}")
            else:  # the selection moved on while these were built
                for c in cards:
                    _close_tree(c)

        if background and total > BACKGROUND_BYTES:
            self._weights_status.value = D.note_html(
                f"reading and summarising {D.fmt_bytes(total)} of weights…"
            )
            self._weights_job = threading.Thread(target=build, daemon=True, name="oi-weights")
            self._weights_job.start()
        else:
            build()

    # -- Run tab ----------------------------------------------------------------------------------------
    def _build_run_tab(self) -> None:
        from ..runtime.feeds import input_specs
        from ..runtime.providers import providers

        provs = providers()
        self._provider = W.Dropdown(options=provs, value=provs[0], description="provider", style=_LABEL)
        self._source = W.ToggleButtons(
            options=[("generated", "generated"), (".npz file", "file"), ("variable", "variable")],
            value="generated",
            description="inputs",
            style=_TOGGLE,
        )
        self._seed = W.IntText(value=0, description="seed", layout=W.Layout(width="180px"), style=_LABEL)
        specs = input_specs(self.model.proto.graph)
        # One field per symbolic or unknown dim, filled with the size a run would use (from the model's
        # metadata or the default); image dims the model does not size start empty and must be filled.
        self._dims: dict[str, W.Text] = {}
        free = self._dim_plan()
        for key, row in free.iterrows():
            if row["inputs"][0][1] < 0:
                continue  # rank unknown: a full-shape field below
            where = ", ".join(f"{i} axis {a}" for i, a in row["inputs"])
            field = W.Text(
                value="" if row["value"] is None else str(row["value"]),
                placeholder="required" if row["value"] is None else "",
                description=str(key),
                tooltip=f"{where}; size from {row['source']}",
                style={"description_width": "initial"},
                layout=W.Layout(width="220px"),
            )
            field.add_class("oi-dim")
            self._dims[str(key)] = field
        self._full_shapes = {
            s.name: W.Text(placeholder="e.g. 1,3,224,224", description=f"shape of {s.name}",
                           style={"description_width": "initial"})
            for s in specs if s.shape is None and s.kind == "tensor"
        }  # fmt: skip
        shapes = ", ".join(f"{s.name}: {s.type_text}" for s in specs) or "none"
        gen_note = _html(D.note_html(f"model inputs: {shapes}" + ("" if len(free) else " (all dims fixed)")))
        dims_note = _html(self._dims_note(free))
        self._gen_box = W.VBox(
            [gen_note, W.HBox([self._seed, *self._dims.values()], layout=W.Layout(flex_flow="row wrap")),
             dims_note, *self._full_shapes.values()]
        )  # fmt: skip
        self._upload = W.FileUpload(accept=".npz", multiple=False, description="upload .npz")
        self._file_box = W.VBox(
            [
                self._upload,
                _html(D.note_html("an .npz with one array per model input, named like the inputs")),
            ]
        )
        self._variable = W.Text(placeholder="feeds", description="variable", style=_LABEL)
        self._var_box = W.VBox(
            [self._variable, _html(D.note_html("a dict {input name: array} (or one array) in the notebook"))]
        )
        self._source_box = W.VBox([self._gen_box])
        self._source.observe(self._on_source, "value")
        self._run_target = _html(self._target_html())
        self._run_btn = W.Button(
            description="Run to selection", button_style="primary", icon="play", layout=W.Layout(width="auto")
        )
        self._run_btn.add_class("oi-run")
        others = [p for p in provs] or ["CPUExecutionProvider"]
        self._against = W.Dropdown(
            options=others, value="CPUExecutionProvider" if "CPUExecutionProvider" in others else others[-1],
            description="against", layout=W.Layout(width="280px"), style={"description_width": "56px"},
        )  # fmt: skip
        self._every = W.Checkbox(
            value=False, description="every tensor (find where results diverge)", indent=False
        )
        self._cmp_btn = W.Button(
            description="Compare providers",
            icon="balance-scale",
            layout=W.Layout(width="auto", min_width="170px"),
        )
        self._cmp_btn.add_class("oi-compare")
        self._run_status = _html()
        self._run_status.add_class("oi-run-status")
        self._run_result = W.VBox([])
        self._run_result.add_class("oi-run-result")
        self._run_btn.on_click(lambda _: self._spawn(self._run_clicked, self._run_status))
        self._cmp_btn.on_click(lambda _: self._spawn(self._compare_clicked, self._run_status))
        self._run_box = W.VBox(
            [
                self._provider, self._source, self._source_box, self._run_target,
                W.HBox([self._run_btn]), W.HBox([self._cmp_btn, self._against]), self._every,
                self._run_status, self._run_result,
            ]
        )  # fmt: skip

    def _dim_plan(self) -> Any:
        """The model's free input dims (``oi.input_dims``); an empty table if the inputs cannot be read."""
        from ..runtime.run import input_dims

        try:
            return input_dims(self.model)
        except InspectError:
            import pandas as pd

            return pd.DataFrame(columns=["inputs", "value", "source", "symbolic"])

    @staticmethod
    def _dims_note(free: Any) -> str:
        if not len(free):
            return ""
        parts = []
        for key, row in free.iterrows():
            if row["inputs"][0][1] < 0:
                continue
            where = ", ".join(f"{i}[{a}]" for i, a in row["inputs"])
            what = "must be set" if row["value"] is None else f"{row['value']} from {row['source']}"
            parts.append(f"{key} ({where}): {what}")
        return D.note_html("free dims: " + "; ".join(parts)) if parts else ""

    def _on_source(self, change: Mapping[str, Any]) -> None:
        box = {"generated": self._gen_box, "file": self._file_box, "variable": self._var_box}[change["new"]]
        self._source_box.children = [box]

    def _target_html(self) -> str:
        nid = self.node_id if hasattr(self, "tabs") else None
        if nid is None:
            return D.note_html(
                "Select a node: Run computes its outputs (only the part of the model they need)."
            )
        outs = [o for o in self.model.nodes.at[nid, "outputs"] if o]
        return (
            f"<div class='oi-note'>selection: <b class='oi-op'>{D.esc(nid)}</b> "
            f"({D.esc(self.model.nodes.at[nid, 'op_type'])}) → {D.esc(', '.join(outs) or 'no outputs')}</div>"
        )

    def _feeds(self) -> dict[str, Any]:
        """Keyword arguments for oi.run/compare from the input-source controls (feeds, dims, seed)."""
        src = self._source.value
        if src == "generated":
            dims: dict[str, Any] = {}
            for k, w in self._dims.items():
                text = w.value.strip()
                if not text:
                    continue  # left to the model's metadata or the default; unset image dims fail in one line
                try:
                    dims[k] = int(text)
                except ValueError:
                    raise InspectError(f"dim '{k}' must be a whole number, got {text!r}") from None
            for name, w in self._full_shapes.items():
                text = w.value.strip()
                if not text:
                    raise InspectError(
                        f"input '{name}' has no declared shape: type its shape, e.g. 1,3,224,224"
                    )
                try:
                    dims[name] = tuple(int(x) for x in text.replace("x", ",").split(",") if x.strip())
                except ValueError:
                    raise InspectError(
                        f"shape of input '{name}' must be integers separated by commas, got {text!r}"
                    ) from None
            return {"feeds": None, "dims": dims or None, "seed": int(self._seed.value)}
        if src == "file":
            from ..runtime.run import read_feeds

            files = self._upload.value
            if not files:
                raise InspectError(
                    "no .npz file uploaded: use the upload button, or pick another input source"
                )
            f = files[0]
            name = str(f.get("name", "feeds.npz"))
            if not name.endswith(".npz"):
                raise InspectError(
                    f"'{name}' is not an .npz file; save feeds with numpy.savez(path, **{{name: array}})"
                )
            with tempfile.TemporaryDirectory(prefix="oi-feeds-") as tmp:
                path = Path(tmp) / "feeds.npz"
                path.write_bytes(bytes(f["content"]))
                try:
                    feeds = read_feeds(self.model, path)
                except InspectError as exc:
                    raise type(exc)(str(exc).replace(str(path), name)) from None
            return {"feeds": feeds}
        name = self._variable.value.strip()
        if not name:
            raise InspectError("type the name of a notebook variable holding the inputs, e.g. feeds")
        ns = self._user_namespace()
        if name not in ns:
            raise InspectError(
                f"the notebook has no variable named '{name}'; define it as a dict {{input name: array}}"
            )
        value = ns[name]
        if isinstance(value, np.ndarray):
            inputs = self.model.main_inputs()
            if len(inputs) != 1:
                raise InspectError(
                    f"variable '{name}' is one array but the model has {len(inputs)} inputs {inputs}; use a dict"
                )
            value = {inputs[0]: value}
        if not isinstance(value, Mapping):
            raise InspectError(
                f"variable '{name}' is a {type(value).__name__}; it must be a dict {{input name: array}}"
            )
        return {"feeds": dict(value)}

    def _user_namespace(self) -> Mapping[str, Any]:
        if self._namespace is not None:
            return self._namespace
        try:
            from IPython import get_ipython

            shell = get_ipython()
        except ImportError:
            shell = None
        if shell is None:
            raise InspectError(
                "no notebook namespace to read a variable from; pass feeds=... to insp.run_to_selection() instead"
            )
        return shell.user_ns

    def _node_outputs(self, nid: str) -> list[str]:
        row = self.model.nodes.loc[nid]
        outs = [self.model.tensor_id(o, row["graph"]) for o in row["outputs"] if o]
        if not outs:
            raise InspectError(f"node '{nid}' has no outputs to compute")
        return outs

    def run_to_selection(
        self, *, provider: str | None = None, feeds: Mapping[str, Any] | None = None
    ) -> dict[str, np.ndarray]:
        """Run the model up to the selected node and show its outputs (summary, histogram, preview).

        ``provider`` defaults to the dropdown, ``feeds`` to the input-source controls. Sets ``last_run``.
        """
        from ..runtime.run import run

        with self._reporting(self._run_status, "run to selection"):
            nid = self.node_id
            if nid is None:
                raise InspectError(
                    "select a node first: Run to selection computes the selected node's outputs"
                )
            outputs = self._node_outputs(nid)
            prov = provider or self._provider.value
            kw = {"feeds": feeds} if feeds is not None else self._feeds()
            self._run_btn.disabled = self._cmp_btn.disabled = True
            try:
                with _Ticker(self._run_status, f"running to {nid} on {_short(prov)}…") as tick:
                    values = run(self.model, outputs, providers=[prov], **kw)
                    took = tick.elapsed
            finally:
                self._run_btn.disabled = self._cmp_btn.disabled = False
            self.last_run = values
            self.last_run_node = nid
            self.last_run_inputs = self._used_shapes(kw)
            self._show_run(values, nid, prov, took)
            return values

    def _used_shapes(self, kw: Mapping[str, Any]) -> dict[str, tuple[int, ...] | None]:
        """Shapes of the model inputs a run with these arguments used (given arrays, or generated ones)."""
        from ..runtime.run import input_shapes

        feeds = kw.get("feeds")
        if isinstance(feeds, Mapping):
            return {k: tuple(np.shape(v)) for k, v in feeds.items()}
        try:
            return input_shapes(self.model, kw.get("dims"))
        except InspectError:
            return {}

    def _show_run(self, values: Mapping[str, np.ndarray], nid: str, prov: str, took: float) -> None:
        from ..views.tensors import summary_table

        for w in self._run_result.children:
            _close_tree(w)
        table = summary_table(values)
        table["zero_fraction"] = table["zero_fraction"].map(_pct)
        # one column per tensor reads better in a narrow panel than ten columns per row
        shown = table.rename(columns={"zero_fraction": "zeros"}).T if len(table) <= 4 else table
        head = _html(
            f"<h5>Outputs of {D.esc(nid)} on {D.esc(_short(prov))}</h5>"
            + D.html_table(shown, index_label="" if len(table) <= 4 else "tensor"),
            "oi-run-summary",
        )
        cards: list[W.Widget] = [TensorCard(v, k) for k, v in list(values.items())[:MAX_CARDS]]
        if len(values) > MAX_CARDS:
            cards.append(_html(D.note_html(f"{len(values) - MAX_CARDS} more outputs: see insp.last_run")))
        used = getattr(self, "last_run_inputs", {}) or {}
        inputs = _html(D.note_html("inputs used: " + _shapes_text(used)), "oi-run-inputs") if used else None
        self._run_result.children = [head, *([inputs] if inputs else []), *cards]
        self._run_status.value = D.note_html(f"done in {took:.2f} s")

    def _run_clicked(self) -> None:
        self.run_to_selection()

    def compare_providers(
        self,
        against: str | None = None,
        *,
        provider: str | None = None,
        every_tensor: bool | None = None,
        feeds: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run the same inputs on two providers and show per-tensor differences; sets ``last_compare``.

        Compares the selected node's outputs (the model outputs when nothing is selected), or with
        ``every_tensor`` every main-graph value, in graph order.
        """
        from ..runtime.run import compare
        from ..views.tensors import diff_figure

        with self._reporting(self._run_status, "compare providers"):
            a = provider or self._provider.value
            b = against or self._against.value
            every = self._every.value if every_tensor is None else every_tensor
            nid = self.node_id
            outputs: Any = "all" if every else (self._node_outputs(nid) if nid is not None else None)
            kw = {"feeds": feeds} if feeds is not None else self._feeds()
            self._run_btn.disabled = self._cmp_btn.disabled = True
            try:
                with _Ticker(self._run_status, f"comparing {_short(a)} with {_short(b)}…") as tick:
                    table = compare(self.model, outputs, providers=[[a], [b]], **kw)
                    took = tick.elapsed
            finally:
                self._run_btn.disabled = self._cmp_btn.disabled = False
            self.last_compare = table
            for w in self._run_result.children:
                _close_tree(w)
            la, lb = table.attrs.get("labels", (a, b))
            bad = int((~table["allclose"]).sum())
            head = _html(
                f"<h5>{D.esc(la)} vs {D.esc(lb)}: {len(table)} tensor(s), {bad} not allclose</h5>"
                + D.html_table(table, index_label="tensor", formatters={"mismatch": _pct}),
                "oi-compare-table",
            )
            fig = W.Output(layout=W.Layout(width="100%"))
            show_figure(fig, diff_figure(table))
            self._run_result.children = [head, fig]
            self._run_status.value = D.note_html(f"done in {took:.2f} s")
            return table

    def _compare_clicked(self) -> None:
        self.compare_providers()

    # -- Profile tab ------------------------------------------------------------------------------------
    def _build_profile_tab(self) -> None:
        from ..runtime.providers import providers

        provs = providers()
        small = W.Layout(width="170px")
        sd = _LABEL
        self._p_runs = W.BoundedIntText(
            value=10, min=1, max=100_000, description="runs", layout=small, style=sd
        )
        self._p_warmup = W.BoundedIntText(
            value=2, min=0, max=10_000, description="warmup", layout=small, style=sd
        )
        self._p_provider = W.Dropdown(options=provs, value=provs[0], description="provider", style=_LABEL)
        self._p_opt = W.Dropdown(
            options=["all", "extended", "basic", "disabled"],
            value="all",
            description="optimization",
            style=_LABEL,
        )
        self._p_btn = W.Button(description="Profile", button_style="primary", icon="tachometer")
        self._p_btn.add_class("oi-profile-run")
        self._p_progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="98%"))
        self._p_progress.add_class("oi-progress")
        self._p_status = _html()
        self._p_status.add_class("oi-profile-status")
        self._p_overlay = W.ToggleButtons(
            options=[("off", "off"), ("latency", "latency"), ("provider", "provider")],
            value="off",
            description="paint graph",
            disabled=True,
            style=_TOGGLE,
        )
        self._p_overlay.observe(lambda ch: self._apply_overlay_safe(ch["new"]), "value")
        self._p_summary = _html()
        self._p_figs = [W.Output(layout=W.Layout(width="100%")) for _ in range(3)]
        for f, cls in zip(
            self._p_figs, ("oi-fig-op-types", "oi-fig-top-nodes", "oi-fig-timeline"), strict=True
        ):
            f.add_class(cls)
        self._p_btn.on_click(lambda _: self._spawn(self._profile_clicked, self._p_status))
        self._profile_box = W.VBox(
            [
                W.HBox([self._p_runs, self._p_warmup], layout=W.Layout(flex_flow="row wrap")),
                self._p_provider, self._p_opt, *self._profile_inputs(),
                self._p_btn, self._p_progress, self._p_status, self._p_overlay, self._p_summary, *self._p_figs,
            ]
        )  # fmt: skip

    def _profile_inputs(self) -> list[W.Widget]:
        """The Profile tab's copy of the free-dim fields, kept equal to the Run tab's, and a note on inputs."""
        self._p_dims: dict[str, W.Text] = {}
        for key, f in self._dims.items():
            g = W.Text(value=f.value, placeholder=f.placeholder, description=f.description, tooltip=f.tooltip,
                       style={"description_width": "initial"}, layout=W.Layout(width="220px"))  # fmt: skip
            g.add_class("oi-dim")
            f.observe(lambda ch, g=g: setattr(g, "value", ch["new"]), "value")
            g.observe(lambda ch, f=f: setattr(f, "value", ch["new"]), "value")
            self._p_dims[key] = g
        note = _html(
            D.note_html("inputs: as chosen in the Run tab (generated with these dims, an .npz or a variable)")
        )
        if not self._p_dims:
            return [note]
        return [note, W.HBox(list(self._p_dims.values()), layout=W.Layout(flex_flow="row wrap"))]

    def run_profile(
        self,
        runs: int | None = None,
        warmup: int | None = None,
        *,
        provider: str | None = None,
        optimization: str | None = None,
        feeds: Mapping[str, Any] | None = None,
        overlay: str = "latency",
    ) -> Any:
        """Profile the model (fields' values unless given), show the figures and paint ``overlay`` onto the
        graph ('latency', 'provider' or 'off'); sets and returns ``insp.profile``."""
        from ..runtime.profile import profile

        with self._reporting(self._p_status, "profile"):
            runs = int(self._p_runs.value if runs is None else runs)
            warmup = int(self._p_warmup.value if warmup is None else warmup)
            prov = provider or self._p_provider.value
            opt = optimization or self._p_opt.value
            kw: dict[str, Any] = {"feeds": feeds} if feeds is not None else {}
            if feeds is None and self._source.value != "generated":
                kw = {"feeds": self._feeds()["feeds"]}
            elif feeds is None:
                dims = self._feeds().get("dims")
                if dims:
                    kw["dims"] = dims
            self._p_btn.disabled = True
            bar = self._p_progress
            bar.value, bar.max, bar.bar_style = 0, runs + warmup, "info"
            bar.add_class("oi-busy")
            try:
                with _Ticker(self._p_status, f"profiling {runs} runs (+{warmup} warmup) on {_short(prov)}, "
                             f"optimization {opt}…") as tick:  # fmt: skip
                    p = profile(
                        self.model,
                        runs=runs,
                        warmup=warmup,
                        providers=[prov],
                        optimization=opt,
                        progress=_bar_updater(bar),
                        **kw,
                    )
                    took = tick.elapsed
                bar.bar_style = "success"
            except Exception:
                bar.bar_style = "danger"
                raise
            finally:
                bar.remove_class("oi-busy")
                self._p_btn.disabled = False
            self.profile = p
            self._show_profile(p, took)
            self._p_overlay.disabled = False
            if self._p_overlay.value == overlay:
                self.set_overlay(overlay)
            else:
                self._p_overlay.value = overlay  # the observer paints
            return p

    def _show_profile(self, p: Any, took: float) -> None:
        s = p.summary()
        pairs = [
            ("runs", f"{s['runs']} (after warmup)"),
            ("mean run", f"{s['mean_run_us']:,.0f} us"),
            ("kernel time per run", f"{s['mean_kernel_us']:,.0f} us"),
            ("on model nodes", f"{s['coverage']:.1%} of kernel time"),
            ("providers", ", ".join(_short(x) for x in (s["providers"] or []))),
            ("optimization", s["optimization"]),
            ("inputs", _shapes_text(p.meta.get("input_shapes") or {})),
        ]
        rows = "".join(f"<tr><th>{D.esc(k)}</th><td>{D.esc(v)}</td></tr>" for k, v in pairs)
        warn = "".join(f"<div class='oi-warning'>{D.esc(w)}</div>" for w in s["warnings"])
        self._p_summary.value = f"<table class='oi-table oi-kv'><tbody>{rows}</tbody></table>{warn}"
        show_figure(self._p_figs[0], p.figure_op_types())
        show_figure(self._p_figs[1], p.figure_top_nodes())
        show_figure(self._p_figs[2], p.figure_timeline())
        self._p_status.value = D.note_html(f"profiled in {took:.1f} s")

    def _profile_clicked(self) -> None:
        self.run_profile(overlay=self._p_overlay.value if self._p_overlay.value != "off" else "latency")

    def set_overlay(self, mode: str) -> None:
        """Paint the last profile onto the graph: 'latency' (mean time per run), 'provider', or 'off'."""
        if mode not in ("off", "latency", "provider"):
            raise InspectError(f"overlay mode {mode!r} is not one of 'off', 'latency', 'provider'")
        if self.graph is None:
            return
        if mode == "off":
            self.graph.clear_overlay()
            if self._p_overlay.value != "off":
                self._p_overlay.value = "off"
            return
        if self.profile is None:
            raise InspectError("no profile yet: press Profile (or call insp.run_profile()) first")
        if mode == "latency":
            ov = self.profile.overlay("mean_us")
            self.graph.set_overlay(ov["values"], "time per run", kind="numeric", scale="log", unit="us")
        else:
            ov = self.profile.overlay("provider")
            values = {k: _short(str(v)) for k, v in ov["values"].items()}
            self.graph.set_overlay(values, "execution provider", kind="categorical")
        if self._p_overlay.value != mode:
            self._p_overlay.value = mode

    def close(self) -> None:
        """Close this Inspector and every widget inside it, and drop its model's cached sessions.

        ipywidgets keeps every widget alive until it is closed, so a cell that is re-run leaves the old
        Inspector (and its model) in the kernel; close it to free them at once.
        """
        if hasattr(self, "_weights_job"):  # (also called by Widget.__del__ on a half-built Inspector)
            self.wait(timeout=60)
        held = [v for v in vars(self).values() if v is not self]  # widgets kept aside (other tabs' boxes)
        _close_tree(self, extra=held)
        if getattr(self, "model", None) is not None:
            clear_cache(self.model)
        if getattr(self, "netron_view", None) is not None:
            self.netron_view.stop()
            self.netron_view = None

    def to_html(self, path: str | os.PathLike[str], *, title: str | None = None) -> Path:
        """Write this Inspector's model, profile, last run and selection as a self-contained HTML report."""
        from ..report import report  # entry point above the widgets layer: imported when used

        mode = self._p_overlay.value
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
        )

    def _apply_overlay_safe(self, mode: str) -> None:
        with contextlib.suppress(Exception), self._reporting(self._p_status, "painting the graph"):
            self.set_overlay(mode)


def _shapes_text(shapes: Mapping[str, Any]) -> str:
    """``x[1, 3, 224, 224], mask[1, 8]`` (``?`` where a shape is unknown)."""
    return ", ".join(f"{k}{list(v)}" if v is not None else f"{k}[?]" for k, v in shapes.items())


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return f"{float(v):.1%}"


def inspect(model: Model | str | os.PathLike[str] | bytes | Any, **kwargs: Any) -> Inspector:
    """The Inspector widget for a model (path, bytes, ModelProto or ``oi.Model``): graph plus detail tabs."""
    return Inspector(model, **kwargs)


__all__ = ["Inspector", "TensorCard", "inspect", "show_figure"]
