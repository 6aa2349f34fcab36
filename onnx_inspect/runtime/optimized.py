"""The graph onnxruntime really executes at an optimization level, linked to the model's own nodes.

``oi.optimized(m, level)`` builds a session with ``optimized_model_filepath`` set (nothing runs), loads
the graph onnxruntime saved through the normal loader (so every view works on it) and maps each of its
nodes back to the model nodes it came from with the profile join (``profile_join.OptimizedJoins``):
kept, fused (several model nodes in one kernel), rewritten (another op or layout), inserted (re-layouts,
device copies, precision casts). Model nodes without an optimized counterpart are listed as folded
(computed from weights when the session was created) or removed (Identity/Dropout elimination, ...).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import onnx
import pandas as pd

from ..errors import InspectError, ProviderError
from ..model import Model, as_model, load
from ..model.index import subgraph_attrs
from . import profile_join as pj
from .providers import OPTIMIZATION, resolve_providers
from .session import create_session, external_folder, named_copy, session_options

#: kinds of optimized nodes (``Optimized.table["kind"]``) and of model nodes left out (``Optimized.removed``).
KEPT, FUSED, REWRITTEN, INSERTED = "kept", "fused", "rewritten", "inserted"
FOLDED, REMOVED = "folded", "removed"
_KIND = {pj.NAME: KEPT, pj.FUSED: FUSED, pj.REWRITTEN: REWRITTEN, pj.ENGINE: FUSED}
#: order of precedence when a model node became several optimized nodes of different kinds.
_RANK = {FUSED: 0, REWRITTEN: 1, KEPT: 2}
#: at most this many "folded into" targets are listed per removed node.
MAX_INTO = 8

Section = dict[str, Any]
FactSource = Callable[[Any, Sequence[str]], dict[str, list[Section]]]


class Optimized:
    """The optimized graph of one model at one level, and how its nodes relate to the model's.

    - ``model``: an ``oi.Model`` of the graph onnxruntime executes (its saved ``optimized_model_filepath``);
    - ``source``: the model it was made from;
    - ``origins``: optimized node id -> model node ids it computes (empty for inserted nodes);
    - ``derived``: model node id -> optimized node ids made from it (only nodes that have some);
    - ``table``: one row per optimized node: ``op_type``, ``domain``, ``graph``, ``kind`` (kept / fused /
      rewritten / inserted), ``origins`` (tuple), ``n_origins``, ``serves`` (the model node an inserted
      re-layout or copy serves, else None);
    - ``removed``: one row per model node with no optimized counterpart: ``op_type``, ``graph``, ``kind``
      (folded / removed) and ``into`` (the optimized nodes that now read what it computed).

    Its weights live in a temporary folder kept while the object lives; ``close()`` (or ``with``) removes it.
    """

    def __init__(
        self,
        model: Model,
        source: Model,
        level: str,
        providers: tuple[str, ...],
        table: pd.DataFrame,
        removed: pd.DataFrame,
        folder: str | None,
    ) -> None:
        self.model = model
        self.source = source
        self.level = level
        self.providers = providers
        self.table = table
        self.removed = removed
        self.origins: dict[str, list[str]] = {
            k: list(v) for k, v in zip(table.index, table["origins"], strict=True)
        }
        derived: dict[str, list[str]] = {}
        for oid, orig in self.origins.items():
            for nid in orig:
                derived.setdefault(nid, []).append(oid)
        self.derived = derived
        self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True) if folder else None

    def close(self) -> None:
        """Remove the temporary folder holding the optimized model's weights (weights cannot be read after)."""
        if self._cleanup is not None:
            self._cleanup()

    def __enter__(self) -> Optimized:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = self.table["kind"].value_counts().to_dict()
        gone = self.removed["kind"].value_counts().to_dict()
        parts = ", ".join(f"{v} {k}" for k, v in {**counts, **gone}.items())
        return (
            f"<oi.Optimized level={self.level!r} providers={list(self.providers)}: "
            f"{len(self.source.nodes)} model nodes -> {len(self.table)} nodes ({parts})>"
        )

    def summary(self) -> pd.DataFrame:
        """Counts per kind: optimized nodes (kept/fused/rewritten/inserted) and model nodes left out."""
        rows = [("optimized node", k, int(v)) for k, v in self.table["kind"].value_counts().items()]
        rows += [("model node", k, int(v)) for k, v in self.removed["kind"].value_counts().items()]
        return pd.DataFrame(rows, columns=["side", "kind", "count"])

    def model_kinds(self) -> pd.Series:
        """What onnxruntime did to each model node (fused / rewritten / kept / folded / removed), indexed by
        model node id; a node that became several kernels takes the strongest kind (fused first)."""
        kind_of = column(self.table, "kind")
        kinds: dict[str, str] = {}
        for nid, oids in self.derived.items():
            found = [kind_of[o] for o in oids if kind_of[o] != INSERTED]
            if found:
                kinds[nid] = min(found, key=lambda k: _RANK.get(k, 9))
        for nid, kind in zip(self.removed.index, self.removed["kind"], strict=True):
            kinds.setdefault(nid, kind)
        return pd.Series(kinds, dtype=object, name="optimized")

    def linked(self, ids: Iterable[str], side: str) -> list[str]:
        """The nodes on the other side that ``ids`` correspond to: ``side="model"`` maps model node ids to
        optimized ones (a folded node to the nodes that read its value), ``"optimized"`` the other way."""
        out: dict[str, None] = {}
        if side == "model":
            into = self.removed["into"].to_dict() if len(self.removed) else {}
            for nid in ids:
                for o in self.derived.get(nid, ()) or into.get(nid, ()):
                    out[o] = None
        elif side == "optimized":
            serves = self.table["serves"].to_dict()
            for oid in ids:
                targets = self.origins.get(oid) or ([serves[oid]] if serves.get(oid) else [])
                for nid in targets:
                    out[nid] = None
        else:
            raise InspectError(f"side={side!r} is not 'model' or 'optimized'")
        return list(out)

    def facts(self) -> FactSource:
        """A FactSource for the model's node records: section "optimized", what each node became."""
        removed, level = self.removed, self.level
        op_of = column(self.table, "op_type")
        kind_of = column(self.table, "kind")
        gone = removed.to_dict("index") if len(removed) else {}

        def source(_m: Any, node_ids: Sequence[str]) -> dict[str, list[Section]]:
            out: dict[str, list[Section]] = {}
            for nid in node_ids:
                if nid in self.derived:
                    rows = [
                        [
                            oid,
                            op_of[oid],
                            kind_of[oid],
                            len(self.origins[oid]),
                        ]
                        for oid in self.derived[nid]
                    ]
                    note = None
                elif nid in gone:
                    r = gone[nid]
                    rows = [[", ".join(r["into"]) or None, None, r["kind"], None]]
                    note = _REMOVED_NOTE[r["kind"]]
                else:
                    continue
                sec: Section = {
                    "id": "optimized",
                    "title": f"onnxruntime ({level})",
                    "columns": ["optimized node", "op", "kind", "model nodes"],
                    "rows": rows,
                }
                if note:
                    sec["note"] = note
                out[nid] = [sec]
            return out

        return source

    def origin_facts(self) -> FactSource:
        """A FactSource for the optimized model's node records: section "origins", the model nodes it came from."""
        ops = column(self.source.nodes, "op_type")
        kind_of = column(self.table, "kind")
        serves_of = column(self.table, "serves")

        def source(_m: Any, node_ids: Sequence[str]) -> dict[str, list[Section]]:
            out: dict[str, list[Section]] = {}
            for oid in node_ids:
                if oid not in kind_of:
                    continue
                kind, serves = kind_of[oid], serves_of[oid]
                orig = self.origins[oid]
                sec: Section = {
                    "id": "origins",
                    "title": f"from the model ({kind})",
                    "columns": ["model node", "op"],
                    "rows": [[nid, ops.get(nid)] for nid in orig],
                }
                if kind == INSERTED:
                    sec["note"] = "inserted by onnxruntime" + (f"; serves {serves}" if serves else "")
                out[oid] = [sec]
            return out

        return source


