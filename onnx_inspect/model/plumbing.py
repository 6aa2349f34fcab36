"""Parameter plumbing: nodes that compute only from initializers and constants.

Exporters wrap weights in nodes that are not part of the computation a user reads: TorchScript's
``Identity`` of a tied weight, ``Constant``, ``ConstantOfShape`` of a constant, a ``Cast``,
``Transpose`` or ``DequantizeLinear`` of a weight. The graph view lists these inside the boxes that
read them, as it lists initializers, so the first view shows layers, not rows of plumbing.
"""

from __future__ import annotations

import numpy as np

from .model import Model

# ops whose output is a pure function of their inputs' values (no randomness, no state): applied to
# initializers or constants only, they are a parameter in another form
PLUMBING_OPS = frozenset(
    {
        "Constant",
        "ConstantOfShape",
        "Identity",
        "Cast",
        "CastLike",
        "Reshape",
        "Transpose",
        "Unsqueeze",
        "Squeeze",
        "Flatten",
        "Expand",
        "DequantizeLinear",
    }
)
_STANDARD_DOMAINS = ("", "ai.onnx")
_CONSTANT_KINDS = ("initializer", "constant")


def plumbing_mask(m: Model) -> np.ndarray:
    """Boolean per row of ``m.nodes``: the node computes only from initializers, constants and other
    plumbing nodes of its own graph (transitively), and writes no graph output."""
    nodes = m.nodes
    n = len(nodes)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # only these ops can be plumbing: look at their rows alone (a few per cent of a big model)
    cand = np.flatnonzero(
        (nodes["op_type"].isin(PLUMBING_OPS) & nodes["domain"].isin(_STANDARD_DOMAINS)).to_numpy()
    )
    if len(cand) == 0:
        return mask
    sub = nodes.iloc[cand]
    keep = [not s and not i for s, i in zip(sub["subgraphs"], sub["implicit_inputs"], strict=True)]
    cand = cand[np.asarray(keep, dtype=bool)]
    sub = nodes.iloc[cand]
    graphs = sub["graph"].tolist()
    ins = sub["inputs"].tolist()
    outs = sub["outputs"].tolist()
    # (graph, name) of every value known without running anything
    tensors = m.tensors
    known = tensors[tensors["kind"].isin(_CONSTANT_KINDS).to_numpy()]
    const: set[tuple[str, str]] = set(zip(known["graph"].tolist(), known["name"].tolist(), strict=True))
    graph_outputs: set[tuple[str, str]] = {
        (g, name) for g, outs_ in zip(m.graphs.index, m.graphs["outputs"], strict=True) for name in outs_
    }
    # nodes are usually in topological order, so one pass settles almost everything; repeat until
    # nothing changes for graphs listed out of order
    done = np.zeros(len(cand), dtype=bool)
    changed = True
    while changed:
        changed = False
        for j in range(len(cand)):
            if done[j]:
                continue
            g = graphs[j]
            if not all((g, name) in const for name in ins[j] if name):
                continue
            if any((g, name) in graph_outputs for name in outs[j]):
                continue
            done[j] = True
            changed = True
            const.update((g, name) for name in outs[j] if name)
    mask[cand[done]] = True
    return mask
