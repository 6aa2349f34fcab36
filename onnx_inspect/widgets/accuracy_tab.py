"""The Accuracy tab: where a second model (or onnxruntime's optimized graph) starts to differ, on the graph.

Tensors are compared one chunk at a time through ``runtime.accuracy.iter_compare`` (memory-bounded, with
progress and Stop), for a second model, the optimized graph and a provider pair alike; the first tensor that is not allclose is highlighted in the table and its node is
selected and revealed in the Inspector; the graph is painted by the per-node error
(``views.accuracy_figures.accuracy_overlay``, log scale). A quantized model also gets its quantization
table (``oi.quantization``) and, after a run, the clipping/error table and overlay
(``runtime.quant_error.quantization_error``, ``quant_overlay``).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd

from ..errors import InspectError
from ..model import Model, as_model
from ..runtime.providers import OPTIMIZATION_LEVELS
from ..views.details import fmt_number, html_table
from .tab_job import FactTab, disabled, figure_output, note, show_figure

MODEL, LEVEL, PROVIDERS = "second model", "onnxruntime level", "two providers"
#: Error columns the graph can be painted by.
ERROR_OVERLAYS = ("max_rel_diff", "max_abs_diff", "mean_abs_diff", "mismatch", "cosine")
QUANT_OVERLAYS = ("clipped", "rms_error", "max_abs_error", "sqnr_db")
#: Rows of the comparison / quantization tables shown (the whole tables are ``tab.table`` / ``tab.quant``).
MAX_ROWS = 200
_SHOWN = ("node", "op_type", "max_abs_diff", "max_rel_diff", "cosine", "allclose", "match")


class AccuracyTab(FactTab):
    """Compare the model with a second model (path or notebook variable) or with the graph onnxruntime runs
    at an optimization level; find the first divergence and paint the error per node.

    ``tab.compare(other=..., level=...)`` does it synchronously (the Compare button in the background);
    ``tab.table`` holds the rows compared, ``tab.first`` the first divergent tensor id (or None).
    """

    def __init__(self, model: Model, graph: Any, **hooks: Any) -> None:
        super().__init__(model, graph, **hooks)
        self.table: pd.DataFrame | None = None
        self.first: str | None = None
        self.quant: pd.DataFrame = _quant_table(model)
        self.quant_errors: pd.DataFrame | None = None
        self._optimized: Any = None  # the oi.Optimized compared against, closed when replaced
        self._other: Model | None = None
        self.mode = W.ToggleButtons(
            options=[MODEL, LEVEL, PROVIDERS], value=MODEL, style={"button_width": "130px"}
        )
        self.other = W.Text(placeholder="path to a .onnx file, or a notebook variable holding a model",
                            description="model", layout=W.Layout(width="100%"))  # fmt: skip
        self.level = W.Dropdown(options=list(OPTIMIZATION_LEVELS), value="all", description="level",
                                layout=W.Layout(width="200px", display="none"))  # fmt: skip
        from ..runtime.providers import providers

        names = providers()
        self.providers = W.HBox([
            W.Dropdown(options=names, value=names[0], description="provider", layout=W.Layout(width="300px")),
            W.Dropdown(options=names, value=names[-1], description="against", layout=W.Layout(width="300px")),
        ], layout=W.Layout(display="none", flex_flow="row wrap"))  # fmt: skip
        self.mode.observe(self._on_mode, "value")
        self.rtol = W.FloatText(value=1e-3, description="rtol", layout=W.Layout(width="160px"))
        self.atol = W.FloatText(value=1e-5, description="atol", layout=W.Layout(width="160px"))
        self.first_only = W.Checkbox(value=True, description="stop at the first divergence", indent=False)
        self.compare_button = W.Button(description="Compare", button_style="primary", icon="balance-scale")
        self.compare_button.on_click(lambda _: self.start(self._run_compare, "comparing"))
        self.paint_by = W.Dropdown(options=list(ERROR_OVERLAYS), value="max_rel_diff", description="paint",
                                   layout=W.Layout(width="220px"))  # fmt: skip
        self.paint_by.observe(lambda ch: self.guarded(lambda: self.paint(ch["new"]), "painting"), "value")
        self.result = W.HTML("")
        self.figure = figure_output()
        children: list[W.Widget] = [
            self.mode,
            self.other,
            self.level,
            self.providers,
            W.HBox([self.rtol, self.atol, self.first_only], layout=W.Layout(flex_flow="row wrap")),
            W.HBox(
                [self.compare_button, self.stop_button, self.status], layout=W.Layout(align_items="center")
            ),
            self.paint_by,
            self.result,
            self.figure,
        ]
        if len(self.quant):
            self.quant_button = W.Button(description="Measure clipping", icon="cut")
            self.quant_button.on_click(
                lambda _: self.start(self._measure, "measuring quantization error", stoppable=False)
            )
            self.quant_paint = W.Dropdown(options=list(QUANT_OVERLAYS), value="clipped", description="paint",
                                          layout=W.Layout(width="220px"))  # fmt: skip
            self.quant_paint.observe(
                lambda ch: self.guarded(lambda: self.paint_quant(ch["new"]), "painting"), "value"
            )
            self.quant_result = W.HTML("")
            self.quant_figure = figure_output()
            self.quant_head = head = W.HTML(f"<h5>Quantization: {len(self.quant)} quantized tensor(s)</h5>"
                          + html_table(self.quant.head(MAX_ROWS), index_label="tensor")
                          + _more(len(self.quant), "tab.quant"))  # fmt: skip
            children += [head, W.HBox([self.quant_button, self.quant_paint]), self.quant_result,
                         self.quant_figure]  # fmt: skip
        self.children = children
        self.add_class("oi-accuracy-tab")

    def _on_mode(self, change: Mapping[str, Any]) -> None:
        for mode, box in ((MODEL, self.other), (LEVEL, self.level), (PROVIDERS, self.providers)):
            box.layout.display = "" if change["new"] == mode else "none"

    # -- the second model ------------------------------------------------------------------------------
    def second_model(self, text: str) -> Model:
        """The model named in the text field: a notebook variable holding a model, or a path."""
        text = text.strip()
        if not text:
            raise InspectError(
                "name the second model: a path to a .onnx file, or a notebook variable holding an oi.Model"
            )
        ns = self.user_namespace()
        if text.isidentifier() and text in ns:
            value = ns[text]
            from ..runtime.accuracy import is_model_like

            if not is_model_like(value):
                raise InspectError(
                    f"variable '{text}' is a {type(value).__name__}, not a model; assign it oi.load(path) "
                    "or type a path to a .onnx file"
                )
            return as_model(value)
        path = Path(os.path.expanduser(text))
        if not path.is_file():
            raise InspectError(
                f"second model '{text}': no such file, and no notebook variable of that name; "
                "type a path to a .onnx file or the name of a variable holding a model"
            )
        return as_model(path)

    # -- comparing -------------------------------------------------------------------------------------
    def compare(
        self,
        other: Any = None,
        *,
        level: str | None = None,
        providers: tuple[str, str] | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        first_only: bool | None = None,
    ) -> pd.DataFrame | None:
        """Compare with ``other`` (a model, path or ModelProto; default: the text field), with ``level`` with
        the graph onnxruntime runs at that level, or with ``providers=(a, b)`` the model on two providers; show the table, paint the graph, select the first
        divergence. Returns the rows compared (None when stopped before any)."""
        opts = {"level": level, "providers": providers, "rtol": rtol, "atol": atol, "first_only": first_only}
        return self.guarded(lambda: self._run_compare(other, **opts), "comparing")

    def _run_compare(self, other: Any = None, **opts: Any) -> pd.DataFrame | None:
        from ..runtime.accuracy import iter_compare
        from ..runtime.optimized import optimized

        given = {k: v for k, v in opts.items() if v is not None}
        rtol = float(given.get("rtol", self.rtol.value))
        atol = float(given.get("atol", self.atol.value))
        first_only = bool(given.get("first_only", self.first_only.value))
        level: str | None = given.get("level")
        pair: tuple[str, str] | None = given.get("providers")
        if level is None and pair is None and other is None and self.mode.value == PROVIDERS:
            pair = (self.providers.children[0].value, self.providers.children[1].value)
        if level is None and other is None and self.mode.value == LEVEL:
            level = self.level.value
        with disabled(self.compare_button):
            extra: dict[str, Any] = {}
            if pair is not None:  # one model on two providers: the same chunked path as two models
                from ..runtime.providers import short_provider

                b, label = self.model, f"{short_provider(pair[1])} (running on {short_provider(pair[0])})"
                if pair[0] == pair[1]:
                    label = f"{short_provider(pair[1])} (twice)"
                extra.update(providers=[pair[0]], providers_b=[pair[1]])
            elif level is not None:
                self.progress(f"building the graph onnxruntime runs at level {level!r}…")
                opt = optimized(self.model, level)
                self._close_optimized()
                self._optimized = opt
                b, label = opt.model, f"onnxruntime level {level!r}"
                extra["optimization"] = "disabled"  # the model as written against the optimized graph
            else:
                self.progress("loading the second model…")
                b = as_model(other) if other is not None else self.second_model(self.other.value)
                label = b.path.name if b.path is not None else "the second model"
                self._other = b
            self.progress("matching tensors and starting sessions…")
            rows: dict[str, dict[str, Any]] = {}
            first: str | None = None
            stopped = False
            it = iter_compare(self.model, b, rtol=rtol, atol=atol, **self.run_kwargs(), **extra)
            try:
                for n, row in it:
                    rows[n] = row
                    if first is None and not row["allclose"]:
                        first = n
                        if first_only:
                            break
                    if self.stopped():
                        stopped = True
                        break
                    bad = sum(not r["allclose"] for r in rows.values())
                    self.progress(f"compared {len(rows)} tensor(s), {bad} not allclose…")
            finally:
                getattr(it, "close", lambda: None)()  # a generator: end its sessions now
            self.table = _frame(rows, rtol, atol, label)
            self.first = first
            self._show(label, stopped, first_only)
        return self.table

    def _show(self, label: str, stopped: bool, first_only: bool) -> None:
        table = self.table
        assert table is not None
        first = self.first
        bad = int((~table["allclose"].astype(bool)).sum()) if len(table) else 0
        how = "stopped" if stopped else ("stopped at the first divergence" if first and first_only else "all")
        if first is not None:
            node, op = str(table.at[first, "node"] or ""), str(table.at[first, "op_type"] or "")
            where = f" (output of {node}, {op})" if node else ""
            head = f"First divergence against {label}: tensor {first}{where}"
        else:
            head = f"No divergence against {label} in the {len(table)} tensor(s) compared"
        tol = f"rtol {fmt_number(table.attrs['rtol'])}, atol {fmt_number(table.attrs['atol'])}"
        self.result.value = (
            f"<h5>{html.escape(head)}</h5>"
            + note(f"{len(table)} tensor(s) compared ({how}), {bad} not allclose; {tol}")
            + _rows_html(table, first)
        )
        if len(table):
            from ..views.accuracy_figures import figure_divergence

            show_figure(self.figure, figure_divergence(table))
            self.paint(self.paint_by.value)
        if first is not None and table.at[first, "node"]:
            self._select([str(table.at[first, "node"])])

    def paint(self, column: str = "max_rel_diff") -> None:
        """Paint the Inspector's graph by one error column of the last comparison (the worst output per
        node; for cosine, 1 - cosine), log scale."""
        if self.table is None or not len(self.table):
            return
        from ..views.accuracy_figures import accuracy_overlay

        ids = self.model.nodes.index
        values = {k: v for k, v in accuracy_overlay(self.table, column).items() if k in ids}
        label = "1 - cosine" if column == "cosine" else column
        if any(v > 0 for v in values.values()):  # a log scale: exact matches are left unpainted
            values = {k: v for k, v in values.items() if v > 0}
            label += " (exact matches unpainted)"
        self.graph.set_overlay(values, label, kind="numeric", scale="log", aggregate="max")

    def report_kwargs(self) -> dict[str, Any]:
        """What this tab holds, as ``oi.report`` keywords: the last comparison and the quantization facts."""
        out: dict[str, Any] = {}
        if self.table is not None and len(self.table):
            out["compare"] = self.table
        if self.quant_errors is not None:
            out["quantization"] = self.quant_errors
        elif len(self.quant):
            out["quantization"] = True
        return out

    # -- quantization ----------------------------------------------------------------------------------
    def measure_quantization(self) -> pd.DataFrame | None:
        """Run the quantized model and measure clipping and error per quantized activation (against the
        float values inside it, or the second model when one was compared); show and paint them."""
        return self.guarded(self._measure, "measuring quantization error")

    def _measure(self) -> pd.DataFrame:
        from ..runtime.quant_error import quantization_error
        from ..views.accuracy_figures import figure_quant_error

        if not len(self.quant):
            raise InspectError("this model has no quantized tensors (oi.quantization(m) is empty)")
        self.progress("running the quantized model…")
        errors = quantization_error(self.model, float_model=self._other, **self.run_kwargs())
        self.quant_errors = errors
        self.quant_result.value = (
            f"<h5>Clipping and error of {len(errors)} quantized activation(s)</h5>"
            + html_table(errors.head(MAX_ROWS), index_label="tensor")
            + _more(len(errors), "tab.quant_errors")
        )
        if len(errors):
            show_figure(self.quant_figure, figure_quant_error(errors))
            self.paint_quant(self.quant_paint.value)
        return errors

    def paint_quant(self, column: str = "clipped") -> None:
        """Paint the graph by one column of the last quantization-error table (worst per node)."""
        if self.quant_errors is None or not len(self.quant_errors):
            return
        from ..views.accuracy_figures import quant_overlay

        values = {
            k: v for k, v in quant_overlay(self.quant_errors, column).items() if k in self.model.nodes.index
        }
        scale = "linear" if column in ("clipped", "sqnr_db") else "log"
        self.graph.set_overlay(values, column, kind="numeric", scale=scale, aggregate="max",
                               unit="dB" if column == "sqnr_db" else "")  # fmt: skip

    def _close_optimized(self) -> None:
        if self._optimized is not None:
            self._optimized.close()
            self._optimized = None

    def close(self) -> None:
        """Stop the job, remove the optimized graph's temporary files, close the widgets."""
        super().close()
        self._close_optimized()


