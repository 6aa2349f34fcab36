"""The Model tab's node table on real models: the column-wise ``node_table`` / ``output_shapes`` /
``filter_mask`` give what a plain per-row reading of ``m.nodes`` and ``m.tensors`` gives.

The reference here is the straightforward loop the fast code replaced (first non-empty output ->
``m.tensor_id`` -> its shape), so a shortcut that drops a subgraph prefix or picks the wrong output fails.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

import onnx_inspect as oi
from onnx_inspect.views import details as D
from tests.corpus import corpus_models

pytestmark = pytest.mark.slow


def _loaded(name: str) -> oi.Model:
    cm = next(c for c in corpus_models() if c.name == name)
    if cm.expected("load"):
        pytest.skip(f"{name} is expected to fail to load ({cm.expected('load')})")
    return oi.load(cm.path)


def _reference_table(m: oi.Model) -> pd.DataFrame:
    shapes = []
    for graph, outs in zip(m.nodes["graph"].tolist(), m.nodes["outputs"].tolist(), strict=True):
        first = next((o for o in outs if o), None)
        try:
            tid = m.tensor_id(first, graph) if first is not None else None
        except oi.InspectError:
            tid = None
        shapes.append("" if tid is None else D.shape_text(m.tensors.at[tid, "shape"]))
    n = m.nodes
    return pd.DataFrame(
        {
            "op_type": n["op_type"],
            "name": n["name"],
            "scope": n["scope"],
            "graph": n["graph"],
            "shape": shapes,
        },
        index=n.index,
    )


NAMES = [c.name for c in corpus_models()]


@pytest.mark.parametrize("name", NAMES)
def test_node_table_equals_the_per_row_reading(name: str) -> None:
    m = _loaded(name)
    table = D.node_table(m)
    pd.testing.assert_frame_equal(table, _reference_table(m))
    # a few rows by position (what the Model tab lists) give the same text as the whole column
    rows = np.array(sorted({0, len(table) // 2, len(table) - 1}))
    assert D.output_shapes(m, rows) == table["shape"].iloc[rows].tolist()
    assert D.node_table(m, shapes=False).equals(table.drop(columns="shape"))


@pytest.mark.parametrize("name", NAMES)
def test_filter_matches_every_word_in_id_op_name_scope_or_graph(name: str) -> None:
    m = _loaded(name)
    table = D.node_table(m, shapes=False)
    op = str(table["op_type"].iloc[len(table) // 2])
    text = f"{op.upper()} {str(table.index[len(table) // 2])[-3:]}"
    want = [
        nid
        for nid, row in table.iterrows()
        if all(w in " ".join([str(nid), *map(str, row.tolist())]).lower() for w in text.lower().split())
    ]
    hay = D.node_haystack(table)
    mask = D.filter_mask(table, text, hay)
    assert mask is not None and table.index[mask].tolist() == want
    assert D.filter_nodes(table, text).index.tolist() == want
    assert D.filter_mask(table, "   ") is None


def _reference_summary_counts(m: oi.Model) -> dict[str, Any]:
    t = m.tensors
    weights = t[t["kind"].isin(["initializer", "constant"])]
    n_params = sum(
        math.prod(s) for s in weights["shape"] if s is not None and all(isinstance(d, int) for d in s)
    )
    main = t[t["graph"] == ""]
    return {
        "op_types": dict(Counter(m.nodes["op_type"].tolist()).most_common()),
        "n_params": n_params,
        "inputs": [r["name"] for _, r in main[main["kind"] == "input"].iterrows()],
        "outputs": [vi.name for vi in m.proto.graph.output],
    }


@pytest.mark.parametrize("name", NAMES)
def test_summary_counts_equal_the_per_row_reading(name: str) -> None:
    m = _loaded(name)
    s = m.summary()
    ref = _reference_summary_counts(m)
    assert list(s["op_types"].items()) == list(ref["op_types"].items())  # order too: most common first
    assert s["n_params"] == ref["n_params"]
    assert [i["name"] for i in s["inputs"]] == ref["inputs"]
    assert [o["name"] for o in s["outputs"]] == ref["outputs"]
    for io in (*s["inputs"], *s["outputs"]):
        tid = m.tensor_id(io["name"])
        assert (io["dtype"], io["shape"]) == (m.tensors.at[tid, "dtype"], m.tensors.at[tid, "shape"])
