"""Model summary, node details, op schemas and weight previews as DataFrames and escaped HTML.

Pure pandas/numpy/onnx (no ipywidgets): the Inspector shows these, reports can embed them, and a
script can read the same tables. Every piece of model text (names, doc strings, metadata, attribute
strings) is untrusted and goes through :func:`esc` before it becomes HTML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import onnx
import onnx.defs
import pandas as pd

from ..errors import InspectError
from ..model import SEP, Model
from ..model.dtypes import dtype_name
from .graph_payload import shape_label

#: Documentation pages of the standard operator sets (a link only; nothing is fetched).
DOC_PAGES = {
    "": "https://onnx.ai/onnx/operators/onnx__{op}.html",
    "ai.onnx": "https://onnx.ai/onnx/operators/onnx__{op}.html",
    "ai.onnx.ml": "https://onnx.ai/onnx/operators/onnx_aionnxml_{op}.html",
    "ai.onnx.preview.training": "https://onnx.ai/onnx/operators/onnx_aionnxpreviewtraining_{op}.html",
    "com.microsoft": "https://github.com/microsoft/onnxruntime/blob/main/docs/ContribOperators.md#com.microsoft.{op}",
}
#: Longest list, string or doc excerpt shown inline before it is cut.
MAX_LIST = 16
MAX_TEXT = 240
MAX_DOC = 600
#: Value previews show at most this many rows and columns of a 2-D slice.
PREVIEW_ROWS = 32
PREVIEW_COLS = 12

_ATTR_TYPES = {v: k.lower() for k, v in onnx.AttributeProto.AttributeType.items()}


# -- small formatting helpers ------------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escaped text of any value (quotes too): the only way model text reaches HTML here."""
    return html.escape("" if value is None else str(value), quote=True)


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis and the number of characters left out."""
    return text if len(text) <= limit else f"{text[:limit]}… (+{len(text) - limit:,} chars)"


def fmt_bytes(n: Any) -> str:
    """'1.2 MB' style size (decimal units); '?' when unknown."""
    if n is None or (isinstance(n, float) and math.isnan(n)) or n is pd.NA:
        return "?"
    n = int(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def shape_text(shape: tuple[Any, ...] | None) -> str:
    """'1×3×224×224', 'batch×128', 'scalar', or '?' when the rank is unknown."""
    return "?" if shape is None else shape_label(tuple(shape))


def fmt_number(v: Any) -> str:
    """Compact text for a table cell: 4 significant digits for floats, thousands separators for ints."""
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f"{f:.4g}"
    if isinstance(v, tuple):
        return shape_text(v) if all(isinstance(d, (int, str)) or d is None for d in v) else str(v)
    return str(v)


def _list_text(items: Sequence[Any], fmt: Any = str) -> str:
    shown = ", ".join(fmt(x) for x in items[:MAX_LIST])
    more = f", … (+{len(items) - MAX_LIST:,})" if len(items) > MAX_LIST else ""
    return f"[{shown}{more}]"


def _float_text(x: float) -> str:
    return f"{x:.6g}"


def _str_text(b: bytes | str) -> str:
    s = b.decode("utf-8", "replace") if isinstance(b, bytes) else b
    return repr(cut(s, 120))


# -- tables as HTML -----------------------------------------------------------------------------------


def html_table(
    df: pd.DataFrame,
    *,
    index: bool = True,
    classes: str = "oi-table",
    formatters: Mapping[str, Any] | None = None,
    index_label: str | None = None,
) -> str:
    """An escaped HTML table of ``df`` (cells via :func:`fmt_number` unless a column formatter is given)."""
    formatters = formatters or {}
    head = []
    if index:
        head.append(f"<th>{esc(index_label if index_label is not None else (df.index.name or ''))}</th>")
    head.extend(f"<th>{esc(c)}</th>" for c in df.columns)
    rows = []
    for key, row in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        cells = [f"<th>{esc(fmt_number(key))}</th>"] if index else []
        for col, v in zip(df.columns, row, strict=True):
            f = formatters.get(col)
            text = f(v) if f is not None else fmt_number(v)
            cells.append(f"<td>{esc(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f"<div class='oi-scroll'><table class='{esc(classes)}'><thead><tr>{''.join(head)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def error_html(message: Any, title: str = "") -> str:
    """A readable error box (class ``oi-error``): escaped message, never a traceback."""
    t = f"<b>{esc(title)}</b> " if title else ""
    return f"<div class='oi-error' role='alert'>{t}{esc(message)}</div>"


def note_html(message: Any) -> str:
    """A muted one-line note (class ``oi-note``), escaped."""
    return f"<div class='oi-note'>{esc(message)}</div>"


def _kv_html(pairs: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)
    return f"<table class='oi-table oi-kv'><tbody>{rows}</tbody></table>"


# -- model summary ------------------------------------------------------------------------------------


def model_summary_html(m: Model) -> str:
    """The Model tab's summary: producer, IR/opsets, metadata, inputs/outputs, op counts, parameters."""
    s = m.summary()
    name = m.path.name if m.path is not None else "(in-memory model)"
    pairs: list[tuple[str, Any]] = [
        ("file", name),
        ("producer", s["producer"] or "?"),
        ("IR version", s["ir_version"]),
        ("opsets", ", ".join(f"{d} {v}" for d, v in s["opsets"].items())),
        ("graph", s["graph_name"]),
        ("nodes", f"{s['n_nodes']:,} in the main graph, {s['n_nodes_total']:,} in all"),
        ("parameters", f"{s['n_params']:,} ({fmt_bytes(s['param_bytes'])})"),
    ]
    if s["domain"]:
        pairs.append(("domain", s["domain"]))
    if s["model_version"]:
        pairs.append(("model version", s["model_version"]))
    if s["n_subgraphs"] or s["n_functions"]:
        pairs.append(("bodies / functions", f"{s['n_subgraphs']} / {s['n_functions']}"))
    parts = [f"<h4>{esc(name)}</h4>", _kv_html(pairs)]
    if s["doc_string"]:
        parts.append(f"<p class='oi-doc'>{esc(cut(s['doc_string'].strip(), MAX_DOC))}</p>")
    if s["warnings"]:
        parts.append("".join(f"<div class='oi-warning'>{esc(w)}</div>" for w in s["warnings"]))
    io_rows = [
        {"kind": kind, "name": r["name"], "dtype": r["dtype"] or "?", "shape": shape_text(r["shape"])}
        for kind in ("inputs", "outputs")
        for r in s[kind]
    ]
    if io_rows:
        parts.append("<h5>Inputs and outputs</h5>")
        parts.append(html_table(pd.DataFrame(io_rows), index=False))
    if s["metadata"]:
        meta = pd.DataFrame(
            {"value": [cut(str(v)) for v in s["metadata"].values()]}, index=list(s["metadata"])
        )
        parts.append("<h5>Metadata</h5>" + html_table(meta, index_label="key", classes="oi-table oi-wrap"))
    if s["op_types"]:
        ops = pd.DataFrame({"count": list(s["op_types"].values())}, index=list(s["op_types"]))
        parts.append("<h5>Op types</h5>" + html_table(ops, index_label="op type"))
    return f"<div class='oi-summary'>{''.join(parts)}</div>"


