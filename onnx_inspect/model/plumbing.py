"""Plumbing: nodes that compute only from initializers, constants and the *shapes* of values.

Exporters wrap weights in nodes that are not part of the computation a user reads: TorchScript's
``Identity`` of a tied weight, ``Constant``, ``ConstantOfShape`` of a constant, a ``Cast``,
``Transpose`` or ``DequantizeLinear`` of a weight. They also compute sizes: ``Shape``/``Size`` of a
tensor, then ``Gather``/``Unsqueeze``/``Concat``/``Range``/arithmetic on those and constants (the
position ids and masks of a transformer export, the target shape of a ``Reshape``). The graph view
lists these inside the boxes that read them, as it lists initializers, so the first view shows
layers (embeddings, the first encoder layer), not rows of plumbing.
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
# ops whose output is the size of their input, whatever its values
SHAPE_SOURCES = frozenset({"Shape", "Size"})
# pure ops that exporters use for arithmetic on sizes and small constants (index and mask building);
# plumbing when every input is a constant or a size, and none is a weight
SIZE_OPS = frozenset(
    {
        "Gather",
        "GatherElements",
        "GatherND",
        "Concat",
        "Slice",
        "Split",
        "Range",
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Mod",
        "Neg",
        "Abs",
        "Floor",
        "Ceil",
        "Max",
        "Min",
        "Equal",
        "Less",
        "LessOrEqual",
        "Greater",
        "GreaterOrEqual",
        "Not",
        "And",
        "Or",
        "Xor",
        "Where",
        "CumSum",
        "Tile",
        "Trilu",
        "ReduceProd",
        "ReduceSum",
        "ReduceMax",
        "ReduceMin",
        "NonZero",
    }
)
_STANDARD_DOMAINS = ("", "ai.onnx")
_CONSTANT_KINDS = ("initializer", "constant")
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
# a floating-point constant larger than this many bytes (more than a few scalars) is a weight: arithmetic that reads it (an
# embedding lookup by position ids) is part of the model, not size plumbing
_WEIGHT_BYTES = 16


def plumbing_mask(m: Model) -> np.ndarray:
    """Boolean per row of ``m.nodes``: the node computes only from initializers, constants, the
    shapes of values and other plumbing nodes of its own graph (transitively), and writes no graph
    output. Arithmetic on sizes (``SIZE_OPS``) counts only when it reads no weight."""
    nodes = m.nodes
    n = len(nodes)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # only these ops can be plumbing: look at their rows alone
    ops = PLUMBING_OPS | SHAPE_SOURCES | SIZE_OPS
    cand = np.flatnonzero((nodes["op_type"].isin(ops) & nodes["domain"].isin(_STANDARD_DOMAINS)).to_numpy())
    if len(cand) == 0:
        return mask
    sub = nodes.iloc[cand]
    keep = [not s and not i for s, i in zip(sub["subgraphs"], sub["implicit_inputs"], strict=True)]
    cand = cand[np.asarray(keep, dtype=bool)]
    sub = nodes.iloc[cand]
    graphs = sub["graph"].tolist()
    op_types = sub["op_type"].tolist()
    ins = sub["inputs"].tolist()
    outs = sub["outputs"].tolist()
    # (graph, name) of every value known without running anything (or, for sizes, without its values)
    tensors = m.tensors
    known_rows = tensors[tensors["kind"].isin(_CONSTANT_KINDS).to_numpy()]
    const: set[tuple[str, str]] = set(
        zip(known_rows["graph"].tolist(), known_rows["name"].tolist(), strict=True)
    )
    nbytes = known_rows["nbytes"].astype("Float64").fillna(np.inf).to_numpy()
    is_float = known_rows["dtype"].astype(str).isin(_FLOAT_DTYPES).to_numpy()
    heavy_rows = known_rows[is_float & (nbytes > _WEIGHT_BYTES)]
    # weights, and what parameter plumbing makes of them
    heavy: set[tuple[str, str]] = set(
        zip(heavy_rows["graph"].tolist(), heavy_rows["name"].tolist(), strict=True)
    )
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
            op = op_types[j]
            if op not in SHAPE_SOURCES:
                if not all((g, name) in const for name in ins[j] if name):
                    continue
                if op not in PLUMBING_OPS and any((g, name) in heavy for name in ins[j] if name):
                    continue
            if any((g, name) in graph_outputs for name in outs[j]):
                continue
            done[j] = True
            changed = True
            const.update((g, name) for name in outs[j] if name)
            if op in PLUMBING_OPS and any((g, name) in heavy for name in ins[j] if name):
                heavy.update((g, name) for name in outs[j] if name)
    mask[cand[done]] = True
    return mask