_REMOVED_NOTE = {
    FOLDED: "folded: computed from weights and constants when the session was created",
    REMOVED: "removed by onnxruntime's graph optimizations (e.g. Identity or Dropout elimination)",
}


def column(frame: pd.DataFrame, name: str) -> dict[str, Any]:
    """One column of a table indexed by node id, as a plain dict (fast lookups, no pandas scalars)."""
    return dict(zip(frame.index, frame[name], strict=True))


def optimized(
    m: Model | str | os.PathLike[str] | bytes | onnx.ModelProto,
    level: str = "all",
    providers: Any = None,
    *,
    provider_options: Any = None,
) -> Optimized:
    """The graph onnxruntime executes for ``m`` at optimization ``level`` on ``providers``, linked to m's nodes.

    ``level`` is "basic", "extended", "all" (or "disabled": only function inlining). ``providers`` as in
    ``oi.run`` (default: every available one, best first); providers that compile subgraphs into engines
    (TensorRT, OpenVINO, ...) cannot save the graph they run and are refused.
    """
    model = as_model(m)
    if not isinstance(level, str) or level not in OPTIMIZATION:
        raise InspectError(f"level={level!r} is not one of {list(OPTIMIZATION)}; pass e.g. level='all'")
    names, opts = resolve_providers(providers, provider_options)
    compiling = [p for p in names if p in pj.COMPILING_PROVIDERS]
    if compiling:
        raise ProviderError(
            f"{', '.join(compiling)} compiles subgraphs into engines and cannot save the graph it runs; "
            "ask for the graph on providers such as CPUExecutionProvider or CUDAExecutionProvider"
        )
    label = f"model '{model.path.name}'" if model.path is not None else "the in-memory model"
    folder = tempfile.mkdtemp(prefix="oi-optimized-")
    try:
        out = Path(folder) / "optimized.onnx"
        so = session_options(
            level,
            {
                "session.optimized_model_external_initializers_file_name": "optimized.onnx.data",
                "session.optimized_model_external_initializers_min_size_in_bytes": "1024",
            },
        )
        so.optimized_model_filepath = str(out)
        sess = create_session(_locally_named(model), label=label, providers=names, provider_options=opts,
                              so=so, ext_dir=external_folder(model), model=model.proto)  # fmt: skip
        del sess
        if not out.is_file():
            raise InspectError(f"{label}: onnxruntime wrote no optimized graph for level {level!r}")
        opt = load(out)
        table, removed = _link(model, opt)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Optimized(opt, model, level, names, table, removed, folder)