# -- node table (Model tab) ---------------------------------------------------------------------------


def output_shapes(m: Model, rows: Sequence[int] | np.ndarray | None = None) -> list[str]:
    """Shape text of each node's first output ('1×3×224×224'; '?' when unknown, '' when the node has no
    output value): of every node, or of the nodes at ``rows`` (positions in ``m.nodes``, as in
    :func:`node_table`). Plain lists, no id lookups in pandas; each distinct shape is formatted once."""
    graphs, outputs = m.nodes["graph"], m.nodes["outputs"]
    if rows is not None:
        at = np.asarray(rows, dtype=np.intp)
        graphs, outputs = graphs.iloc[at], outputs.iloc[at]
    tids: list[str] = []
    where: list[int] = []  # position in the result of each id asked for (nodes without outputs: '')
    for k, (graph, outs) in enumerate(zip(graphs.tolist(), outputs.tolist(), strict=True)):
        first = outs[0] if outs and outs[0] else next((o for o in outs if o), None)
        if first is not None:
            tids.append(f"{graph}{SEP}{first}" if graph else first)
            where.append(k)
    shapes = m.tensor_column("shape")
    texts: dict[Any, str] = {}
    out = [""] * len(graphs)
    for k, row in zip(where, m.tensor_rows(tids).tolist(), strict=True):
        if row < 0:
            continue
        shape = shapes[row]
        text = texts.get(shape)
        if text is None:
            text = texts[shape] = shape_text(shape)
        out[k] = text
    return out