def _quant_table(model: Model) -> pd.DataFrame:
    from ..model.quant import quantization

    return quantization(model)


def _frame(rows: Mapping[str, Mapping[str, Any]], rtol: float, atol: float, label: str) -> pd.DataFrame:
    """The rows iter_compare yielded as the table ``oi.compare(a, b)`` returns (same columns)."""
    from ..runtime.accuracy import ACCURACY_COLUMNS

    cols = list(dict.fromkeys([*ACCURACY_COLUMNS, *(c for r in rows.values() for c in r)]))
    df = pd.DataFrame([[r.get(c) for c in cols] for r in rows.values()], columns=cols,
                      index=pd.Index(list(rows), name="tensor", dtype=object), dtype=object)  # fmt: skip
    for c in ("max_abs_diff", "max_rel_diff", "mean_abs_diff", "mismatch", "cosine"):
        df[c] = df[c].astype(float)
    df["allclose"] = df["allclose"].astype(bool)
    df.attrs.update(labels=("model", label), rtol=rtol, atol=atol)
    return df


def _cell(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return fmt_number(v) if isinstance(v, (int, float, np.number)) else str(v)


def _rows_html(table: pd.DataFrame, first: str | None) -> str:
    """The comparison table (first MAX_ROWS rows and the first divergence), that row highlighted."""
    shown = list(table.index[:MAX_ROWS])
    if first is not None and first not in shown:
        shown.append(first)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("tensor", *_SHOWN))
    body = []
    for tid in shown:
        cls = (
            " class='oi-first-divergence' style='background: rgba(229, 87, 86, 0.18)'" if tid == first else ""
        )
        cells = "".join(f"<td>{html.escape(_cell(table.at[tid, c]))}</td>" for c in _SHOWN)
        body.append(f"<tr{cls}><td>{html.escape(str(tid))}</td>{cells}</tr>")
    return (
        "<div class='oi-scroll'><table class='oi-table oi-accuracy-table'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        + _more(len(table), "tab.table")
    )


def _more(n: int, where: str) -> str:
    return note(f"{n - MAX_ROWS} more rows: see {where}") if n > MAX_ROWS else ""
