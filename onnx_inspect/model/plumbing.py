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
import pandas as pd

from .links import links
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
    # (op types by code: a model has a few dozen, so each test below runs once per op type)
    op_codes, op_names = pd.factorize(nodes["op_type"].to_numpy(dtype=object))
    op_names = op_names.tolist()

    def is_op(which: frozenset[str]) -> np.ndarray:
        return np.asarray([*(op in which for op in op_names), False], dtype=bool)[op_codes]  # (-1: no op)

    ops = PLUMBING_OPS | SHAPE_SOURCES | SIZE_OPS
    cand = np.flatnonzero(is_op(ops) & nodes["domain"].isin(_STANDARD_DOMAINS).to_numpy())
    if len(cand) == 0:
        return mask
    # nodes that open a body compute more than their inputs say
    subs = nodes["subgraphs"].to_numpy(dtype=object)[cand]
    imps = nodes["implicit_inputs"].to_numpy(dtype=object)[cand]
    opens = np.fromiter(map(bool, subs), bool, len(cand)) | np.fromiter(map(bool, imps), bool, len(cand))
    cand = cand[~opens]
    shape_src = is_op(SHAPE_SOURCES)[cand]
    passes = is_op(PLUMBING_OPS)[cand]  # may read a weight (and pass its weight-ness on)
    L = links(m)
    tensors = m.tensors
    n_t = len(tensors)
    # per tensor row, plus two sentinels: [-1] an omitted '' input (no constraint), [-2] an unknown name
    const = np.zeros(n_t + 2, dtype=bool)
    const[:n_t] = tensors["kind"].isin(_CONSTANT_KINDS).to_numpy()
    const[-1] = True
    nbytes = tensors["nbytes"].astype("Float64").fillna(np.inf).to_numpy(dtype=np.float64)
    is_float = tensors["dtype"].isin(_FLOAT_DTYPES).to_numpy()
    heavy = np.zeros(n_t + 2, dtype=bool)  # weights, and what parameter plumbing makes of them
    heavy[:n_t] = const[:n_t] & is_float & (nbytes > _WEIGHT_BYTES)
    g_out = np.zeros(n_t + 2, dtype=bool)
    out_graphs = [g for g, outs in enumerate(m.graphs["outputs"]) for _ in outs]
    out_rows = L.resolve(out_graphs, [name for outs in m.graphs["outputs"] for name in outs])
    g_out[out_rows[out_rows >= 0]] = True

    def segments(ptr: np.ndarray, rows: np.ndarray, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(segment of each entry, tensor rows) of the CSR entries of the candidate positions ``which``."""
        starts, ends = ptr[cand[which]], ptr[cand[which] + 1]
        counts = ends - starts
        seg = np.repeat(np.arange(len(which)), counts)
        idx = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(
            int(counts.sum())
        )
        return seg, rows[idx]

    def count(seg: np.ndarray, flags: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(seg, weights=flags, minlength=size) if len(seg) else np.zeros(size)

    # which candidates could ever qualify: every input not already constant must come from a candidate
    in_seg, in_rows = segments(L.in_ptr, L.ins, np.arange(len(cand)))
    from_cand = np.zeros(n_t + 2, dtype=bool)
    is_cand = np.zeros(n, dtype=bool)
    is_cand[cand] = True
    producer = np.concatenate([L.producer, [-1, -1]])
    from_cand[:n_t] = (producer[:n_t] >= 0) & is_cand[np.maximum(producer[:n_t], 0)]
    hopeless = count(in_seg, ~(const[in_rows] | from_cand[in_rows]), len(cand)) > 0
    out_seg, out_rows_c = segments(L.out_ptr, L.outs, np.arange(len(cand)))
    writes_output = count(out_seg, g_out[out_rows_c], len(cand)) > 0
    pending = np.flatnonzero((shape_src | ~hopeless) & ~writes_output)
    # nodes are usually in topological order, but plumbing chains settle one link per round; a
    # node's verdict depends only on its inputs once they are all constant, so the rounds reach the
    # same fixpoint as a sequential walk
    done = np.zeros(len(cand), dtype=bool)
    while len(pending):
        seg, rows = segments(L.in_ptr, L.ins, pending)
        not_const = count(seg, ~const[rows], len(pending))
        heavy_in = count(seg, heavy[rows], len(pending)) > 0
        now = shape_src[pending] | ((not_const == 0) & (passes[pending] | ~heavy_in))
        if not now.any():
            break
        ready = pending[now]
        done[ready] = True
        oseg, orows = segments(L.out_ptr, L.outs, ready)
        ok = orows >= 0
        const[orows[ok]] = True
        carry = (passes[ready] & heavy_in[now])[oseg]
        heavy[orows[ok & carry]] = True
        pending = pending[~now]
    mask[cand[done]] = True
    return mask