def node_table(m: Model, *, shapes: bool = True) -> pd.DataFrame:
    """One row per node (index = node id, rows in ``m.nodes`` order): op_type, name, scope, graph and the
    first output's shape (``shapes=False`` leaves that column out: a list showing a few rows asks
    :func:`output_shapes` for those)."""
    df = m.nodes[["op_type", "name", "scope", "graph"]].copy()
    if shapes:
        df["shape"] = output_shapes(m)
    return df


def node_haystack(table: pd.DataFrame) -> pd.Series:
    """What :func:`filter_nodes` searches, one lower-case line per row (id, op type, name, scope, graph):
    build it once for a table that is filtered again and again."""
    return (
        table.index.to_series().astype(str)
        + " "
        + table["op_type"].astype(str)
        + " "
        + table["name"].astype(str)
        + " "
        + table["scope"].astype(str)
        + " "
        + table["graph"].astype(str)
    ).str.lower()


def filter_mask(table: pd.DataFrame, text: str, hay: pd.Series | None = None) -> np.ndarray | None:
    """Rows of ``table`` whose id, op type, name, scope or graph contain every word of ``text``
    (case-insensitive), as a boolean array; None when ``text`` has no words (every row)."""
    words = [w for w in text.lower().split() if w]
    if not words:
        return None
    hay = node_haystack(table) if hay is None else hay
    mask = np.ones(len(table), dtype=bool)
    for w in words:
        mask &= hay.str.contains(w, regex=False).to_numpy(dtype=bool)
    return mask


def filter_nodes(table: pd.DataFrame, text: str, limit: int | None = None) -> pd.DataFrame:
    """Rows whose id, op type, name, scope or graph contain every word of ``text`` (case-insensitive)."""
    mask = filter_mask(table, text)
    out = table if mask is None else table[mask]
    return out if limit is None else out.iloc[:limit]


# -- op schemas ---------------------------------------------------------------------------------------


def doc_url(op_type: str, domain: str = "") -> str | None:
    """Link to the operator's documentation page for standard domains (and onnxruntime's contrib ops)."""
    page = DOC_PAGES.get(domain)
    if page is None or not re.fullmatch(r"[A-Za-z0-9_]+", op_type):
        return None
    return page.format(op=op_type)


def opset_version(m: Model, domain: str) -> int | None:
    """The model's opset version for ``domain`` ('' and 'ai.onnx' are the same domain)."""
    want = "" if domain == "ai.onnx" else domain
    for o in m.proto.opset_import:
        if (o.domain if o.domain != "ai.onnx" else "") == want:
            return int(o.version)
    return None


def op_schema(op_type: str, domain: str = "", opset: int | None = None) -> onnx.defs.OpSchema | None:
    """The ``onnx.defs`` schema of an op at an opset version (latest when None); None if onnx has none."""
    d = "" if domain == "ai.onnx" else domain
    try:
        if opset is None:
            return onnx.defs.get_schema(op_type, d)
        return onnx.defs.get_schema(op_type, int(opset), d)
    except onnx.defs.SchemaError:
        return None


_OPTION = {"Single": "", "Optional": "optional", "Variadic": "variadic"}


def _option(p: Any) -> str:
    return _OPTION.get(str(p.option).rsplit(".", 1)[-1], str(p.option))


def _doc_excerpt(doc: str | None, limit: int = MAX_DOC) -> str:
    """First paragraph(s) of a schema doc, whitespace folded, cut to ``limit`` characters."""
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", doc or "")]
    text = ""
    for p in paras:
        if not p:
            continue
        text = f"{text} {p}".strip()
        if len(text) > limit // 2:
            break
    return cut(text, limit)


def attr_type_name(t: Any) -> str:
    """'int', 'floats', 'graph', ... for an AttributeProto type number."""
    return _ATTR_TYPES.get(int(t), str(t)).lower()


def attr_default(a: Any) -> Any:
    """Display text of a schema attribute's default value ('' when it has none)."""
    dv = a.default_value
    if dv is None or dv.type == onnx.AttributeProto.UNDEFINED:
        return ""
    return format_attribute(dv)["value"]


