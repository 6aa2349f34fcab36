"""The meaning of a graph payload as plain Python values (names, not row numbers), for comparing two
encodings or two builds of it: ``meaning(p)`` of the JSON dict or of the sent bytes (``decode_payload``).

    python -m tests.views.payload_meaning OUT.pickle   # the reference for every corpus model (a before/after check)
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

from onnx_inspect.views.graph_payload import decode_ints, decode_strings


def meaning(p: dict[str, Any]) -> dict[str, Any]:
    """Every row of the payload with its references resolved to strings, in row order."""
    strings = decode_strings(p["strings"])

    def ints(table: str, col: str) -> list[int]:
        return [int(v) for v in decode_ints(p[table][col])]

    def strs(table: str, col: str) -> list[str]:
        return [strings[i] if i >= 0 else "" for i in ints(table, col)]

    g_path = strs("graphs", "path")
    node_id = strs("nodes", "id")
    t_name = strs("tensors", "name")
    io_graph, io_kind, io_tensor = ints("io", "graph"), ints("io", "kind"), ints("io", "tensor")
    n = len(node_id)

    def node_key(r: int) -> str:
        return node_id[r] if r >= 0 else "-"

    def tensor(r: int) -> str | None:
        return t_name[r] if r >= 0 else None

    def item(i: int) -> str:
        if i < n:
            return node_id[i]
        r = i - n
        return f"io:{g_path[io_graph[r]]}:{io_kind[r]}:{t_name[io_tensor[r]]}"

    def csr(ptr: str, col: str) -> list[tuple[str | None, ...]]:
        ptr_, vals = ints("nodes", ptr), ints("nodes", col)
        return [tuple(tensor(vals[k]) for k in range(ptr_[i], ptr_[i + 1])) for i in range(n)]

    s_path, s_parent, s_graph = strs("scopes", "path"), ints("scopes", "parent"), ints("scopes", "graph")
    scope = [
        (g_path[s_graph[k]], s_path[k], s_path[s_parent[k]] if s_parent[k] >= 0 else None)
        for k in range(len(s_path))
    ]
    n_scope = ints("nodes", "scope")
    plumbing = ints("nodes", "plumbing") if "plumbing" in p["nodes"] else [0] * n
    return {
        "model": (strings[p["model"]["name"]], p["model"]["n_nodes"]),
        "tensor_kinds": list(p["tensor_kinds"]),
        "graphs": list(
            zip(
                g_path,
                [node_key(r) for r in ints("graphs", "owner")],
                strs("graphs", "attr"),
                [g_path[r] if r >= 0 else None for r in ints("graphs", "parent")],
                strict=True,
            )
        ),
        "scopes": scope,
        "nodes": list(
            zip(
                node_id,
                strs("nodes", "name"),
                strs("nodes", "op"),
                strs("nodes", "domain"),
                [g_path[r] for r in ints("nodes", "graph")],
                [scope[r] for r in n_scope],
                csr("in_ptr", "in"),
                csr("out_ptr", "out"),
                plumbing,
                strict=True,
            )
        ),
        "tensors": list(
            zip(
                t_name,
                strs("tensors", "shape"),
                strs("tensors", "dtype"),
                ints("tensors", "kind"),
                strict=True,
            )
        ),
        "io": [(g_path[g], k, t_name[t]) for g, k, t in zip(io_graph, io_kind, io_tensor, strict=True)],
        "edges": list(
            zip(
                [item(i) for i in ints("edges", "src")],
                [item(i) for i in ints("edges", "dst")],
                [t_name[r] for r in ints("edges", "tensor")],
                strict=True,
            )
        ),
        "bodies": [
            (node_id[a], g_path[b])
            for a, b in zip(ints("bodies", "node"), ints("bodies", "graph"), strict=True)
        ],
    }


def corpus_meanings() -> dict[str, Any]:
    """meaning() of every corpus model's payload, by model name."""
    import onnx_inspect as oi
    from onnx_inspect import testing as T
    from onnx_inspect.views.graph_payload import graph_payload
    from tests.corpus import corpus_models

    models: dict[str, Any] = {e.name: e.path for e in corpus_models()}
    models |= {"T.control_flow": T.control_flow(), "T.with_function": T.with_function()}
    models |= {"T.constant_weights": T.constant_weights(), "T.hostile_text": T.hostile_text_model()}
    models |= {
        "T.transformer_like": T.transformer_like(layers=40),
        "T.residual_chain": T.residual_chain(blocks=300),
    }
    return {name: meaning(graph_payload(oi.load(src))) for name, src in models.items()}


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        pickle.dump(corpus_meanings(), f)