def _locally_named(model: Model) -> onnx.ModelProto:
    """The model with every node named by its id without the body's path prefix, so the optimized model's
    ids equal the model's ids for every node onnxruntime keeps (bodies too)."""
    proto = named_copy(model)

    def visit(g: onnx.GraphProto, path: str) -> None:
        prefix = path + pj.SEP if path else ""
        for n in g.node:
            full = n.name
            if prefix and full.startswith(prefix):
                n.name = full[len(prefix) :]
            for label, body in subgraph_attrs(n):
                visit(body, f"{full}{pj.SEP}{label}")

    visit(proto.graph, "")
    return proto


def _link(model: Model, opt: Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table of optimized nodes with their origins, and the table of model nodes left out."""
    graphs = pj.build_graphs(model.nodes, model.tensors)
    joins = pj.OptimizedJoins(graphs, opt.proto.graph, model)
    on = opt.nodes
    opt_id = dict(zip(zip(on["graph"], on["index"], strict=True), on.index, strict=True))
    opt_path: dict[str, str | None] = {"": ""}

    def path_of(p: str) -> str | None:
        if p not in opt_path:
            slot = joins.owner_slot.get(p)
            up = path_of(slot[0]) if slot is not None else None
            owner = opt_id.get((up, slot[1])) if slot is not None and up is not None else None
            opt_path[p] = f"{owner}{pj.SEP}{slot[2]}" if owner is not None and slot is not None else None
        return opt_path[p]

    match_of: dict[str, pj.Match] = {}
    for p in model.graphs.index:
        if model.graphs.at[p, "kind"] == "function":
            continue
        join = joins.get(p)
        op = path_of(p) if join is not None else None
        if join is None or op is None:
            continue
        for i, found in enumerate(join.matches):
            oid = opt_id.get((op, i))
            if oid is not None and found is not None:
                match_of[oid] = found
    rows: list[tuple[str, str, str, str, str, tuple[str, ...], int, str | None]] = []
    for oid, op_type, domain, g in zip(on.index, on["op_type"], on["domain"], on["graph"], strict=True):
        mt = match_of.get(oid)
        if mt is None or mt.kind in (pj.INSERTED, pj.UNMATCHED, pj.CHARGED):
            serves = mt.node_id if mt is not None and mt.kind == pj.CHARGED else None
            rows.append((oid, op_type, domain, g, INSERTED, (), 0, serves))
            continue
        kind = FUSED if len(mt.model_nodes) > 1 else _KIND.get(mt.kind, REWRITTEN)
        if kind == KEPT and model.nodes.at[mt.model_nodes[0], "op_type"] != op_type:
            kind = REWRITTEN
        rows.append((oid, op_type, domain, g, kind, mt.model_nodes, len(mt.model_nodes), None))
    table = pd.DataFrame(
        rows, columns=["node", "op_type", "domain", "graph", "kind", "origins", "n_origins", "serves"]
    ).set_index("node")
    table["serves"] = table["serves"].astype(object).where(table["serves"].notna(), None)
    return table, _removed(model, graphs, table)


def _removed(model: Model, graphs: Mapping[str, pj.GraphInfo], table: pd.DataFrame) -> pd.DataFrame:
    """Model nodes (outside function bodies) that no optimized node came from, with what reads their values."""
    derived: dict[str, list[str]] = {}
    for oid, orig in zip(table.index, table["origins"], strict=True):
        for nid in orig:
            derived.setdefault(nid, []).append(oid)
    kinds = model.graphs["kind"].to_dict()
    rows = []
    for path, g in graphs.items():
        if kinds.get(path) == "function":
            continue
        users: dict[str, list[int]] = {}
        for i, ins in enumerate(g.inputs):
            for x in ins:
                if x:
                    users.setdefault(x, []).append(i)
        into: dict[int, dict[str, None]] = {}
        for i in reversed(range(len(g.ids))):
            if g.ids[i] in derived:
                continue
            found: dict[str, None] = {}
            for o in g.outputs[i]:
                for u in users.get(o, ()):
                    targets = derived.get(g.ids[u]) or into.get(u, {})
                    for t in targets:
                        if len(found) < MAX_INTO:
                            found[t] = None
            into[i] = found
        for i in sorted(into):
            nid = g.ids[i]
            rows.append((nid, g.ops[i], path, FOLDED if g.constant[i] else REMOVED, tuple(into[i])))
    return pd.DataFrame(rows, columns=["node", "op_type", "graph", "kind", "into"]).set_index("node")