def schema_summary(op_type: str, domain: str = "", opset: int | None = None) -> dict[str, Any] | None:
    """Schema facts for an op: since_version, deprecated, doc excerpt, inputs/outputs/attributes tables, url.

    None when ``onnx.defs`` has no schema (custom domains, model-local functions).
    """
    s = op_schema(op_type, domain, opset)
    if s is None:
        return None

    def params(ps: Sequence[Any]) -> pd.DataFrame:
        rows = [
            {
                "name": p.name,
                "type": p.type_str,
                "option": _option(p),
                "description": _doc_excerpt(p.description, 160),
            }
            for p in ps
        ]
        return pd.DataFrame(rows, columns=["name", "type", "option", "description"])

    attrs = pd.DataFrame(
        [
            {
                "name": a.name,
                "type": attr_type_name(a.type),
                "required": bool(a.required),
                "default": attr_default(a),
                "description": _doc_excerpt(a.description, 160),
            }
            for a in sorted(s.attributes.values(), key=lambda a: a.name)
        ],
        columns=["name", "type", "required", "default", "description"],
    )
    types = pd.DataFrame(
        [{"type": c.type_param_str, "allowed": ", ".join(c.allowed_type_strs)} for c in s.type_constraints],
        columns=["type", "allowed"],
    )
    return {
        "op_type": s.name,
        "domain": s.domain or "ai.onnx",
        "since_version": int(s.since_version),
        "opset": opset,
        "deprecated": bool(s.deprecated),
        "doc": _doc_excerpt(s.doc),
        "inputs": params(s.inputs),
        "outputs": params(s.outputs),
        "attributes": attrs,
        "type_constraints": types,
        "url": doc_url(s.name, s.domain),
    }


def schema_html(summary: Mapping[str, Any] | None, op_type: str = "", domain: str = "") -> str:
    """The schema summary as HTML, with a link to the operator's documentation page."""
    if summary is None:
        where = f"domain '{domain}'" if domain else "the default domain"
        return note_html(f"onnx has no schema for {op_type} in {where} (a custom or model-local op).")
    head = (
        f"<b>{esc(summary['op_type'])}</b> ({esc(summary['domain'])}), since opset "
        f"{esc(summary['since_version'])}"
        + (f", model opset {esc(summary['opset'])}" if summary.get("opset") is not None else "")
        + (" <span class='oi-warning'>deprecated</span>" if summary["deprecated"] else "")
    )
    link = ""
    if summary.get("url"):
        link = (
            f" · <a href='{esc(summary['url'])}' target='_blank' rel='noopener noreferrer'>"
            "operator documentation</a>"
        )
    parts = [f"<div class='oi-schema-head'>{head}{link}</div>"]
    if summary["doc"]:
        parts.append(f"<p class='oi-doc'>{esc(summary['doc'])}</p>")
    for key in ("inputs", "outputs", "attributes"):
        df = summary[key]
        if len(df):
            parts.append(f"<h6>{key}</h6>" + html_table(df, index=False, classes="oi-table oi-wrap"))
    return f"<div class='oi-schema'>{''.join(parts)}</div>"


# -- attributes ---------------------------------------------------------------------------------------


def _tensor_text(t: onnx.TensorProto) -> str:
    dt = dtype_name(t.data_type) or f"type {t.data_type}"
    dims = tuple(int(d) for d in t.dims)
    size = int(np.prod(dims, dtype=np.int64)) if dims else 1
    ext = t.data_location == onnx.TensorProto.EXTERNAL
    text = f"tensor {dt}[{shape_text(dims)}]"
    if ext:
        return text + " (external data)"
    if size <= 8:
        try:
            vals = onnx.numpy_helper.to_array(t).reshape(-1).tolist()
            return (
                text + " = " + _list_text(vals, lambda x: _float_text(x) if isinstance(x, float) else repr(x))
            )
        except Exception:  # odd element types: the header is enough
            return text
    return text


