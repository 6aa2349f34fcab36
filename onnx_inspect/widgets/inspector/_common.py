"""Shared parts of the Inspector's tabs: constants, CSS, small widget helpers, ``TensorCard``."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np

from ...errors import InspectError
from ...views import details as D

if TYPE_CHECKING:
    from ...model import Model

PLOTLY_MIME = "application/vnd.plotly.v1+json"
TABS = ("Model", "Node", "Weights", "Run", "Profile", "Accuracy", "Costs", "Optimized")
#: Tabs built when first shown or used (their positions in TABS); see ``Inspector._ensure_tab``.
RUN, PROFILE = TABS.index("Run"), TABS.index("Profile")
#: Rows listed in the Model tab's node table (the filter narrows the rest down).
LIST_LIMIT = 400
#: Output tensors shown as cards (histogram + preview) after a run.
MAX_CARDS = 4

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
.oi-details .oi-node-list select, .oi-details .oi-cost-node-list select { font-family: var(--jp-code-font-family, monospace); font-size: 0.9em; }
.oi-details .lm-TabBar, .oi-details .p-TabBar { min-height: fit-content; height: auto !important; }
.oi-details .lm-TabBar-content, .oi-details .p-TabBar-content { flex-wrap: wrap; }
.oi-details .lm-TabBar-tab, .oi-details .p-TabBar-tab { flex: 0 0 auto !important; min-width: 0 !important;
  max-width: none !important; padding: 0 8px; }
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


# -- the host every tab mixin is part of -------------------------------------------------------------


class TabHost:
    """What a tab mixin (``ModelTab``, ``NodeTab``, ...) may use of the ``Inspector`` it is part of.

    The state is declared here (annotations only: ``Inspector.__init__`` and the tabs set it); the host's
    methods are defined on ``Inspector`` and only declared here, for the type checker.
    """

    model: Model
    graph: Any  # the GraphView, or None when the front end is unavailable
    tabs: W.Tab
    last_run: dict[str, np.ndarray] | None
    last_run_node: str | None
    last_run_inputs: dict[str, tuple[int, ...] | None]
    last_compare: Any
    profile: Any  # runtime.profile.Profile, or None before the first profile
    last_error: BaseException | None
    _namespace: Mapping[str, Any] | None
    _sel: list[str]
    _job: threading.Thread | None
    _weights_job: threading.Thread | None
    _weights_sync: bool
    _weights_for: str | None
    _weights_token: int
    _syncing: bool
    _from_table: bool
    # the Run tab's input-source controls, which the Profile tab also reads
    _dims: dict[str, W.Text]
    _source: W.ToggleButtons

    if TYPE_CHECKING:

        @property
        def node_id(self) -> str | None: ...

        @property
        def selected(self) -> list[str]: ...

        def select(self, node_id: str | Sequence[str]) -> None: ...

        def show_tab(self, name: str) -> None: ...

        def _ensure_tab(self, index: int) -> None: ...

        def _reporting(self, where: W.HTML, what: str) -> contextlib.AbstractContextManager[None]: ...

        def _spawn(self, fn: Callable[[], Any], status: W.HTML) -> None: ...

        def _feeds(self) -> dict[str, Any]: ...  # RunTab's; the Profile tab uses the same inputs


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
        from ...views.tensors import tensor_stats
        from ..details_view import DetailsView, value_record

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


def _pct(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return f"{float(v):.1%}"
