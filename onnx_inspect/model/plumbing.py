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
    tensors = m.tensors
    n = len(nodes)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # (graph, name) of every value known without running anything
    const: set[tuple[str, str]] = {
        (g, name)
        for g, name, kind in zip(tensors["graph"], tensors["name"], tensors["kind"], strict=True)
        if kind in _CONSTANT_KINDS
    }
    graph_outputs: set[tuple[str, str]] = {
        (g, name) for g, outs in zip(m.graphs.index, m.graphs["outputs"], strict=True) for name in outs
    }
    ops = nodes["op_type"].tolist()
    domains = nodes["domain"].tolist()
    graphs = nodes["graph"].tolist()
    ins = nodes["inputs"].tolist()
    outs = nodes["outputs"].tolist()
    subs = nodes["subgraphs"].tolist()
    implicit = nodes["implicit_inputs"].tolist()
    candidates = [
        i
        for i in range(n)
        if ops[i] in PLUMBING_OPS and domains[i] in _STANDARD_DOMAINS and not subs[i] and not implicit[i]
    ]
    # nodes are usually in topological order, so one pass settles almost everything; repeat until
    # nothing changes for graphs listed out of order
    changed = True
    while changed:
        changed = False
        for i in candidates:
            if mask[i]:
                continue
            g = graphs[i]
            if not all((g, name) in const for name in ins[i] if name):
                continue
            if any((g, name) in graph_outputs for name in outs[i]):
                continue
            mask[i] = True
            changed = True
            const.update((g, name) for name in outs[i] if name)
    return mask