def format_attribute(a: onnx.AttributeProto, owner: str | None = None) -> dict[str, Any]:
    """Readable attribute: {name, type, value, ref_kind, ref}; tensors and graphs become references.

    ``ref_kind`` is ``"graph"`` (``ref`` = the body's graph path under node id ``owner``), ``"tensor"``
    (a tensor-valued attribute; ``ref`` filled in by :func:`attribute_table` for Constant nodes) or None.
    """
    kind = _ATTR_TYPES.get(int(a.type), str(a.type)).lower()
    ref_kind: str | None = None
    ref: Any = None
    T = onnx.AttributeProto
    if a.ref_attr_name:
        value = f"= attribute '{a.ref_attr_name}' of the calling node"
    elif a.type == T.FLOAT:
        value = _float_text(a.f)
    elif a.type == T.INT:
        value = str(a.i)
    elif a.type == T.STRING:
        value = _str_text(a.s)
    elif a.type == T.FLOATS:
        value = _list_text(list(a.floats), _float_text)
    elif a.type == T.INTS:
        value = _list_text(list(a.ints))
    elif a.type == T.STRINGS:
        value = _list_text(list(a.strings), _str_text)
    elif a.type == T.TENSOR:
        value = _tensor_text(a.t)
        ref_kind = "tensor"
    elif a.type == T.TENSORS:
        value = f"{len(a.tensors)} tensors: " + _list_text([_tensor_text(t) for t in a.tensors])
        ref_kind = "tensor"
    elif a.type == T.SPARSE_TENSOR:
        sp = a.sparse_tensor
        value = f"sparse tensor [{shape_text(tuple(sp.dims))}], {int(np.prod(sp.values.dims or [0]))} values"
        ref_kind = "tensor"
    elif a.type == T.GRAPH:
        value = f"graph '{cut(a.g.name, 60)}' ({len(a.g.node)} nodes)"
        ref_kind, ref = "graph", (f"{owner}{SEP}{a.name}" if owner is not None else None)
    elif a.type == T.GRAPHS:
        value = f"{len(a.graphs)} graphs"
        ref_kind = "graph"
        ref = [f"{owner}{SEP}{a.name}[{k}]" for k in range(len(a.graphs))] if owner is not None else None
    elif a.type in (T.TYPE_PROTO, T.TYPE_PROTOS):
        tps = [a.tp] if a.type == T.TYPE_PROTO else list(a.type_protos)
        value = _list_text([onnx.helper.printable_type(tp) for tp in tps])
    else:
        value = "(undefined)"
    return {"name": a.name, "type": kind, "value": value, "ref_kind": ref_kind, "ref": ref}


def attribute_table(m: Model, node_id: str, defaults: bool = True) -> pd.DataFrame:
    """The node's attributes (index = name): type, value, source ('set', 'default', 'missing', 'model'),
    ref_kind, ref; derived from :func:`views.records.node_record`.

    With ``defaults``, attributes the schema defines but the node leaves out are listed with their
    default values. A Constant's value attribute refers to its output tensor (shown as a weight).
    """
    from .records import node_record

    rec = node_record(m, node_id)
    rows = []
    for a in rec["attrs"]:
        if not defaults and a["source"] in ("default", "missing"):
            continue
        ref: Any = a["ref"]
        ref_kind = _REF_KINDS.get(a["type"])
        if a["type"] == "graphs":
            ref = [b for b in rec["bodies"] if b.startswith(f"{node_id}{SEP}{a['name']}[")]
        rows.append({"name": a["name"], "type": a["type"], "value": a["value"], "source": a["source"],
                     "ref_kind": ref_kind, "ref": ref})  # fmt: skip
    cols = ["type", "value", "source", "ref_kind", "ref"]
    if not rows:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="attribute", dtype=object))
    df = pd.DataFrame(rows, dtype=object).set_index("name")[cols]
    df.index.name = "attribute"
    return df


_REF_KINDS = {
    "graph": "graph", "graphs": "graph", "function": "graph", "tensor": "tensor", "tensors": "tensor",
    "sparse_tensor": "tensor",
}  # fmt: skip


# -- inputs / outputs ---------------------------------------------------------------------------------


def slot_names(formals: Sequence[Any], n: int) -> list[str]:
    """Schema names of ``n`` inputs/outputs: 'X', 'inputs[2]' (variadic), '#3' (beyond the schema)."""
    names: list[str] = []
    for i in range(n):
        if i < len(formals) and _option(formals[i]) != "variadic":
            names.append(formals[i].name)
        elif formals and _option(formals[min(i, len(formals) - 1)]) == "variadic":
            j = min(i, len(formals) - 1)
            names.append(f"{formals[j].name}[{i - j}]")
        else:
            names.append(f"#{i}")
    return names


