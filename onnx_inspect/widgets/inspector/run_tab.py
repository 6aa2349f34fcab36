"""The Run tab: run the model up to the selection on a provider, compare providers."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np

from ...errors import InspectError
from ...runtime.providers import short_provider
from ...views import details as D
from ...views.summary import shapes_text
from ._common import (
    _LABEL,
    _TOGGLE,
    MAX_CARDS,
    RUN,
    TabHost,
    TensorCard,
    _close_tree,
    _html,
    _pct,
    _Ticker,
    show_figure,
)


class RunTab(TabHost):
    """The Run tab: run the model up to the selection on a provider, compare providers. (a part of ``Inspector``: methods only, state lives on the Inspector)."""

    def _build_run_tab(self) -> None:
        from ...runtime.feeds import model_inputs
        from ...runtime.providers import providers

        provs = providers()
        self._provider = W.Dropdown(options=provs, value=provs[0], description="provider", style=_LABEL)
        self._source = W.ToggleButtons(
            options=[("generated", "generated"), (".npz file", "file"), ("variable", "variable")],
            value="generated",
            description="inputs",
            style=_TOGGLE,
        )
        self._seed = W.IntText(value=0, description="seed", layout=W.Layout(width="180px"), style=_LABEL)
        specs = list(model_inputs(self.model).values())
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
        from ...runtime.run import input_dims

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
        row = self.model.nodes.loc[nid]
        outs = [o for o in row["outputs"] if o]
        return (
            f"<div class='oi-note'>selection: <b class='oi-op'>{D.esc(nid)}</b> "
            f"({D.esc(row['op_type'])}) → {D.esc(', '.join(outs) or 'no outputs')}</div>"
        )

    def _feeds(self) -> dict[str, Any]:
        """Keyword arguments for oi.run/compare from the input-source controls (feeds, dims, seed)."""
        self._ensure_tab(RUN)
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
            from ...runtime.feeds import read_feeds

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
        from ...runtime.run import run

        self._ensure_tab(RUN)
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
                with _Ticker(self._run_status, f"running to {nid} on {short_provider(prov)}…") as tick:
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
        from ...runtime.run import input_shapes

        feeds = kw.get("feeds")
        if isinstance(feeds, Mapping):
            return {k: tuple(np.shape(v)) for k, v in feeds.items()}
        try:
            return input_shapes(self.model, kw.get("dims"))
        except InspectError:
            return {}

    def _show_run(self, values: Mapping[str, np.ndarray], nid: str, prov: str, took: float) -> None:
        from ...views.tensors import summary_table

        for w in self._run_result.children:
            _close_tree(w)
        table = summary_table(values)
        table["zero_fraction"] = table["zero_fraction"].map(_pct)
        # one column per tensor reads better in a narrow panel than ten columns per row
        shown = table.rename(columns={"zero_fraction": "zeros"}).T if len(table) <= 4 else table
        head = _html(
            f"<h5>Outputs of {D.esc(nid)} on {D.esc(short_provider(prov))}</h5>"
            + D.html_table(shown, index_label="" if len(table) <= 4 else "tensor"),
            "oi-run-summary",
        )
        cards: list[W.Widget] = [TensorCard(v, k) for k, v in list(values.items())[:MAX_CARDS]]
        if len(values) > MAX_CARDS:
            cards.append(_html(D.note_html(f"{len(values) - MAX_CARDS} more outputs: see insp.last_run")))
        used = self.last_run_inputs
        inputs = _html(D.note_html("inputs used: " + shapes_text(used)), "oi-run-inputs") if used else None
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
        from ...runtime.run import compare
        from ...views.tensors import diff_figure

        self._ensure_tab(RUN)
        with self._reporting(self._run_status, "compare providers"):
            a = provider or self._provider.value
            b = against or self._against.value
            every = self._every.value if every_tensor is None else every_tensor
            nid = self.node_id
            outputs: Any = "all" if every else (self._node_outputs(nid) if nid is not None else None)
            kw = {"feeds": feeds} if feeds is not None else self._feeds()
            self._run_btn.disabled = self._cmp_btn.disabled = True
            try:
                with _Ticker(
                    self._run_status, f"comparing {short_provider(a)} with {short_provider(b)}…"
                ) as tick:
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
