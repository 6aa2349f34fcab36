"""What each node costs: parameters, multiply-accumulates (MACs), FLOPs and activation bytes; a static memory plan.

Pure model layer: shapes come from onnx shape inference (at load, or again with the concrete input sizes
given in ``dims=``), never from onnxruntime. Conventions (the ``basis`` column says which one a row used):

- MACs count multiply-accumulates of Conv/ConvTranspose/MatMul/Gemm/Einsum/attention (and their quantized
  forms); FLOPs = 2 x MACs plus the bias add, and for other ops a fixed count per element (below).
- ``params`` are the elements of a node's weight inputs (initializers and constants) holding floating or
  quantized (8/16/4-bit) values; integer shapes, axes and indices (int32/int64/bool), single-element constants and
  BatchNormalization's running mean/variance (statistics, as in PyTorch's parameter count) are not
  parameters. A weight read by several nodes counts in each node's row, and ONCE in ``totals``; so does a
  weight that is the exact transpose of another (a tied embedding the exporter folded into a second
  initializer): ``totals["tied_copies"]`` lists those.
- A count that needs a shape nobody knows is <NA> with the reason in ``basis``, never a silent 0.
- Subgraph (If/Loop/Scan) bodies are rows of their own, counted once: a Loop's trip count is not known
  statically, and both branches of an If are counted.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import onnx
import pandas as pd

from ..errors import InspectError
from .index import type_info
from .infer import infer, scan

Shape = tuple[int, ...]
DimsArg = Mapping[str, Any] | None

#: Elementwise ops with numpy-broadcast inputs (FLOPs per output element: 1).
_BINARY = (
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Mod",
    "Max",
    "Min",
    "Mean",
    "Sum",
    "Where",
    "Equal",
    "Less",
    "Greater",
    "LessOrEqual",
    "GreaterOrEqual",
    "And",
    "Or",
    "Xor",
    "BitShift",
)

#: FLOPs per output element of non-MAC ops (documented in ``basis``); ops not listed are unknown.
_PER_ELEMENT = {
    **dict.fromkeys(
        [
            *_BINARY,
            "Not",
            "Relu",
            "LeakyRelu",
            "PRelu",
            "Elu",
            "Selu",
            "Celu",
            "ThresholdedRelu",
            "Abs",
            "Neg",
            "Reciprocal",
            "Floor",
            "Ceil",
            "Round",
            "Sign",
            "Sqrt",
            "Exp",
            "Log",
            "Erf",
            "Sigmoid",
            "HardSigmoid",
            "HardSwish",
            "Tanh",
            "Softplus",
            "Softsign",
            "Sin",
            "Cos",
            "Tan",
            "Asin",
            "Acos",
            "Atan",
            "Sinh",
            "Cosh",
            "Asinh",
            "Acosh",
            "Atanh",
            "Clip",
            "IsNaN",
            "IsInf",
            "Shrink",
            "Mish",
            "BiasAdd",
            "QuickGelu",
            "QLinearAdd",
            "QLinearMul",
            "QLinearSigmoid",
            "QLinearLeakyRelu",
        ],
        1,
    ),
    **dict.fromkeys(["Gelu", "FastGelu", "BiasGelu", "Swish"], 8),
    **dict.fromkeys(["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"], 2),
    **dict.fromkeys(["BatchNormalization"], 2),
    **dict.fromkeys(
        [
            "LayerNormalization",
            "SimplifiedLayerNormalization",
            "SkipLayerNormalization",
            "SkipSimplifiedLayerNormalization",
            "InstanceNormalization",
            "GroupNormalization",
            "MeanVarianceNormalization",
            "RMSNormalization",
            "LpNormalization",
        ],
        5,
    ),
    **dict.fromkeys(["Softmax", "LogSoftmax", "Hardmax"], 5),
    **dict.fromkeys(["Resize", "Upsample"], 4),
}
#: Ops that reduce their (first) input: one FLOP per input element.
_REDUCE = frozenset(
    [
        "ReduceSum",
        "ReduceMean",
        "ReduceMax",
        "ReduceMin",
        "ReduceProd",
        "ReduceL1",
        "ReduceL2",
        "ReduceLogSum",
        "ReduceLogSumExp",
        "ReduceSumSquare",
        "ArgMax",
        "ArgMin",
        "GlobalAveragePool",
        "GlobalMaxPool",
        "GlobalLpPool",
        "CumSum",
        "TopK",
        "QLinearGlobalAveragePool",
    ]
)
#: Windowed pooling: kernel-size FLOPs per output element.
_POOL = frozenset(["MaxPool", "AveragePool", "LpPool", "QLinearAveragePool"])
#: Ops that move or make data without arithmetic.
_NO_MATH = frozenset(
    [
        "Reshape",
        "Transpose",
        "Concat",
        "Split",
        "Slice",
        "Gather",
        "GatherElements",
        "GatherND",
        "Scatter",
        "ScatterElements",
        "ScatterND",
        "Squeeze",
        "Unsqueeze",
        "Flatten",
        "Identity",
        "Constant",
        "ConstantOfShape",
        "Shape",
        "Size",
        "Cast",
        "CastLike",
        "Pad",
        "Expand",
        "Tile",
        "Range",
        "NonZero",
        "OneHot",
        "DepthToSpace",
        "SpaceToDepth",
        "EyeLike",
        "Dropout",
        "Compress",
        "ReverseSequence",
        "Trilu",
        "SequenceAt",
        "SequenceConstruct",
        "SequenceEmpty",
        "SequenceInsert",
        "SequenceLength",
        "SplitToSequence",
        "ConcatFromSequence",
        "Optional",
        "OptionalGetElement",
        "OptionalHasElement",
        "QLinearConcat",
    ]
)
_CONTROL = frozenset({"If", "Loop", "Scan"})
#: Integer dtypes that hold shapes, axes or indices rather than parameters.
_NOT_PARAM_DTYPES = frozenset({"int64", "int32", "uint32", "uint64", "bool", "str"})
#: (op, input slot) pairs whose int32 input IS a parameter (quantized biases).
_INT32_PARAM = frozenset({("QLinearConv", 8), ("ConvInteger", 2)})
#: (op, input slot) pairs that hold statistics, not trained parameters (BatchNormalization's running mean/var).
_NOT_PARAM_SLOTS = frozenset({("BatchNormalization", 3), ("BatchNormalization", 4)})
_BITS = {"bfloat16": 16, "int4": 4, "uint4": 4, "float4e2m1": 4, "int2": 2, "uint2": 2}

COLUMNS = [
    "op_type",
    "graph",
    "params",
    "macs",
    "flops",
    "input_bytes",
    "output_bytes",
    "weight_bytes",
    "basis",
]


@cache
def dtype_bits(dtype: str | None) -> int | None:
    """Storage bits per element of a dtype name from ``m.tensors`` (None for strings, sequences, unknown)."""
    if dtype is None:
        return None
    if dtype in _BITS:
        return _BITS[dtype]
    if dtype.startswith("float8"):
        return 8
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        return None
    return None if dt.kind in "OUS" else dt.itemsize * 8


def _known(shape: Any) -> bool:
    return shape is not None and all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape)


def _concrete(shape: Any) -> Shape | None:
    """The shape as a tuple of ints when every dim is known, else None."""
    if shape is None:
        return None
    try:
        out = tuple(int(d) for d in shape if d is not None and not isinstance(d, str))
    except (TypeError, ValueError):
        return None
    return out if len(out) == len(shape) and all(d >= 0 for d in out) else None


def _n(shape: Shape) -> int:
    return math.prod(int(d) for d in shape)


# -- shapes with concrete input sizes -----------------------------------------------------------------------
def input_sizes(m: Any, dims: DimsArg) -> dict[str, tuple[Any, ...] | None]:
    """Each main-graph input's shape with ``dims`` applied (keys as in ``oi.input_dims``: a dim name,
    ``"input[axis]"``, or an input name with its full shape); dims not given stay free (no default)."""
    if dims is not None and not isinstance(dims, Mapping):
        raise InspectError(f"dims must be a dict like {{'batch': 1}}, not {type(dims).__name__}")
    dims = dict(dims or {})
    declared = _declared_inputs(m)
    used: set[str] = set()
    out: dict[str, tuple[Any, ...] | None] = {}
    for name, shape in declared.items():
        if name in dims:
            full = dims[name]
            if full is None:
                out[name] = shape
                used.add(name)
                continue
            try:
                out[name] = tuple(_size(v, f"dims['{name}']") for v in full)
            except TypeError:
                raise InspectError(
                    f"dims['{name}'] = {full!r} must be the full shape of input '{name}'"
                ) from None
            used.add(name)
            continue
        if shape is None:
            out[name] = None
            continue
        new = []
        for ax, d in enumerate(shape):
            key_ax = f"{name}[{ax}]"
            if isinstance(d, str) and d in dims:
                new.append(_size(dims[d], f"dims['{d}']"))
                used.add(d)
            elif key_ax in dims:
                new.append(_size(dims[key_ax], f"dims['{key_ax}']"))
                used.add(key_ax)
            else:
                new.append(d)
        out[name] = tuple(new)
    unknown = sorted(set(dims) - used)
    if unknown:
        symbols = sorted({d for s in declared.values() if s for d in s if isinstance(d, str)})
        raise InspectError(
            f"dims names {unknown}, which are neither inputs nor free dims of the model; "
            f"inputs: {list(declared)}, symbolic dims: {symbols}"
        )
    return out


def _declared_inputs(m: Any) -> dict[str, tuple[Any, ...] | None]:
    """Main-graph inputs (not initializers) with their declared dims: int, the dim's name (as the
    ``dims=`` key, also onnx's own ``unk__N``) or None."""
    g = m.proto.graph
    inits = {t.name for t in g.initializer}
    out: dict[str, tuple[Any, ...] | None] = {}
    for vi in g.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type") or not tt.HasField("shape"):
            out[vi.name] = None
            continue
        out[vi.name] = tuple(
            d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tt.shape.dim
        )
    return out


