"""``oi.Model``: one loaded ONNX model as pandas tables, with weights read only when asked for."""

from __future__ import annotations

import copy
import difflib
import functools
import gc
import html
import itertools
import math
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import onnx
import pandas as pd
from onnx import numpy_helper

from ..errors import InspectError, ModelLoadError, UnknownNameError, printable
from .dtypes import dtype_name, np_dtype
from .external import MAX_COPY_BYTES, read_external, uses_external
from .index import NODE_COLUMNS, SEP, Index, StructureChanged, build_index, function_path
from .infer import InferJob, scan
from .read import read_model
from .scopes import graph_scopes

ShapeMode = Literal["onnx", "none"]


class Model:
    """A loaded ONNX model: ``nodes``, ``tensors`` and ``graphs`` tables, lazy ``weight()``, ``summary()``."""

    def __init__(
        self,
        proto: onnx.ModelProto,
        path: Path | None = None,
        base_dir: Path | None = None,
        shapes: ShapeMode = "onnx",
        raw: bytes | None = None,
    ) -> None:
        self.path = path
        self.base_dir = base_dir
        self.warnings: list[str] = []
        self.inferred_in = "none"  # where onnx shape inference ran: 'process', 'child' or 'none'
        self.shapes_version = 0  # bumped when fill_shapes changes ``tensors`` (caches of shapes compare it)
        declared = None
        job: InferJob | None = None
        if shapes == "onnx":
            declared, risk = scan(proto, raw)
            job = InferJob(proto, raw, risk)  # in a thread: the C++ inference runs beside the index
        elif shapes != "none":
            raise InspectError(f"shapes={shapes!r} is not one of 'onnx', 'none'")
        # Per-node metadata is only read when the file mentions it (the dynamo exporter's scope names).
        scan_metadata = raw is None or b"namespace" in raw or b"pkg.torch.onnx" in raw
        self.scope_methods: dict[str, str] = {}
        try:  # everything that does not need the inferred types, while inference runs
            self._index: Index = build_index(proto, declared, scan_metadata, typed=False)
            self._scopes = self._assign_scopes()
            self.nodes = self._node_frame()
        finally:  # (no thread outlives the constructor; inference's own errors come first, as before)
            final = self._infer(job) if job is not None else proto
        self.proto = final
        try:
            self._index.type_values(final)
        except StructureChanged:  # inference changed a graph (never seen): index the inferred model anew
            self._index = build_index(final, declared, scan_metadata)
            self.scope_methods = {}
            self._scopes = self._assign_scopes()
            self.nodes = self._node_frame()
        self.tensors = self._tensor_frame()
        self.graphs = self._graph_frame()
        self._check_text()

    def _check_text(self) -> None:
        """Names must be text: protobuf hands back bytes for strings that are not valid UTF-8."""
        for frame, what in ((self.nodes, "node"), (self.tensors, "tensor")):
            for col in ("name", "op_type", "domain") if what == "node" else ("name",):
                values = frame[col]
                if values.dtype == object:
                    bad = next((v for v in values if not isinstance(v, str)), None)
                    if bad is not None:
                        raise ModelLoadError(
                            f"a {what} {col} is not valid UTF-8 ({bad[:40]!r}); the file is corrupted or not ONNX"
                        )

    # -- construction ----------------------------------------------------------------------------------
    def _infer(self, job: InferJob) -> onnx.ModelProto:
        """The result of onnx shape inference with data propagation, guarded (see infer.py); on failure
        the declared model, and a warning saying why."""
        got = job.result()
        self.inferred_in = got.where
        self.warnings.extend(got.warnings)
        return got.proto

    def _assign_scopes(self) -> dict[str, str]:
        scopes: dict[str, str] = {}
        for path, e in self._index.graphs.items():
            g = e.proto
            outputs = {vi.name for vi in g.output} if isinstance(g, onnx.GraphProto) else set(g.output)
            labels, method = graph_scopes(e.names, e.ins, e.outs, e.meta, e.constants, outputs, e.edges)
            self.scope_methods[path] = method
            scopes.update(zip(e.node_ids, labels, strict=True))
        return scopes

    def _node_frame(self) -> pd.DataFrame:
        cols = dict(self._index.nodes)
        ids = cols.pop("id")
        cols["scope"] = list(map(self._scopes.get, ids, itertools.repeat("")))
        # the index's columns, with the scope placed after the graph it belongs to
        order = [c for c in NODE_COLUMNS if c != "id"]
        order.insert(order.index("graph") + 1, "scope")
        df = _frame({k: cols[k] for k in order}, ids)
        df["index"] = df["index"].astype("int64")
        return df

    def _tensor_frame(self) -> pd.DataFrame:
        cols = dict(self._index.tensors)
        ids = cols.pop("id")
        df = _frame(cols, ids)
        df["nbytes"] = df["nbytes"].astype("Int64")
        return df

    def _graph_frame(self) -> pd.DataFrame:
        rows = []
        for path, e in self._index.graphs.items():
            g = e.proto
            if isinstance(g, onnx.GraphProto):
                kind = "body" if path else "main"
                inputs, outputs = tuple(vi.name for vi in g.input), tuple(vi.name for vi in g.output)
            else:  # a model-local function: inputs/outputs are plain names
                kind = "function"
                inputs, outputs = tuple(g.input), tuple(g.output)
            rows.append(
                {
                    "path": path,
                    "kind": kind,
                    "owner": e.owner,
                    "attribute": e.attribute,
                    "parent": e.parent,
                    "inputs": inputs,
                    "outputs": outputs,
                    "n_nodes": len(g.node),
                    "scopes": self.scope_methods.get(path, "none"),
                }
            )
        return pd.DataFrame(rows, dtype=object).set_index("path")

    # -- lookups ---------------------------------------------------------------------------------------
    def node(self, node_id: str) -> onnx.NodeProto:
        """The NodeProto behind a node id."""
        try:
            return self._index.node_protos[node_id]
        except KeyError:
            raise UnknownNameError(self._unknown("node", node_id, self._index.node_protos.keys())) from None

    def graph_proto(self, path: str = "") -> onnx.GraphProto | onnx.FunctionProto:
        """The GraphProto (or FunctionProto) of a graph path; '' is the main graph."""
        try:
            return self._index.graphs[path].proto
        except KeyError:
            raise UnknownNameError(self._unknown("graph", path, self._index.graphs.keys())) from None

    def tensor_id(self, name: str, graph: str = "") -> str:
        """Row id in ``tensors`` of value ``name`` in ``graph`` (also accepts an id)."""
        tid = self._index.by_name.get((graph, name))
        if tid is not None:
            return tid
        if name in self.tensors.index:
            return name
        where = "the main graph" if not graph else f"graph '{graph}'"
        raise UnknownNameError(self._unknown(f"tensor in {where}", name, self.tensors["name"].tolist()))

    def main_inputs(self) -> list[str]:
        """Names of the main graph's real inputs (graph inputs that are not initializers), in declaration
        order; an input that is also a graph output is still an input (its tensor's kind says 'output')."""
        names = [vi.name for vi in self.proto.graph.input]  # main-graph tensor ids are the names
        kind = self.tensor_column("kind")
        rows = self.tensor_rows(names).tolist()
        return [n for n, r in zip(names, rows, strict=True) if r < 0 or kind[r] != "initializer"]

    def main_outputs(self) -> list[str]:
        """Names of the main graph's outputs, in declaration order."""
        return [vi.name for vi in self.proto.graph.output]

    def resolve_outer(self, tensor_id: str) -> str:
        """The id of the value a body's reference to an enclosing graph stands for (itself if not 'outer').

        Follows chains through nested bodies; stops at an unknown or cyclic reference (damaged files).
        """
        return self._outer_sources.get(tensor_id, tensor_id)

    @functools.cached_property
    def _outer_sources(self) -> dict[str, str]:
        """Outer row id -> id of the value it finally refers to (outer rows are few; computed once)."""
        t = self.tensors
        refs = {tid: ref for tid, ref in zip(t.index, t["outer_ref"], strict=True) if ref is not None}
        known = t.index
        out: dict[str, str] = {}
        for tid in refs:
            seen = {tid}
            cur = tid
            while cur in refs:
                ref = refs[cur]
                if ref in seen or ref not in known:
                    break
                seen.add(ref)
                cur = ref
            out[tid] = cur
        return out

    def function_path(self, op_type: str, domain: str, overload: str = "") -> str | None:
        """Graph path of the model-local function a node of this op calls ('@domain:op[overload]'), or None."""
        path = function_path(domain, op_type, overload)
        return path if path in self._index.graphs else None

    @property
    def producer_text(self) -> str:
        """'pytorch 2.3.1': producer name and version, the version only when the name does not end with it."""
        name = text(self.proto.producer_name).strip()
        version = text(self.proto.producer_version).strip()
        if version and not name.endswith(version):
            return f"{name} {version}".strip()
        return name

    @staticmethod
    def _unknown(what: str, name: str, candidates: Any) -> str:
        close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"the model has no {what} named '{name}'{hint}"

    # -- weights ---------------------------------------------------------------------------------------
    def weight(self, name: str, graph: str = "") -> np.ndarray:
        """Value of an initializer or Constant-node output; external data is read (memory-mapped) now."""
        tid = self.tensor_id(name, graph)
        src_id = self.resolve_outer(tid)
        if src_id != tid:  # a body's reference to an enclosing graph's value: that value
            t = self.tensors
            return self.weight(cast("str", t.at[src_id, "name"]), cast("str", t.at[src_id, "graph"]))
        src = self._index.weights.get(tid)
        if src is None:  # the row is looked up only here: a by-id .loc per weight costs ~0.25 ms
            k = self.tensor_positions()[tid]
            producer, kind = self.tensor_column("producer")[k], self.tensor_column("kind")[k]
            prod = f" (produced by node '{producer}')" if producer else ""
            raise InspectError(
                f"'{name}' is a {kind} value{prod}, not a weight: its value exists only when the model "
                f"runs; use oi.run(m, outputs=['{name}'])"
            )
        try:
            if isinstance(src, onnx.TensorProto):
                return self._tensor_value(src)
            if isinstance(src, onnx.SparseTensorProto):
                return self._sparse_value(src, f"sparse initializer '{printable(name)}'")
            return self._node_value(src, graph)
        except InspectError:
            raise
        except Exception as exc:  # a damaged tensor (wrong size, unknown dtype) must not surface raw
            raise InspectError(
                f"weight '{name}' cannot be decoded ({type(exc).__name__}: {exc}); the tensor in the file is damaged"
            ) from exc

    def sparse_weight(self, name: str, graph: str = "") -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """(indices, values, dense shape) of a sparse initializer or sparse Constant, without densifying.

        External values and indices are memory-mapped, so this works for tensors too large for ``weight()``.
        """
        tid = self.tensor_id(name, graph)
        src = self._index.weights.get(tid)
        if isinstance(src, onnx.NodeProto):
            src = next((a.sparse_tensor for a in src.attribute if a.name == "sparse_value"), None)
        if not isinstance(src, onnx.SparseTensorProto):
            raise InspectError(
                f"'{printable(name)}' is not a sparse tensor; use m.weight('{printable(name)}')"
            )
        label = f"sparse tensor '{printable(name)}'"
        idx, vals = self._sparse_parts(src, label)
        return idx, vals, tuple(int(d) for d in src.dims)

    def is_external(self, tensor_id: str) -> bool:
        """Whether a weight's bytes live in an external-data file (read only when asked for)."""
        src = self._index.weights.get(tensor_id)
        if isinstance(src, onnx.SparseTensorProto):
            return uses_external(src.values) or uses_external(src.indices)
        return isinstance(src, onnx.TensorProto) and uses_external(src)

    def _tensor_value(self, t: onnx.TensorProto, label: str | None = None) -> np.ndarray:
        if uses_external(t):
            return read_external(t, self.base_dir, label)
        return numpy_helper.to_array(t)

    def _sparse_parts(self, sp: onnx.SparseTensorProto, label: str) -> tuple[np.ndarray, np.ndarray]:
        """Indices and values of a sparse tensor, checked against its dense shape (external: memory-mapped)."""
        dims = tuple(int(d) for d in sp.dims)
        vals = np.asanyarray(self._tensor_value(sp.values, f"{label} (values)"))
        idx = np.asanyarray(self._tensor_value(sp.indices, f"{label} (indices)"))
        nnz = vals.shape[0] if vals.ndim == 1 else -1
        ok = (
            nnz >= 0
            and all(d >= 0 for d in dims)
            and idx.dtype.kind in "iu"
            and ((idx.ndim == 1 and idx.shape[0] == nnz) or (idx.ndim == 2 and idx.shape == (nnz, len(dims))))
        )
        if not ok:
            raise InspectError(
                f"{label}: {idx.shape} indices do not match {vals.shape} values for dense shape {list(dims)}; "
                "the sparse tensor is malformed"
            )
        return idx, vals

    def _sparse_value(self, sp: onnx.SparseTensorProto, label: str) -> np.ndarray:
        """The dense tensor a sparse one stands for; refused above MAX_COPY_BYTES (never GBs in memory)."""
        dims = tuple(int(d) for d in sp.dims)
        dtype = np_dtype(sp.values.data_type)
        dense_bytes = math.prod(dims) * (dtype.itemsize if dtype is not None else 8)
        if dense_bytes > MAX_COPY_BYTES:
            raise InspectError(
                f"{label} is {dense_bytes / 2**20:,.0f} MiB dense ({list(dims)}); onnx-inspect densifies up to "
                f"{MAX_COPY_BYTES // 2**20} MiB: read its indices and values with m.sparse_weight()"
            )
        idx, vals = self._sparse_parts(sp, label)
        dense = np.zeros(dims, dtype=vals.dtype)
        flat = dense.reshape(-1)
        if idx.ndim == 1:
            if idx.size and (idx.min() < 0 or idx.max() >= flat.size):
                raise InspectError(f"{label}: an index is outside the dense shape {list(dims)}; malformed")
            flat[idx] = vals
        elif idx.size:
            if (idx < 0).any() or (idx >= np.asarray(dims)).any():
                raise InspectError(f"{label}: an index is outside the dense shape {list(dims)}; malformed")
            dense[tuple(idx.T)] = vals
        return dense

    def _node_value(self, n: onnx.NodeProto, graph: str) -> np.ndarray:
        if n.op_type == "ConstantOfShape":
            shape = np.asarray(self.weight(n.input[0], graph)).astype(np.int64).ravel()
            fill = np.zeros(1, np.float32)
            for a in n.attribute:
                if a.name == "value":
                    fill = self._tensor_value(a.t).ravel()
            value = np.array(fill[0] if fill.size else 0, dtype=fill.dtype)
            dims = tuple(int(s) for s in shape)
            if math.prod(dims) * value.itemsize <= MAX_COPY_BYTES:
                return np.full(dims, value, dtype=value.dtype)
            # Above that a read-only broadcast view: a 200-byte model can ask for [16384, 16384] (1 GiB).
            return np.broadcast_to(value, dims)
        for a in n.attribute:
            if a.name == "value":
                return self._tensor_value(a.t)
            if a.name == "sparse_value":
                return self._sparse_value(
                    a.sparse_tensor, f"sparse Constant '{printable(n.name or n.output[0])}'"
                )
            if a.name == "value_float":
                return np.array(a.f, dtype=np.float32)
            if a.name == "value_floats":
                return np.array(list(a.floats), dtype=np.float32)
            if a.name == "value_int":
                return np.array(a.i, dtype=np.int64)
            if a.name == "value_ints":
                return np.array(list(a.ints), dtype=np.int64)
            if a.name == "value_string":
                return np.array(a.s.decode("utf-8", "replace"), dtype=object)
            if a.name == "value_strings":
                return np.array([s.decode("utf-8", "replace") for s in a.strings], dtype=object)
        raise InspectError(
            f"Constant node '{n.name or n.output[0]}' has no value attribute; the model is malformed"
        )

    # -- column view of the tensors table ---------------------------------------------------------------
    def tensor_positions(self) -> dict[str, int]:
        """Tensor id -> its row position in ``tensors`` (and in every ``tensor_column``), built once."""
        got: dict[str, int] | None = self.__dict__.get("_tensor_pos")
        if got is None:
            got = {tid: k for k, tid in enumerate(self.tensors.index.tolist())}
            self._tensor_pos = got
        return got

    def tensor_rows(self, ids: Sequence[str]) -> np.ndarray:
        """Row positions in ``tensors`` of these tensor ids (-1 where unknown). A few ids are found in one
        vectorised pass over the index, without building the ``tensor_positions`` map (300k+ entries at
        200k nodes) that many ids use."""
        pos: dict[str, int] | None = self.__dict__.get("_tensor_pos")
        if pos is None and len(ids) * 64 < len(self.tensors):
            index = self.tensors.index
            hit = np.flatnonzero(index.isin(ids))
            pos = dict(zip(index[hit].tolist(), hit.tolist(), strict=True))
        elif pos is None:
            pos = self.tensor_positions()
        return np.fromiter((pos.get(i, -1) for i in ids), dtype=np.intp, count=len(ids))

    def tensor_column(self, column: str) -> list[Any]:
        """One column of ``tensors`` as a list in row order (look ids up with ``tensor_positions``):
        built once per column and cached, dropped by ``fill_shapes``; the one fast per-tensor lookup for
        sessions, the graph payload and node records."""
        cache: dict[str, list[Any]] = self.__dict__.setdefault("_tensor_cols", {})
        got = cache.get(column)
        if got is None:
            t = self.tensors
            if column not in t.columns:
                raise InspectError(
                    f"tensor_column: {column!r} is not a column of m.tensors ({list(t.columns)})"
                )
            got = t[column].tolist()
            cache[column] = got
        return got

    def tensor_columns(self, *columns: str) -> dict[str, list[Any]]:
        """Several columns of ``tensors`` as {column: list in row order} (see ``tensor_column``)."""
        return {c: self.tensor_column(c) for c in columns}

    # -- shapes learned later (runtime) ----------------------------------------------------------------
    def fill_shapes(self, shapes: Mapping[str, tuple[Any, ...]], source: str = "runtime") -> int:
        """Fill unknown main-graph shapes (rank unknown, or unknown dims) from ``shapes``; mark ``source``.

        A known dimension is never overwritten; returns the number of tensors that gained information.
        """
        filled = 0
        t = self.tensors
        for name, shape in shapes.items():
            tid = self._index.by_name.get(("", name))
            if tid is None or shape is None:
                continue
            new = tuple(d if isinstance(d, str) or d is None else int(d) for d in shape)
            cur = cast("tuple[int | str | None, ...] | None", t.at[tid, "shape"])
            if cur is None:
                merged = new
            elif len(cur) != len(new) or None not in cur:
                continue
            else:
                merged = tuple(n if c is None else c for c, n in zip(cur, new, strict=True))
            if merged != cur:
                t.at[tid, "shape"] = merged  # type: ignore[assignment]  # object column of tuples; the stubs allow scalars only
                t.at[tid, "shape_source"] = source
                filled += 1
        if filled:
            self.__dict__.pop("_tensor_cols", None)  # the column view is rebuilt from the filled table
            self.shapes_version += 1
        return filled

    # -- costs (model/costs.py) ------------------------------------------------------------------------
    def costs(self, dims: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Per node: params, MACs, FLOPs, activation bytes and the ``basis`` of each count; ``.attrs["totals"]``."""
        from .costs import node_costs

        return node_costs(self, dims)

    def memory_plan(self, dims: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Each activation's lifetime in execution order; ``.attrs`` has the peak bytes, step and node."""
        from .costs import memory_plan

        return memory_plan(self, dims)

    # -- overviews -------------------------------------------------------------------------------------
    def scope_tree(self) -> pd.DataFrame:
        """Every scope group with its parent, depth and node counts (direct and total), per graph."""
        counts: Counter[tuple[str, str]] = Counter()
        direct: Counter[tuple[str, str]] = Counter()
        for graph, scope in zip(self.nodes["graph"], self.nodes["scope"], strict=True):
            direct[(graph, scope)] += 1
            parts = scope.split("/") if scope else []
            for k in range(len(parts) + 1):
                counts[(graph, "/".join(parts[:k]))] += 1
        rows = []
        for (graph, scope), n in counts.items():
            parent = scope.rsplit("/", 1)[0] if "/" in scope else ("" if scope else None)
            rows.append(
                {
                    "graph": graph,
                    "scope": scope,
                    "parent": parent,
                    "depth": scope.count("/") + 1 if scope else 0,
                    "n_nodes": n,
                    "n_direct": direct.get((graph, scope), 0),
                }
            )
        df = pd.DataFrame(rows, columns=["graph", "scope", "parent", "depth", "n_nodes", "n_direct"])
        df["parent"] = df["parent"].astype(object).where(df["parent"].notna(), None)
        return df.sort_values(["graph", "scope"]).reset_index(drop=True)

    @property
    def title(self) -> str:
        """A short name for the model: its file name, else the graph's name, else 'model'."""
        if self.path is not None:
            return self.path.name
        return text(self.proto.graph.name) or "model"

    def summary(self) -> dict[str, Any]:
        """IR version, opsets, producer, metadata, doc string, op counts, parameters, inputs/outputs.

        Column-wise (no Python loop over nodes or tensors) and kept until shapes or warnings change: the
        Inspector's Model tab and every widget's fallback text ask for it, on models of 200k nodes."""
        key = (self.shapes_version, len(self.warnings))
        got: tuple[tuple[int, int], dict[str, Any]] | None = self.__dict__.get("_summary")
        if got is None or got[0] != key:
            got = self._summary = (key, self._summarize())
        return copy.deepcopy(got[1])  # callers may edit their copy

    def _summarize(self) -> dict[str, Any]:
        p = self.proto
        t = self.tensors
        is_weight = t["kind"].isin(["initializer", "constant"]).to_numpy()
        weights = t[is_weight]
        n_params = 0
        for shape, count in Counter(weights["shape"].tolist()).items():  # a few distinct shapes
            if shape is not None and all(isinstance(d, int) for d in shape):
                n_params += count * math.prod(shape)  # exact Python ints

        def io(rows: Any) -> list[dict[str, Any]]:
            # by position: .loc by id on this object-indexed frame hashes all 300k+ ids first (0.3 s)
            cols = t[["name", "dtype", "shape"]].iloc[np.asarray(rows, dtype=np.intp)]
            return [{"name": n, "dtype": d, "shape": sh} for n, d, sh in cols.itertuples(index=False)]

        main = (t["graph"] == "").to_numpy(dtype=bool)
        inputs = np.flatnonzero(main & (t["kind"] == "input").to_numpy(dtype=bool))
        outputs = self.main_outputs()
        found = np.flatnonzero(main & t["name"].isin(outputs).to_numpy(dtype=bool))
        at = dict(zip(t["name"].iloc[found].tolist(), found.tolist(), strict=True))
        for name in outputs:
            if name not in at:
                self.tensor_id(name)  # raises UnknownNameError naming the output
        # op counts, most common first, ties in order of first appearance (as Counter.most_common)
        codes, ops = pd.factorize(self.nodes["op_type"])
        counts = np.bincount(codes, minlength=len(ops))
        return {
            "path": str(self.path) if self.path else None,
            "ir_version": p.ir_version,
            "opsets": {(text(o.domain) or "ai.onnx"): o.version for o in p.opset_import},
            "producer": self.producer_text,
            "domain": text(p.domain),
            "model_version": p.model_version,
            "graph_name": text(p.graph.name),
            "doc_string": text(p.doc_string),
            "metadata": {text(e.key): text(e.value) for e in p.metadata_props},
            "n_nodes": int((self.nodes["graph"] == "").sum()),
            "n_nodes_total": len(self.nodes),
            "n_subgraphs": int((self.graphs["kind"] == "body").sum()),
            "n_functions": int((self.graphs["kind"] == "function").sum()),
            "op_types": {str(ops[k]): int(counts[k]) for k in np.argsort(-counts, kind="stable")},
            "n_params": n_params,
            "param_bytes": int(weights["nbytes"].fillna(0).sum()),
            "inputs": io(inputs),
            "outputs": io([at[name] for name in outputs]),
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        name = self.path.name if self.path else "<in memory>"
        return (
            f"<oi.Model {name}: {len(self.nodes)} nodes, {len(self.tensors)} values, "
            f"{len(self.graphs)} graph(s)>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        esc = html.escape
        ins = ", ".join(
            f"{esc(i['name'])}: {esc(str(i['dtype']))}{esc(str(list(i['shape'] or [])))}" for i in s["inputs"]
        )
        outs = ", ".join(
            f"{esc(o['name'])}: {esc(str(o['dtype']))}{esc(str(list(o['shape'] or [])))}"
            for o in s["outputs"]
        )
        ops = ", ".join(f"{esc(k)}×{v}" for k, v in list(s["op_types"].items())[:12])
        return (
            f"<div class='oi-model'><b>{esc(repr(self))}</b><br>producer: {esc(s['producer'])}, "
            f"IR {s['ir_version']}, opsets {esc(str(s['opsets']))}<br>inputs: {ins}<br>outputs: {outs}<br>"
            f"params: {s['n_params']:,} ({s['param_bytes']:,} bytes)<br>ops: {ops}</div>"
        )


def text(value: str | bytes) -> str:
    """Model text as str: protobuf returns bytes for string fields that are not valid UTF-8."""
    return value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")


# Columns that may hold None keep object dtype so None stays None (pandas would turn it into NaN).
_MAY_BE_NONE = frozenset({"dtype", "shape", "shape_source", "producer", "nbytes", "outer_ref"})


def _frame(cols: dict[str, list[Any]], ids: list[str]) -> pd.DataFrame:
    """DataFrame indexed by id, built column by column."""
    index = pd.Index(ids, name="id", dtype=object)
    return pd.DataFrame(
        {k: (pd.Series(v, index=index, dtype=object) if k in _MAY_BE_NONE else v) for k, v in cols.items()},
        index=index,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while indexing: the walk allocates millions of acyclic
    tuples and strings, and the collector's repeated scans of them cost a quarter of a large load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# What every public function that takes a model accepts: a loaded Model, or what ``load`` reads.
ModelLike: TypeAlias = Model | str | os.PathLike[str] | bytes | onnx.ModelProto


def load(
    src: str | os.PathLike[str] | bytes | onnx.ModelProto,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    shapes: ShapeMode = "onnx",
) -> Model:
    """Load and index an ONNX model from a path, bytes or a ModelProto; weights stay on disk."""
    proto, path, ext_dir, raw = read_model(src, base_dir)
    try:
        with warnings.catch_warnings(), _gc_paused():
            warnings.simplefilter("ignore")
            return Model(proto, path, ext_dir, shapes, raw)
    except InspectError:
        raise
    except Exception as exc:  # hostile or corrupted files must not surface as internal tracebacks
        label = f"'{path}'" if path else "the given model"
        raise ModelLoadError(
            f"{label} is malformed and cannot be indexed ({type(exc).__name__}: {exc}); "
            "check it with onnx.checker.check_model"
        ) from exc


def as_model(src: ModelLike) -> Model:
    """The ``oi.Model`` itself, or one loaded from a path, bytes or a ModelProto (every API's model argument)."""
    return src if isinstance(src, Model) else load(src)


__all__ = ["SEP", "Model", "ModelLike", "as_model", "dtype_name", "load"]