def io_table(m: Model, node_id: str, which: str = "inputs") -> pd.DataFrame:
    """The node's inputs or outputs, one row per slot: slot (schema name), name, tensor_id, dtype, shape,
    shape_source, kind, producer, consumers (node ids; values read from an enclosing graph are followed
    to their producer). Omitted optional inputs have kind 'omitted'; If/Loop/Scan captures are 'implicit'.
    Derived from :func:`views.records.node_record` (shapes as tuples, all consumers).
    """
    from .records import node_record

    if which not in ("inputs", "outputs"):
        raise InspectError(f"which={which!r} is not 'inputs' or 'outputs'")
    rec = node_record(m, node_id, max_consumers=None)
    t = m.tensors
    rows = []
    consumers: tuple[str, ...]
    for r in rec["inputs"] if which == "inputs" else rec["outputs"]:
        tid = r["tensor"]
        if tid is None:
            producer, consumers, shape = None, (), None
        else:
            src = m.resolve_outer(tid)
            producer = r["producer"] if which == "inputs" else t.at[src, "producer"]
            consumers = (
                tuple(r["consumers"])
                if which == "outputs"
                else tuple(c for c in cast("tuple[str, ...]", t.at[tid, "consumers"]) if c != node_id)
            )
            shape = t.at[tid, "shape"]
        rows.append(
            {"slot": r["slot"], "name": r["name"], "tensor_id": tid, "dtype": r["dtype"] or None, "shape": shape,
             "shape_source": r["shape_source"] or None, "kind": r["kind"], "producer": producer,
             "consumers": consumers}
        )  # fmt: skip
    cols = ["slot", "name", "tensor_id", "dtype", "shape", "shape_source", "kind", "producer", "consumers"]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def weight_ids(m: Model, node_id: str) -> list[str]:
    """Tensor ids of the node's weights: initializer/Constant inputs (also via enclosing graphs) and,
    for Constant-like nodes, their own constant outputs. Nothing is read."""
    from .records import node_record

    return list(node_record(m, node_id)["weights"])


def node_info(m: Model, node_id: str) -> dict[str, Any]:
    """Header facts of a node: id, op_type, domain, name, graph, scope, doc string, metadata, bodies."""
    from .records import node_record

    rec = node_record(m, node_id)
    node = m.node(node_id)
    return {
        "id": node_id,
        "op_type": rec["op"],
        "domain": rec["domain"],
        "name": rec["name"],
        "graph": rec["graph"],
        "scope": rec["scope"],
        "ort_name": rec["ort"] if rec["ort"] is not None else rec["name"],
        "doc_string": node.doc_string,
        "metadata": {p.key: p.value for p in node.metadata_props},
        "subgraphs": tuple(rec["bodies"]),
        "opset": rec["opset"],
    }


def io_html(df: pd.DataFrame, which: str = "inputs") -> str:
    """Inputs or outputs table as HTML: slot, name, dtype, shape, where the shape came from, kind, links."""
    show = pd.DataFrame(
        {
            "slot": df["slot"],
            "name": df["name"],
            "dtype": df["dtype"].map(lambda v: v or "?"),
            "shape": df["shape"].map(shape_text),
            "shape from": df["shape_source"].map(lambda v: v or ""),
            "kind": df["kind"],
            "producer" if which == "inputs" else "consumers": (
                df["producer"].map(lambda v: v or "")
                if which == "inputs"
                else df["consumers"].map(
                    lambda c: ", ".join(c[:8]) + (f" … (+{len(c) - 8})" if len(c) > 8 else "")
                )
            ),
        }
    )
    return html_table(show, index=False, classes=f"oi-table oi-io oi-{which}")