def _size(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise InspectError(f"{what} = {v!r} must be an int >= 0")
    return int(v)


def concrete_shapes(m: Any, dims: DimsArg = None) -> dict[str, Any]:
    """Tensor id -> shape with ``dims`` applied: onnx inference run again with those input sizes (main
    graph), merged per dim with the load-time shapes, whose symbolic dims (names, or expressions like
    ``'batch*sequence'`` from ``oi.symbolic_shapes``) are evaluated with ``dims``. Cached per model and dims."""
    shapes: dict[str, Any] = dict(zip(m.tensors.index, m.tensors["shape"], strict=True))
    if not dims:
        return shapes
    sizes = input_sizes(m, dims)
    symbols = {
        k: int(v) for k, v in dims.items() if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
    }
    key = (tuple(sorted((k, str(v)) for k, v in sizes.items())), tuple(sorted(symbols.items())))
    cache = m.__dict__.setdefault("_cost_shapes", {})
    stamp = (id(m.tensors), tuple(m.tensors["shape_source"].value_counts(dropna=False).items()))
    if key in cache and cache[key][0] == stamp:
        return cache[key][1]
    inferred = _reinfer(m, sizes)
    out: dict[str, Any] = {}
    for tid, shape in shapes.items():
        evaluated = None if shape is None else tuple(_eval_dim(d, symbols) for d in shape)
        again = inferred.get(tid)
        if again is None:
            out[tid] = evaluated
        elif evaluated is None or len(evaluated) != len(again):
            out[tid] = again
        else:
            out[tid] = tuple(a if isinstance(a, int) else e for a, e in zip(again, evaluated, strict=True))
    if len(cache) > 8:
        cache.clear()
    cache[key] = (stamp, out)
    return out


def _reinfer(m: Any, sizes: Mapping[str, tuple[Any, ...] | None]) -> dict[str, Any]:
    """Main-graph tensor id -> shape from onnx inference with these input sizes (guarded, see infer.py)."""
    proto = _light_copy(m.proto)
    for vi in proto.graph.input:
        new = sizes.get(vi.name)
        if new is None or not vi.type.HasField("tensor_type"):
            continue
        tshape = vi.type.tensor_type.shape
        tshape.Clear()
        for d in new:
            dim = tshape.dim.add()
            if isinstance(d, (int, np.integer)):
                dim.dim_value = int(d)
            elif isinstance(d, str):
                dim.dim_param = d
    del proto.graph.value_info[:]
    for o in proto.graph.output:  # declared output dims may contradict the new sizes: let inference say
        if o.type.HasField("tensor_type"):
            o.type.tensor_type.ClearField("shape")
    _, risk = scan(proto)
    g = infer(proto, None, risk).proto.graph
    by_name = m._index.by_name
    out: dict[str, Any] = {}
    for vi in (*g.value_info, *g.output):
        tid = by_name.get(("", vi.name))
        if tid is not None:
            _, shape = type_info(vi.type)
            if shape is not None:
                out[tid] = shape
    for name, shape in sizes.items():
        tid = by_name.get(("", name))
        if tid is not None and shape is not None:
            out[tid] = shape
    return out


_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Div: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_FUNCS: dict[str, Callable[..., int]] = {
    "floor": lambda x: x,
    "ceil": lambda x: x,
    "max": max,
    "min": min,
    "Max": max,
    "Min": min,
}


def _eval_dim(d: Any, symbols: Mapping[str, int]) -> Any:
    """A dim with symbols replaced by their sizes: an int when the expression evaluates, else unchanged."""
    if not isinstance(d, str) or not symbols or len(d) > 200:
        return d
    if d in symbols:
        return symbols[d]
    try:
        v = _eval(ast.parse(d, mode="eval").body, symbols)
    except (SyntaxError, ValueError, KeyError, ZeroDivisionError, RecursionError, TypeError):
        return d
    return v if isinstance(v, int) and v >= 0 else d


def _eval(node: ast.AST, symbols: Mapping[str, int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        return symbols[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_eval(node.left, symbols), _eval(node.right, symbols))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, symbols)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
        return _FUNCS[node.func.id](*(_eval(a, symbols) for a in node.args))
    raise ValueError("not a size expression")


def _light_copy(proto: onnx.ModelProto) -> onnx.ModelProto:
    """A copy for shape inference without the bytes of large non-integer weights (dims and types stay)."""
    out = onnx.ModelProto()
    out.CopyFrom(proto)
    for t in out.graph.initializer:
        if t.data_type not in (onnx.TensorProto.INT64, onnx.TensorProto.INT32) and t.ByteSize() > 4096:
            t.ClearField("raw_data")
            for f in ("float_data", "double_data", "int32_data", "int64_data", "uint64_data"):
                t.ClearField(f)
            t.data_location = onnx.TensorProto.EXTERNAL
            del t.external_data[:]
            e = t.external_data.add()
            e.key, e.value = "location", "stripped-for-costs"
    return out


# -- per-node counts ------------------------------------------------------------------------------------------
class _Node:
    """What a cost rule needs: attributes, input/output shapes (concrete or None) and dtypes."""

    def __init__(self, proto: onnx.NodeProto, ins: list[Any], outs: list[Any]) -> None:
        self.proto = proto
        self.op = proto.op_type
        self.ins = ins
        self.outs = outs
        self._attrs: dict[str, Any] | None = None

    @property
    def attrs(self) -> dict[str, Any]:
        """Attribute values by name, decoded on first use (most rules need none)."""
        if self._attrs is None:
            self._attrs = {a.name: onnx.helper.get_attribute_value(a) for a in self.proto.attribute}
        return self._attrs

    def i(self, k: int) -> Shape | None:
        return self.ins[k] if k < len(self.ins) else None

    def o(self, k: int = 0) -> Shape | None:
        return self.outs[k] if k < len(self.outs) else None

    def has(self, k: int) -> bool:
        return k < len(self.proto.input) and bool(self.proto.input[k])


class _Unknown(Exception):
    """A count needs a shape that is not known: the message says which."""


def _need(shape: Shape | None, what: str) -> Shape:
    if shape is None:
        raise _Unknown(f"unknown: shape of {what} not known (pass dims=)")
    return shape


def _conv(n: _Node, w: int) -> tuple[int, int, str]:
    out = _need(n.o(), "the output")
    wshape = _need(n.i(w), "the weight")
    macs = _n(out) * _n(wshape[1:])
    bias = _n(out) if n.has(w + 2 if n.op == "QLinearConv" else 2) and n.op != "ConvInteger" else 0
    return macs, 2 * macs + bias, "conv: output elements x (C/group x kernel)" + (" + bias" if bias else "")


def _conv_transpose(n: _Node) -> tuple[int, int, str]:
    x = _need(n.i(0), "input X")
    wshape = _need(n.i(1), "the weight")
    macs = _n(x) * _n(wshape[1:])
    bias = _n(_need(n.o(), "the output")) if n.has(2) else 0
    return macs, 2 * macs + bias, "conv-transpose: input elements x (M/group x kernel)"


def _matmul(n: _Node, a: int) -> tuple[int, int, str]:
    ash = _need(n.i(a), "input A")
    out = _need(n.o(), "the output")
    k = ash[-1] if ash else 1
    if n.op == "FusedMatMul" and n.attrs.get("transA") and len(ash) >= 2:
        k = ash[-2]
    macs = _n(out) * k
    return macs, 2 * macs, "matmul: output elements x K"


def _gemm(n: _Node) -> tuple[int, int, str]:
    ash = _need(n.i(0), "input A")
    out = _need(n.o(), "the output")
    k = ash[0] if n.attrs.get("transA") else ash[-1]
    macs = _n(out) * k
    bias = _n(out) if n.has(6 if n.op == "QGemm" else 2) else 0
    return macs, 2 * macs + bias, "gemm: M x N x K" + (" + C" if bias else "")


def _einsum(n: _Node) -> tuple[int, int, str]:
    eq = n.attrs.get("equation", b"")
    eq = (eq.decode() if isinstance(eq, bytes) else str(eq)).replace(" ", "")
    lhs = eq.split("->")[0].split(",")
    if "." in eq or len(lhs) != len(n.proto.input):
        raise _Unknown("unknown: Einsum with ellipsis or mismatched operands has no cost rule")
    sizes: dict[str, int] = {}
    for term, k in zip(lhs, range(len(lhs)), strict=True):
        shape = _need(n.i(k), f"Einsum operand {k}")
        for letter, d in zip(term, shape, strict=False):
            sizes[letter] = max(sizes.get(letter, 1), d)
    macs = math.prod(sizes.values()) * max(len(lhs) - 1, 1)
    return macs, 2 * macs, "einsum: product of all index sizes x (operands - 1)"


def _attention(n: _Node) -> tuple[int, int, str]:
    """com.microsoft Attention (packed QKV projection + softmax(QK^T)V) and MultiHeadAttention."""
    if n.op == "Attention":
        x = _need(n.i(0), "input")
        w = _need(n.i(1), "the QKV weight")
        b, s = x[0], x[1]
        hidden = w[1] // 3
        total = s
        if n.has(4) and n.i(4) is not None:  # past: (2, batch, heads, past_seq, head_size)
            total += n.i(4)[3]  # type: ignore[index]
        proj = b * s * w[0] * w[1]
        att = 2 * b * s * total * hidden
        macs = proj + att
        return (
            macs,
            2 * macs + 5 * b * s * total * int(n.attrs.get("num_heads", 1)),
            ("attention: QKV projection + QK^T + softmax + AV"),
        )
    q = _need(n.i(0), "query")
    out = _need(n.o(), "the output")
    k = n.i(1)
    if k is None or len(q) != 3:
        raise _Unknown("unknown: MultiHeadAttention with packed or unknown key has no cost rule")
    b, s, hidden = q
    total = k[1] if len(k) == 3 else k[2]
    macs = b * s * total * hidden + _n(out) * total
    return macs, 2 * macs, "multi-head attention: QK^T + AV (projections are their own nodes)"


def count(n: _Node) -> tuple[int | None, int | None, str]:
    """(MACs, FLOPs, basis) of one node from its concrete shapes; None counts with the reason as basis."""
    op = n.op
    try:
        if op in ("Conv", "ConvInteger"):
            return _conv(n, 1)
        if op == "QLinearConv":
            return _conv(n, 3)
        if op == "ConvTranspose":
            return _conv_transpose(n)
        if op in ("MatMul", "MatMulInteger", "FusedMatMul", "MatMulNBits", "DynamicQuantizeMatMul"):
            if op == "MatMulNBits":
                out = _need(n.o(), "the output")
                macs = _n(out) * int(n.attrs.get("K", 0))
                return macs, 2 * macs, "matmul (n-bit weights): output elements x K"
            return _matmul(n, 0)
        if op in ("QLinearMatMul", "MatMulIntegerToFloat"):
            return _matmul(n, 0)
        if op in ("Gemm", "QGemm"):
            return _gemm(n)
        if op == "Einsum":
            return _einsum(n)
        if op in ("Attention", "MultiHeadAttention") and n.proto.domain == "com.microsoft":
            return _attention(n)
        if op in _NO_MATH:
            return 0, 0, "no arithmetic (moves or makes data)"
        if op in _CONTROL:
            return 0, 0, "control flow: body nodes are rows of their own, counted once per call"
        if op in _POOL:
            out = _need(n.o(), "the output")
            kernel = n.attrs.get("kernel_shape") or []
            per = math.prod(int(k) for k in kernel) if kernel else 1
            return 0, _n(out) * per, f"pooling: output elements x kernel ({per})"
        if op in ("LSTM", "GRU", "RNN", "DynamicQuantizeLSTM"):
            x = _need(n.i(0), "input X")
            w, r = _need(n.i(1), "the input weights W"), _need(n.i(2), "the recurrence weights R")
            macs = x[0] * x[1] * (_n(w) + _n(r))
            return (
                macs,
                2 * macs,
                "recurrent: steps x batch x (W + R elements), gates' elementwise work left out",
            )
        if op == "LRN":
            out = _need(n.o(), "the output")
            size = int(n.attrs.get("size", 1))
            return 0, _n(out) * (size + 3), f"LRN: size + 3 ({size + 3}) FLOPs per output element"
        if op in _REDUCE:
            x = _need(n.i(0), "the input")
            return 0, _n(x), "reduction: 1 FLOP per input element"
        per_element = _PER_ELEMENT.get(op)
        if per_element is not None:
            per = per_element
            out = _need(n.o(), "the output")
            extra = (
                max(len([s for s in n.proto.input if s]) - 2, 0) if op in ("Sum", "Max", "Min", "Mean") else 0
            )
            return 0, _n(out) * (per + extra), f"elementwise: {per} FLOP per output element"
    except _Unknown as why:
        return None, None, str(why)
    return None, None, f"unknown: no cost rule for {op}" + (f" ({n.proto.domain})" if n.proto.domain else "")


# -- shapes onnx inference left unknown: the simple cases, exact when the inputs are known ------------------
_SAME_SHAPE = frozenset(
    {op for op, per in _PER_ELEMENT.items() if op not in ("Resize", "Upsample")}
    | {"Cast", "CastLike", "Identity", "Dropout", "QLinearSigmoid", "QLinearLeakyRelu", "Trilu"}
)
_BROADCAST = frozenset({*_BINARY, "PRelu"})
_QLINEAR_BINARY = frozenset({"QLinearAdd", "QLinearMul"})


def _broadcast(shapes: Sequence[Shape]) -> Shape | None:
    """numpy broadcasting of known shapes (None when they do not broadcast)."""
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for k in range(rank):
        sizes = {s[len(s) - rank + k] for s in shapes if len(s) - rank + k >= 0}
        big = sizes - {1}
        if len(big) > 1:
            return None
        out.append(big.pop() if big else 1)
    return tuple(out)


def _derive(n: _Node) -> Shape | None:
    """The first output's shape from known input shapes for elementwise, MatMul, Gemm and Transpose ops."""
    op = n.op
    ins = [n.i(k) for k in range(len(n.ins)) if n.has(k)]
    if op in _QLINEAR_BINARY and n.i(0) is not None and n.i(4) is not None:
        return _broadcast([n.i(0), n.i(4)])  # type: ignore[list-item]
    if op in _BROADCAST:
        known = [s for s in ins if s is not None]
        return _broadcast(known) if ins and len(known) == len(ins) else None
    if op in _SAME_SHAPE:
        return n.i(0)
    if op in ("MatMul", "FusedMatMul", "MatMulInteger", "QLinearMatMul"):
        a, b = n.i(0), n.i(3 if op == "QLinearMatMul" else 1)
        if a is None or b is None or len(a) < 2 or len(b) < 2:
            return None
        batch = _broadcast([a[:-2], b[:-2]])
        return None if batch is None else (*batch, a[-2], b[-1])
    if op in ("Gemm", "QGemm"):
        a, b = n.i(0), n.i(3 if op == "QGemm" else 1)
        if a is None or b is None or len(a) != 2 or len(b) != 2:
            return None
        return (a[1] if n.attrs.get("transA") else a[0], b[0] if n.attrs.get("transB") else b[1])
    if op == "MultiHeadAttention":
        q, v = n.i(0), n.i(2)
        return (q[0], q[1], v[2]) if q is not None and v is not None and len(q) == 3 and len(v) == 3 else None
    if op == "Transpose":
        x = n.i(0)
        if x is None:
            return None
        perm = n.attrs.get("perm") or list(range(len(x)))[::-1]
        return tuple(x[int(p)] for p in perm) if sorted(perm) == list(range(len(x))) else None
    return None


#: Largest integer value (elements) the shape-value propagation keeps: shapes, axes, small index vectors.
_MAX_VALUE = 1024
_VALUE_OPS = frozenset(
    [
        "Shape",
        "Size",
        "Constant",
        "Gather",
        "Unsqueeze",
        "Squeeze",
        "Concat",
        "Cast",
        "Mul",
        "Add",
        "Sub",
        "Div",
        "Equal",
        "Where",
        "Not",
        "Less",
        "Greater",
        "Min",
        "Max",
        "Slice",
        "ConstantOfShape",
        "Range",
        "Reshape",
        "Expand",
        "Identity",
        "Neg",
        "Abs",
        "ReduceProd",
    ]
)


class _Values:
    """Small integer values (shape arithmetic: Shape -> Gather -> Concat -> Reshape/Expand), computed with
    numpy where onnx's data propagation stops (it has no Where/Equal), so dynamic exports get shapes."""

    def __init__(self, m: Any) -> None:
        self.m = m
        self.known: dict[str, np.ndarray] = {}
        t = m.tensors
        self.names = dict(zip(t.index, t["name"], strict=True))
        self.graphs = dict(zip(t.index, t["graph"], strict=True))
        self.weights = {
            tid
            for tid, kind, dtype, nb in zip(
                t.index.tolist(), t["kind"].tolist(), t["dtype"].tolist(), t["nbytes"].tolist(), strict=True
            )
            if kind in ("initializer", "constant")
            and dtype in ("int64", "int32")
            and nb is not pd.NA
            and nb is not None
            and int(nb) <= 8 * _MAX_VALUE
        }

    def get(self, tid: str | None) -> np.ndarray | None:
        if tid is None:
            return None
        v = self.known.get(tid)
        if v is None and tid in self.weights:
            self.weights.discard(tid)
            src = self.m._index.weights.get(tid)
            try:
                if isinstance(src, onnx.TensorProto) and not src.external_data:
                    v = onnx.numpy_helper.to_array(src)  # the fast path: an inline initializer
                else:
                    v = np.asarray(self.m.weight(self.names[tid], self.graphs[tid]))
            except Exception:  # a damaged constant: no value, the count says unknown
                return None
            self.known[tid] = v
        return v

    def step(self, n: _Node, in_ids: list[str | None], out_ids: list[str | None]) -> None:
        """Compute the node's first output value when its inputs' values (or, for Shape, shape) are known."""
        if n.op not in _VALUE_OPS or not out_ids or out_ids[0] is None:
            return
        vals = [self.get(t) for t in in_ids]
        try:
            v = _value(n, vals)
        except (ValueError, IndexError, TypeError, OverflowError, ZeroDivisionError, MemoryError):
            return
        if v is not None and v.size <= _MAX_VALUE and v.dtype.kind in "iub":
            self.known[out_ids[0]] = v


def _value(n: _Node, vals: list[Any]) -> np.ndarray | None:
    """The value of a shape-arithmetic node's first output from its inputs' values (numpy, small)."""
    op, a = n.op, n.attrs
    if op in ("Shape", "Size"):
        shp = n.i(0)
        if shp is None:
            return None
        if op == "Size":
            return np.array(_n(shp), dtype=np.int64)
        start, end = int(a.get("start", 0)), a.get("end")
        return np.array(shp[start : None if end is None else int(end)], dtype=np.int64)
    if op == "Constant":
        v = a.get("value")
        if isinstance(v, onnx.TensorProto):
            return onnx.numpy_helper.to_array(v)
        if "value_int" in a or "value_ints" in a:
            return np.array(a.get("value_int", a.get("value_ints")), dtype=np.int64)
        return None
    if op == "ConstantOfShape":
        if vals[0] is None:
            return None
        fill = a.get("value")
        f = onnx.numpy_helper.to_array(fill).ravel() if isinstance(fill, onnx.TensorProto) else np.zeros(1)
        shape = tuple(int(d) for d in vals[0].ravel())
        return (
            np.full(shape, f[0] if f.size else 0, dtype=f.dtype) if math.prod(shape) <= _MAX_VALUE else None
        )
    if any(v is None for v, k in zip(vals, range(len(vals)), strict=True) if n.has(k)):
        return None
    x: Any = vals[0]
    if op in ("Identity", "Neg", "Abs", "Not"):
        return {"Identity": x, "Neg": -x, "Abs": np.abs(x), "Not": np.logical_not(x)}[op]
    if op == "Cast":
        to = onnx.helper.tensor_dtype_to_np_dtype(int(a["to"]))
        return x.astype(to)
    if op in ("Mul", "Add", "Sub", "Div", "Equal", "Less", "Greater", "Min", "Max"):
        y = vals[1]
        if op == "Div":
            return (np.trunc(x / y)).astype(np.result_type(x, y)) if x.dtype.kind in "iu" else x / y
        fn: Any = {"Mul": np.multiply, "Add": np.add, "Sub": np.subtract, "Equal": np.equal, "Less": np.less,
                   "Greater": np.greater, "Min": np.minimum, "Max": np.maximum}[op]  # fmt: skip
        return np.asarray(fn(x, y))
    if op == "Where":
        return np.where(x, vals[1], vals[2])
    if op == "Gather":
        return np.take(x, vals[1].astype(np.int64), axis=int(a.get("axis", 0)))
    if op == "Unsqueeze":
        axes: Any = a.get("axes") if "axes" in a else vals[1].tolist()
        out = x
        for ax in sorted(int(k) % (x.ndim + len(axes)) for k in axes):
            out = np.expand_dims(out, ax)
        return out
    if op == "Squeeze":
        axes = (
            a.get("axes")
            if "axes" in a
            else (vals[1].tolist() if len(vals) > 1 and vals[1] is not None else None)
        )
        return np.squeeze(x, axis=None if axes is None else tuple(int(k) for k in axes))
    if op == "Concat":
        return np.concatenate([np.atleast_1d(v) for v in vals if v is not None], axis=int(a.get("axis", 0)))
    if op == "Slice":
        starts, ends = vals[1].tolist(), vals[2].tolist()
        axes = vals[3].tolist() if n.has(3) else list(range(len(starts)))
        steps = vals[4].tolist() if n.has(4) else [1] * len(starts)
        index = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps, strict=True):
            index[int(ax)] = slice(int(st), int(en), int(sp))
        return x[tuple(index)]
    if op == "Range":
        return np.arange(x.item(), vals[1].item(), vals[2].item())
    if op == "Reshape":
        return x.reshape(_reshape_target(x.shape, vals[1]))
    if op == "Expand":
        return np.broadcast_to(x, _broadcast([x.shape, tuple(int(d) for d in vals[1])]) or ()).copy()
    if op == "ReduceProd":
        return np.array(np.prod(x), dtype=x.dtype)
    return None


def _reshape_target(shape: Sequence[int], target: np.ndarray) -> Shape:
    """Reshape's output shape: 0 copies the input dim, -1 takes what is left."""
    out = [int(shape[k]) if int(d) == 0 and k < len(shape) else int(d) for k, d in enumerate(target.ravel())]
    if out.count(-1) == 1:
        rest = math.prod(d for d in out if d != -1)
        out[out.index(-1)] = _n(tuple(shape)) // rest if rest else 0
    return tuple(out)


def _derive_with_values(n: _Node, vals: list[np.ndarray | None]) -> Shape | None:
    """Output shapes of ops whose shape is an input's value (Expand, Reshape, ConstantOfShape, Tile, ...)."""
    op, a = n.op, n.attrs
    x = n.i(0)
    v1 = vals[1] if len(vals) > 1 else None
    if op == "Expand" and x is not None and v1 is not None:
        return _broadcast([x, tuple(int(d) for d in v1.ravel())])
    if op == "Reshape" and x is not None and v1 is not None:
        return _reshape_target(x, v1)
    if op == "ConstantOfShape" and vals and vals[0] is not None:
        return tuple(int(d) for d in vals[0].ravel())
    if op == "Tile" and x is not None and v1 is not None:
        return tuple(d * int(r) for d, r in zip(x, v1.ravel(), strict=True))
    if op in ("Unsqueeze", "Squeeze") and x is not None:
        axes = a.get("axes") if "axes" in a else (v1.tolist() if v1 is not None else None)
        if axes is None:
            return tuple(d for d in x if d != 1) if op == "Squeeze" else None
        if op == "Squeeze":
            drop = {int(k) % len(x) for k in axes}
            return tuple(d for k, d in enumerate(x) if k not in drop)
        out = list(x)
        for ax in sorted(int(k) % (len(x) + len(axes)) for k in axes):
            out.insert(ax, 1)
        return tuple(out)
    if op == "GatherElements":
        return n.i(1)
    if op == "Gather" and x is not None and n.i(1) is not None:
        ax = int(a.get("axis", 0)) % len(x)
        idx: Shape = n.i(1) or ()
        return (*x[:ax], *idx, *x[ax + 1 :])
    if op == "Concat":
        maybe = [n.i(k) for k in range(len(n.ins)) if n.has(k)]
        parts = [p for p in maybe if p is not None]
        if not parts or len(parts) != len(maybe):
            return None
        ax = int(a.get("axis", 0)) % len(parts[0])
        first = list(parts[0])
        first[ax] = sum(p[ax] for p in parts)
        return tuple(first)
    if op == "Flatten" and x is not None:
        ax = int(a.get("axis", 1)) % (len(x) + 1)
        return (_n(x[:ax]), _n(x[ax:]))
    if op == "Slice" and x is not None and all(v is not None for v in vals[1:3]):
        dummy = np.empty(x, dtype=np.bool_) if _n(x) <= 1 << 24 else None
        if dummy is None:
            return None
        got = _value(n, [dummy, *vals[1:]])
        return None if got is None else tuple(got.shape)
    return None


# -- the table ------------------------------------------------------------------------------------------------
def _resolver(m: Any) -> Any:
    """Tensor id -> id of the value itself (outer references of bodies followed to their source)."""
    outer = m.tensors["outer_ref"]
    refs = {tid: r for tid, r in outer.items() if r is not None}

    def resolve(tid: str | None) -> str | None:
        seen = 0
        while tid in refs and seen < 64:
            tid, seen = refs[tid], seen + 1
        return tid

    return resolve


def _is_param(kind: str, dtype: str | None, op: str, slot: int, shape: Any) -> bool:
    if kind not in ("initializer", "constant") or (op, slot) in _NOT_PARAM_SLOTS:
        return False
    if dtype in _NOT_PARAM_DTYPES and not (dtype == "int32" and (op, slot) in _INT32_PARAM):
        return False
    # single-element constants are exporter scalars (GELU's 0.5, attention's 1/sqrt(d)), not parameters
    return shape is not None and len(shape) > 0 and not (_known(shape) and _n(shape) <= 1)


def node_costs(m: Any, dims: DimsArg = None) -> pd.DataFrame:
    """Per node (index = node id): op_type, graph, params, macs, flops, input/output/weight bytes, basis.

    ``attrs["totals"]`` holds the model totals (shared weights counted once); see the module docstring.
    """
    return _costs(m, dims)[0]


def _costs(m: Any, dims: DimsArg) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The cost table and the shapes it used; cached per model, dims and shapes table (a copy is returned)."""
    key = (
        repr(sorted((str(k), repr(v)) for k, v in (dims or {}).items()))
        if dims is None or isinstance(dims, Mapping)
        else None
    )
    cache = m.__dict__.setdefault("_cost_tables", {})
    hit = cache.get(key) if key is not None else None
    # fill_shapes (a profile, oi.symbolic_shapes) edits m.tensors in place and marks the rows it filled
    stamp = (id(m.tensors), tuple(m.tensors["shape_source"].value_counts(dropna=False).items()))
    if hit is not None and hit[0] == stamp:
        df = hit[1].copy()
        df.attrs = {**hit[1].attrs}
        return df, hit[2]
    df, shapes = _compute(m, dims)
    if key is not None:
        if len(cache) > 4:
            cache.clear()
        cache[key] = (stamp, df, shapes)
        df = df.copy()
        df.attrs = {**cache[key][1].attrs}
    return df, shapes


def _compute(m: Any, dims: DimsArg) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The cost table and the shapes it used (onnx's, evaluated with ``dims``, plus simple derived ones)."""
    # concrete shapes (tuples of ints) or None: what every count and byte size needs, checked once per value
    shapes = {tid: _concrete(s) for tid, s in concrete_shapes(m, dims).items()}
    t = m.tensors
    dtypes = dict(zip(t.index.tolist(), t["dtype"].tolist(), strict=True))
    kinds = dict(zip(t.index.tolist(), t["kind"].tolist(), strict=True))
    protos = m._index.node_protos
    derived_n = 0
    values = _Values(m)
    resolve = _resolver(m)
    by_name = m._index.by_name
    nodes = m.nodes
    rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    weight_of: dict[str, int] = {}
    unknown_bytes = 0
    for nid, op, graph, ins, outs in zip(
        nodes.index.tolist(),
        nodes["op_type"].tolist(),
        nodes["graph"].tolist(),
        nodes["inputs"].tolist(),
        nodes["outputs"].tolist(),
        strict=True,
    ):
        in_ids = [resolve(by_name.get((graph, x))) if x else None for x in ins]
        out_ids = [by_name.get((graph, x)) if x else None for x in outs]
        in_shapes = [shapes.get(x) if x else None for x in in_ids]
        out_shapes = [shapes.get(x) if x else None for x in out_ids]
        node = _Node(protos[nid], in_shapes, out_shapes)
        values.step(node, in_ids, out_ids)
        if out_ids and out_ids[0] is not None and node.o() is None:
            known = values.known.get(out_ids[0])
            derived = (
                tuple(known.shape)
                if known is not None
                else _derive(node) or _derive_with_values(node, [values.get(x) for x in in_ids])
            )
            if derived is not None:
                shapes[out_ids[0]] = out_shapes[0] = derived
                derived_n += 1
        macs, flops, basis = count(node)
        params = 0
        wbytes: int | None = 0
        abytes: int | None = 0
        for slot, (tid, shape) in enumerate(zip(in_ids, in_shapes, strict=True)):
            if tid is None:
                continue
            nb = _nbytes(shape, dtypes.get(tid))
            if _is_param(kinds[tid], dtypes.get(tid), op, slot, shape):
                if shape is not None and _known(shape):
                    weight_of[tid] = _n(shape)
                    params += _n(shape)
                wbytes = None if wbytes is None or nb is None else wbytes + nb
            elif kinds[tid] not in ("initializer", "constant"):
                abytes = None if abytes is None or nb is None else abytes + nb
        obytes: int | None = 0
        for tid, shape in zip(out_ids, out_shapes, strict=True):
            if tid is None:
                continue
            nb = _nbytes(shape, dtypes.get(tid))
            obytes = None if obytes is None or nb is None else obytes + nb
        unknown_bytes += abytes is None or obytes is None
        for col, v in zip(
            COLUMNS,
            (op, graph, params, macs, flops, abytes, obytes, wbytes, basis),
            strict=True,
        ):
            rows[col].append(v)
    index = pd.Index(nodes.index, name="id", dtype=object)
    df = pd.DataFrame(rows, index=index)
    for col in ("op_type", "graph", "basis"):
        df[col] = df[col].astype(object)
    for col in ("params", "macs", "flops", "input_bytes", "output_bytes", "weight_bytes"):
        df[col] = df[col].astype("Int64")
    unknown = df["basis"].str.startswith("unknown")
    copies = _transposed_copies(m, weight_of, shapes, dtypes)
    df.attrs["totals"] = {
        "params": int(sum(n for tid, n in weight_of.items() if tid not in copies)),
        "tied_copies": copies,
        "params_node_sum": int(df["params"].sum()),
        "macs": int(df["macs"].sum()),
        "flops": int(df["flops"].sum()),
        "weight_bytes": int(sum(_nbytes(shapes.get(tid), dtypes.get(tid)) or 0 for tid in weight_of)),
        "nodes": len(df),
        "unknown_nodes": int(unknown.sum()),
        "unknown_ops": sorted(set(df.loc[unknown, "op_type"])),
        "shapes_derived": derived_n,
        "dims": dict(dims or {}),
    }
    return df, shapes


#: Sampled entries compared before two weights are compared in full.
_SAMPLE = 16


def _transposed_copies(
    m: Any, weight_of: Mapping[str, int], shapes: Mapping[str, Any], dtypes: Mapping[str, Any]
) -> dict[str, str]:
    """Weights that are the exact transpose of another weight: ``{copy: original}``.

    Exporters constant-fold the Transpose of a tied weight (GPT-2's embedding reused as the LM head) into a
    second initializer; it is the same parameter, so totals count it once. Only non-square 2-D pairs are
    checked (tied embeddings are vocab x hidden): a few sampled entries first, then the whole tensors.
    """
    by_key: dict[tuple[Any, ...], list[str]] = {}
    for tid in weight_of:
        shp = shapes.get(tid)
        if shp is not None and len(shp) == 2 and shp[0] != shp[1]:
            by_key.setdefault((dtypes.get(tid), *sorted(shp)), []).append(tid)
    names = m.tensors["name"]
    graphs = m.tensors["graph"]
    out: dict[str, str] = {}
    for tids in by_key.values():
        if len(tids) < 2:
            continue
        for k, a in enumerate(tids):
            for b in tids[k + 1 :]:
                if a in out or b in out or shapes[a] != shapes[b][::-1]:
                    continue
                try:
                    wa = np.asarray(m.weight(names[a], graphs[a]))
                    wb = np.asarray(m.weight(names[b], graphs[b]))
                except InspectError:
                    continue
                rows = np.linspace(0, wa.shape[0] - 1, _SAMPLE).astype(int)
                cols = np.linspace(0, wa.shape[1] - 1, _SAMPLE).astype(int)
                if np.array_equal(wa[rows, cols], wb[cols, rows]) and np.array_equal(wa, wb.T):
                    # the copy is the one a node made for one use; keep the first as the original
                    out[b] = a
    return out


def _nbytes(shape: Any, dtype: str | None) -> int | None:
    bits = dtype_bits(dtype)
    if bits is None or not _known(shape):
        return None
    return (_n(shape) * bits + 7) // 8


def totals_text(df: pd.DataFrame) -> str:
    """One line: params, GMACs, GFLOPs and how many nodes have no count."""
    tot = df.attrs.get("totals") or {}
    line = (
        f"{tot.get('params', 0) / 1e6:,.2f} M params, {tot.get('macs', 0) / 1e9:,.3f} GMACs, "
        f"{tot.get('flops', 0) / 1e9:,.3f} GFLOPs"
    )
    if tot.get("unknown_nodes"):
        line += f"; {tot['unknown_nodes']} node(s) without a count ({', '.join(tot['unknown_ops'][:6])})"
    return line


# -- static memory plan ---------------------------------------------------------------------------------------
def memory_plan(m: Any, dims: DimsArg = None) -> pd.DataFrame:
    """Each main-graph activation's lifetime in execution order (``m.nodes`` order): first step (its
    producer; -1 for graph inputs), last step (its last consumer; the end for graph outputs), bytes.

    ``attrs``: ``peak_bytes`` (live bytes at the worst step, a lower bound when sizes are unknown),
    ``peak_step`` and ``peak_node``, ``live`` (bytes per step), ``unknown`` (activations of unknown size).
    Weights are not activations and are left out; a subgraph's values live inside their owner's step.
    """
    shapes = _costs(m, dims)[1]
    nodes = m.nodes
    main = nodes[nodes["graph"] == ""]
    step_of = {nid: k for k, nid in enumerate(main.index)}
    n_steps = len(main)
    owner = _top_owner(m, step_of)
    t = m.tensors
    acts = t[(t["graph"] == "") & t["kind"].isin(["input", "intermediate", "output"])]
    outputs = set(m.main_outputs())
    rows = []
    for tid, name, kind, producer, consumers, dtype in zip(
        acts.index,
        acts["name"],
        acts["kind"],
        acts["producer"],
        acts["consumers"],
        acts["dtype"],
        strict=True,
    ):
        first = step_of.get(producer, -1) if producer else -1
        last_uses = [owner[c] for c in consumers or () if c in owner]
        last = max(last_uses, default=first)
        if name in outputs:
            last = n_steps - 1
        nb = _nbytes(shapes.get(tid), dtype)
        rows.append((tid, name, kind, first, max(last, first), nb, producer))
    df = pd.DataFrame(rows, columns=["tensor", "name", "kind", "first", "last", "bytes", "producer"])
    df = df.set_index("tensor")
    df["bytes"] = df["bytes"].astype("Int64")
    live = np.zeros(n_steps + 1, dtype=np.int64)  # step -1 .. n-1 shifted by one
    known = df[df["bytes"].notna()]
    if len(known):
        np.add.at(live, known["first"].to_numpy(int) + 1, known["bytes"].to_numpy(np.int64))
        ends = known["last"].to_numpy(int) + 2
        keep = ends <= n_steps
        np.add.at(live, ends[keep], -known["bytes"].to_numpy(np.int64)[keep])
    live = np.cumsum(live)[1:] if n_steps else np.zeros(0, dtype=np.int64)
    peak_step = int(np.argmax(live)) if len(live) else -1
    df.attrs.update(
        {
            "live": live.tolist(),
            "steps": list(main.index),
            "peak_bytes": int(live[peak_step]) if len(live) else 0,
            "peak_step": peak_step,
            "peak_node": main.index[peak_step] if peak_step >= 0 else None,
            "unknown": int(df["bytes"].isna().sum()),
        }
    )
    return df


def _top_owner(m: Any, step_of: Mapping[str, int]) -> dict[str, int]:
    """Node id -> execution step of the main-graph node it runs in (body nodes run inside their owner)."""
    graphs = m.graphs
    owner_of_graph = dict(zip(graphs.index, graphs["owner"], strict=True))
    graph_of = dict(zip(m.nodes.index, m.nodes["graph"], strict=True))
    out: dict[str, int] = dict(step_of)
    for nid, g in graph_of.items():
        seen = 0
        cur = nid
        while g and seen < 64:
            cur = owner_of_graph.get(g)
            g = graph_of.get(cur, "") if cur is not None else ""
            seen += 1
        if cur in step_of:
            out[nid] = step_of[cur]
    return out


# -- per-node facts for the one record ------------------------------------------------------------------------
def cost_sections(m: Any, node_ids: Iterable[str], dims: DimsArg = None) -> dict[str, list[dict[str, Any]]]:
    """A ``FactSource`` (see views/records.py): one "cost" Section per node, a key/value table."""
    df = node_costs(m, dims)
    out: dict[str, list[dict[str, Any]]] = {}
    for nid in node_ids:
        if nid not in df.index:
            continue
        r = df.loc[nid]
        rows: list[list[Any]] = [
            ["params", _cell(r["params"])],
            ["MACs", _cell(r["macs"])],
            ["FLOPs", _cell(r["flops"])],
            ["input bytes", _cell(r["input_bytes"])],
            ["output bytes", _cell(r["output_bytes"])],
            ["weight bytes", _cell(r["weight_bytes"])],
        ]
        out[nid] = [
            {
                "id": "cost",
                "title": "Cost",
                "columns": ["what", "value"],
                "rows": rows,
                "units": [None, None],
                "note": str(r["basis"]) + (f" (dims {dict(dims)})" if dims else ""),
            }
        ]
    return out


def _cell(v: Any) -> int | None:
    return None if v is pd.NA or v is None else int(v)


def cost_overlay(m: Any, column: str = "macs", dims: DimsArg = None) -> dict[str, float]:
    """``{node_id: value}`` of one cost column for ``GraphView.set_overlay`` (nodes without a count left out)."""
    df = node_costs(m, dims)
    if column not in df.columns or column in ("op_type", "graph", "basis"):
        numeric = [c for c in COLUMNS if c not in ("op_type", "graph", "basis")]
        raise InspectError(f"cost_overlay column '{column}' is not one of {numeric}")
    s = df[column].dropna()
    return {str(k): float(v) for k, v in s.items() if v}


def by_op_type(df: pd.DataFrame) -> pd.DataFrame:
    """Cost table summed per op type, largest FLOPs first (params here sum per-node counts)."""
    cols = ["params", "macs", "flops", "input_bytes", "output_bytes"]
    g = df.groupby("op_type")[cols].sum(min_count=1)
    g.insert(0, "nodes", df.groupby("op_type").size())
    total = df["flops"].sum()
    g["flops_share"] = (g["flops"].astype("Float64") / total) if total else pd.NA
    return g.sort_values("flops", ascending=False, na_position="last")


__all__: Sequence[str] = [
    "by_op_type",
    "concrete_shapes",
    "cost_overlay",
    "cost_sections",
    "count",
    "dtype_bits",
    "input_sizes",
    "memory_plan",
    "node_costs",
    "totals_text",
]