def attributes_html(df: pd.DataFrame) -> str:
    """Attribute table as HTML (defaults muted); references show as text, the widget adds buttons."""
    if df.empty:
        return note_html("no attributes")
    rows = []
    for name, r in df.iterrows():
        cls = " class='oi-default'" if r["source"] in ("default", "missing") else ""
        val = r["value"]
        if r["source"] == "default":
            val = f"{val} (default)"
        rows.append(f"<tr{cls}><th>{esc(name)}</th><td>{esc(r['type'])}</td><td>{esc(val)}</td></tr>")
    return (
        "<table class='oi-table oi-attrs oi-wrap'><thead><tr><th>attribute</th><th>type</th><th>value</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def node_header_html(info: Mapping[str, Any], n_more: int = 0) -> str:
    """Op type, domain, name, id, graph and scope of a node, with its doc string excerpt."""
    url = doc_url(info["op_type"], "" if info["domain"] == "ai.onnx" else info["domain"])
    op = esc(info["op_type"])
    title = f"<a href='{esc(url)}' target='_blank' rel='noopener noreferrer'>{op}</a>" if url else op
    pairs = [("id", info["id"]), ("name", info["name"] or "(unnamed)"), ("domain", info["domain"])]
    if info["graph"]:
        pairs.append(("graph", info["graph"]))
    pairs.append(("scope", info["scope"] or "(top)"))
    more = f" <span class='oi-note'>(+{n_more} more selected)</span>" if n_more else ""
    facts = " · ".join(f"<span class='oi-note'>{esc(k)}</span> <code>{esc(v)}</code>" for k, v in pairs)
    parts = [
        f"<h4 class='oi-node-title'><span class='oi-op'>{title}</span>{more}</h4>",
        f"<div class='oi-facts'>{facts}</div>",
    ]
    if info["doc_string"]:
        parts.append(f"<p class='oi-doc'>{esc(cut(info['doc_string'].strip(), MAX_DOC))}</p>")
    if info["metadata"]:
        meta = pd.DataFrame(
            {"value": [cut(v, 160) for v in info["metadata"].values()]}, index=list(info["metadata"])
        )
        parts.append(html_table(meta, index_label="metadata", classes="oi-table oi-wrap"))
    return "".join(parts)


def node_details_html(m: Model, node_id: str) -> str:
    """Everything about one node as standalone HTML (header, attributes, inputs, outputs, schema)."""
    info = node_info(m, node_id)
    schema = schema_summary(info["op_type"], info["domain"], info["opset"])
    return (
        f"<div class='oi-node'>{node_header_html(info)}"
        f"<h5>Attributes</h5>{attributes_html(attribute_table(m, node_id))}"
        f"<h5>Inputs</h5>{io_html(io_table(m, node_id, 'inputs'), 'inputs')}"
        f"<h5>Outputs</h5>{io_html(io_table(m, node_id, 'outputs'), 'outputs')}"
        f"<h5>Schema</h5>{schema_html(schema, info['op_type'], info['domain'])}</div>"
    )


# -- weights ------------------------------------------------------------------------------------------


def weight_info(m: Model, tensor_id: str) -> dict[str, Any]:
    """What is known about a weight without reading it: name, dtype, shape, bytes, kind, where it lives
    (derived from :func:`views.records.weight_record`; shape as a tuple)."""
    from .records import weight_record

    r = weight_record(m, tensor_id, read=False)
    return {
        "tensor_id": tensor_id,
        "source_id": r["source"],
        "name": r["name"],
        "graph": r["graph"],
        "dtype": r["dtype"] or None,
        "shape": m.tensors.at[r["source"], "shape"],
        "nbytes": r["nbytes"],
        "kind": r["kind"],
        "where": r["where"],
        "external": r["external"],
    }


def stats_html(summary: Mapping[str, Any]) -> str:
    """The stats of ``views.tensors.tensor_stats`` as a one-row table, by dtype family: min/max/mean/std,
    NaN/Inf and zeros for numbers (of ``|z|`` for complex), false/true counts for bool, distinct and most
    frequent values for strings; a note says when the numbers come from a sample."""
    family = summary.get("family", "float")
    note = str(summary.get("note") or "")
    hist = summary.get("hist") or {}
    pct = {"zeros": lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1%}"}
    if family == "bool" and hist:
        df = pd.DataFrame([dict(zip(hist["labels"], hist["counts"], strict=True))])
        table = html_table(df, index=False, classes="oi-table oi-stats")
    elif family == "string":
        df = pd.DataFrame([{"values": summary.get("size"), "distinct": summary.get("unique")}])
        top = pd.DataFrame({"value": hist.get("labels", []), "count": hist.get("counts", [])})
        table = html_table(df, index=False, classes="oi-table oi-stats")
        if len(top):
            table += html_table(top, index=False, classes="oi-table oi-top")
    elif family == "other" or not summary.get("size"):
        table = ""
    else:
        cols = ["min", "max", "mean", "std", "nan", "inf", "zero_fraction"]
        df = pd.DataFrame([{c: summary.get(c) for c in cols}]).rename(columns={"zero_fraction": "zeros"})
        table = html_table(df, index=False, classes="oi-table oi-stats", formatters=pct)
    return table + (note_html(note) if note else "")


def slice_preview(
    value: Any,
    index: Sequence[int] = (),
    *,
    max_rows: int = PREVIEW_ROWS,
    max_cols: int = PREVIEW_COLS,
) -> pd.DataFrame:
    """A 2-D slice of a tensor as a DataFrame: ``index`` picks the leading axes, the last two are shown.

    Rank 0 gives one cell, rank 1 one column. Only the shown block is read (memory-mapped weights stay on
    disk). ``df.attrs`` has ``shape``, ``index``, ``rows``/``cols`` (full plane size) and ``truncated``.
    """
    a = value if isinstance(value, np.ndarray) else np.asarray(value)
    lead = max(a.ndim - 2, 0)
    idx = tuple(int(i) for i in index)
    if len(idx) > lead:
        raise InspectError(
            f"a rank-{a.ndim} tensor has {lead} leading axes to pick, but {len(idx)} indices were given"
        )
    idx = idx + (0,) * (lead - len(idx))
    for axis, (i, n) in enumerate(zip(idx, a.shape, strict=False)):
        if not 0 <= i < n:
            raise InspectError(
                f"index {i} is out of range for axis {axis} of size {n} (shape {list(a.shape)})"
            )
    if a.ndim == 0:
        block = a.reshape(1, 1)
        rows, cols = 1, 1
        columns: list[Any] = ["value"]
    elif a.ndim == 1:
        rows, cols = a.shape[0], 1
        block = a[:max_rows].reshape(-1, 1)
        columns = ["value"]
    else:
        plane = a[idx]
        rows, cols = plane.shape
        block = plane[:max_rows, :max_cols]
        columns = list(range(block.shape[1]))
    block = np.asarray(block)
    if block.dtype.kind not in "biufcOUSMmb?":  # bfloat16/float8 (ml_dtypes) show as float32
        try:
            block = block.astype(np.float32)
        except (TypeError, ValueError):
            block = block.astype(object)
    df = pd.DataFrame(block, index=pd.RangeIndex(block.shape[0]), columns=columns)
    df.attrs.update(
        shape=tuple(int(d) for d in a.shape),
        index=idx,
        rows=int(rows),
        cols=int(cols),
        truncated=bool(block.shape[0] < rows or block.shape[1] < cols),
    )
    return df


def preview_html(df: pd.DataFrame) -> str:
    """The slice preview as an escaped HTML table with a caption saying which slice and how much is shown."""
    at = df.attrs
    shape = at.get("shape", ())
    idx = at.get("index", ())
    where = "".join(f"[{i}]" for i in idx)
    if len(shape) >= 2:
        what = f"slice {where or '(whole)'}[:, :] of {shape_text(shape)}"
    else:
        what = f"values of {shape_text(shape)}"
    shown = (
        f"showing {df.shape[0]}×{df.shape[1]} of {at.get('rows', df.shape[0])}×{at.get('cols', df.shape[1])}"
    )
    cap = f"<div class='oi-note'>{esc(what)}, {esc(shown)}</div>"
    return cap + html_table(df, classes="oi-table oi-preview")


__all__ = [
    "DOC_PAGES",
    "attr_default",
    "attr_type_name",
    "attribute_table",
    "attributes_html",
    "cut",
    "doc_url",
    "error_html",
    "esc",
    "filter_mask",
    "filter_nodes",
    "fmt_bytes",
    "fmt_number",
    "format_attribute",
    "html_table",
    "io_html",
    "io_table",
    "model_summary_html",
    "node_details_html",
    "node_haystack",
    "node_header_html",
    "node_info",
    "node_table",
    "note_html",
    "op_schema",
    "opset_version",
    "output_shapes",
    "preview_html",
    "schema_html",
    "schema_summary",
    "shape_text",
    "slice_preview",
    "slot_names",
    "stats_html",
    "weight_ids",
    "weight_info",
]
