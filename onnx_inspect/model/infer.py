"""onnx shape inference that cannot take the user's process down.

onnx's C++ inference SIGSEGVs on some hostile graphs (ai.onnx.ml TreeEnsemble/LabelEncoder, EyeLike
with ``dtype``, RegexFullMatch whose first input has no type) and its data propagation allocates
~140 bytes per element of any 1-D value it meets (a 61-byte model declaring ``float[2**31]`` asks for
300 GB). A cheap scan decides whether a model is known-good; known-good models are inferred in
process (the fast path), every other one in a spawned child with a memory cap and a time limit. A
child that crashes, runs out of memory or time leaves the model with its declared shapes and a line
in ``Model.warnings``; the user's process never dies.

The C++ inference holds the GIL, so a thread alone overlaps nothing: a big known-good model (see
BESIDE_NODES) is inferred in a child too, without limits (like the process itself), while the caller
indexes the model (``InferJob``). The child sees only onnx's built-in op schemas: schemas a user
registered from Python (``onnx.defs.register_schema``) reach in-process inference only.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

import onnx

from .index import Declared, declared_names

#: onnx's C++ extension module, which the child loads by path
_EXTENSION = onnx.onnx_cpp2py_export.__file__ or ""

#: Ops whose C++ inference crashes when their first input has no type (seen with onnx 1.23): a child runs them.
RISKY_OPS = frozenset(
    {
        "TreeEnsemble",
        "TreeEnsembleRegressor",
        "TreeEnsembleClassifier",
        "LabelEncoder",
        "EyeLike",
        "RegexFullMatch",
    }
)
#: A dim or shape value above this (~1M elements) makes data propagation slow and memory-hungry.
MAX_SAFE_DIM = 2**20
#: Ops whose inference onnx runs with data propagation on 1-D values (per-element work and memory).
_RESHAPE_OPS = frozenset({"Reshape", "ConstantOfShape", "Expand", "Tile", "Range"})
#: How ``scan`` marks a model whose only risk is a Reshape to 1-D (see ``_flat_values_small``).
FLAT_RISK = "a Reshape to 1-D"
CHILD_TIMEOUT_S = 60.0
#: Address space a child may add beyond what Python + onnx need: 1 GiB plus 6x the model's bytes (input,
#: parsed copy, inferred copy and its serialization), enough for a 50k-node model with inline weights.
CHILD_MEMORY = 2**30
CHILD_MEMORY_PER_BYTE = 6

#: Main-graph nodes from which a known-good model is inferred in a child process beside the index:
#: onnx's C++ inference holds the GIL, so only another process overlaps it. The child loads onnx's
#: extension module alone (~40 ms); below this size its start and the model's copy cost more than
#: the overlap saves.
BESIDE_NODES = 20_000

# The child loads onnx's C++ extension by path, without the onnx package (whose import, with numpy and
# protobuf, takes 0.5-1 s), and writes the inferred model's bytes as the C++ code returns them.
_CHILD = r"""
import sys
so, data_prop, limit = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
try:
    import importlib.machinery as mach, importlib.util as util
    loader = mach.ExtensionFileLoader("onnx.onnx_cpp2py_export", so)
    C = util.module_from_spec(util.spec_from_file_location(loader.name, so, loader=loader))
    loader.exec_module(C)
except Exception:
    from onnx import onnx_cpp2py_export as C
if limit:
    try:
        import resource
        size = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (size + limit, size + limit))
    except Exception:
        pass
data = sys.stdin.buffer.read()
try:
    out = C.shape_inference.infer_shapes(data, False, False, data_prop)
except MemoryError:
    sys.stderr.write("OI-OOM\n"); sys.exit(3)
except Exception as exc:
    text = str(exc).strip().splitlines()
    sys.stderr.write("OI-ERR " + (text[0] if text else type(exc).__name__) + "\n"); sys.exit(2)
del data
sys.stdout.buffer.write(out)
"""


@dataclass
class Inferred:
    """The (possibly) inferred model, warnings to show, and where inference ran ('process' or 'child')."""

    proto: onnx.ModelProto
    warnings: list[str]
    where: str


def inference_risk(proto: onnx.ModelProto, raw: bytes | None = None) -> str | None:
    """Why a model is not known-good for in-process inference, or None when it is (one cheap walk)."""
    return scan(proto, raw)[1]


def scan(proto: onnx.ModelProto, raw: bytes | None = None) -> tuple[Declared, str | None]:
    """One walk of the model: its declared types (see ``index.declared_names``) and its inference risk.

    Not known-good: an op of RISKY_OPS anywhere; a declared dim above MAX_SAFE_DIM; a constant shape
    argument asking for more, or a Reshape to a 1-D shape (data propagation then works per element).
    """
    # (the walk reads every op type anyway: searching the file's bytes for the names first only cost time)
    declared, hits, big = declared_names(proto, RISKY_OPS | _RESHAPE_OPS, MAX_SAFE_DIM)
    if big:
        return declared, big
    consts: dict[int, dict[str, onnx.TensorProto]] = {}
    flat = (
        None  # a Reshape to 1-D: checked after a cheap in-process pass (see ``infer``), not sent to a child
    )
    for g, n in hits:
        op = n.op_type
        if op in RISKY_OPS:
            return declared, f"it uses {op}"
        k = 0 if op == "ConstantOfShape" else 1
        if len(n.input) <= k:
            continue
        known = consts.get(id(g))
        if known is None:
            known = consts[id(g)] = _constants(g)
        shape = known.get(n.input[k])
        risk = _shape_risk(op, shape) if shape is not None else None
        if risk == "huge":
            return declared, f"{op} node '{n.name}' asks data propagation for a large 1-D value"
        if risk == "flat" and flat is None:
            flat = f"{FLAT_RISK} (node '{n.name}')"
    return declared, flat


def _constants(g: onnx.GraphProto | onnx.FunctionProto) -> dict[str, onnx.TensorProto]:
    """Initializers and Constant-node tensors of a graph, by name."""
    out = {t.name: t for t in g.initializer} if isinstance(g, onnx.GraphProto) else {}
    for n in g.node:
        if n.op_type == "Constant" and n.output:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.TENSOR:
                    out[n.output[0]] = a.t
    return out


def _shape_risk(op: str, t: onnx.TensorProto) -> str | None:
    """'huge' for a constant shape argument asking for a huge value, 'flat' for a 1-D Reshape target
    (Reshape to [-1]: the 1-D value's size is known only after inference), else None."""
    kind = t.data_type
    if (kind != onnx.TensorProto.INT64 and kind != onnx.TensorProto.INT32) or t.data_location:
        return None
    raw = t.raw_data  # (protobuf's dims field is slow to read: the count comes from the data)
    if raw:
        width = 8 if kind == onnx.TensorProto.INT64 else 4
        if len(raw) > 512 or len(raw) % width:
            return None
        values = struct.unpack(f"<{len(raw) // width}{'q' if width == 8 else 'i'}", raw)
    else:
        values = tuple(t.int64_data if kind == onnx.TensorProto.INT64 else t.int32_data)
    for v in values:
        if v > MAX_SAFE_DIM or v < -MAX_SAFE_DIM:
            return "huge"
    return "flat" if op == "Reshape" and len(values) == 1 else None


def infer(proto: onnx.ModelProto, raw: bytes | None, risk: str | None, beside: bool = False) -> Inferred:
    """Shape inference with data propagation: in process when known-good (``risk`` None, see ``scan``),
    else in a guarded child. ``beside``: a known-good model goes to an unguarded child (no memory or
    time limit, like the process itself), so that the caller's threads run meanwhile."""
    if risk is not None and risk.startswith(FLAT_RISK) and _flat_values_small(proto, raw):
        risk = None  # every 1-D value is small: data propagation in process is as safe as for any model
    if risk is None and beside:
        data = raw if raw is not None else proto.SerializeToString()
        child, problem = run_child(data, data_prop=True, timeout=None, memory=0)
        if child is not None:
            return Inferred(child, [], "child")
        if not problem.startswith("could not start"):
            return Inferred(proto, [_failed(problem)], "child")
    if risk is None:  # (also when no child could be started)
        try:
            # The file's own bytes go straight to the C++ inference: no re-serialisation of the proto.
            out = onnx.shape_inference.infer_shapes(
                raw if raw is not None else proto, check_type=False, strict_mode=False, data_prop=True
            )
            return Inferred(out, [], "process")
        except Exception as exc:  # onnx raises several types (InferenceError, ValidationError, ValueError)
            return Inferred(proto, [_failed(f"failed: {_first_line(exc)}")], "process")
    data = raw if raw is not None else proto.SerializeToString()
    child, problem = run_child(data, data_prop=True)
    if child is not None:
        return Inferred(child, [], "child")
    warnings = []
    if problem.startswith(("ran out", "took")):
        # Data propagation is what explodes on huge 1-D values; plain inference is linear in the graph.
        child, problem2 = run_child(data, data_prop=False)
        if child is not None:
            return Inferred(
                child,
                [f"onnx shape inference {problem}; shapes were inferred again without data propagation"],
                "child",
            )
        warnings.append(_failed(f"{problem}; without data propagation it {problem2}"))
    else:
        warnings.append(_failed(problem))
    return Inferred(proto, warnings, "child")


class InferJob:
    """``infer`` beside the caller: in a thread when it runs in a child process (a big known-good model,
    see BESIDE_NODES, or a risky one), so the caller indexes the model meanwhile; else here and now.
    ``result()`` waits for it and raises what ``infer`` raised."""

    def __init__(self, proto: onnx.ModelProto, raw: bytes | None, risk: str | None) -> None:
        self._got: Inferred | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        beside = len(proto.graph.node) >= BESIDE_NODES
        if risk is None and not beside:
            self._got = infer(proto, raw, risk)
            return
        self._thread = threading.Thread(
            target=self._run,
            args=(proto, raw, risk, beside),
            name="onnx-inspect shape inference",
            daemon=True,
        )
        self._thread.start()

    def _run(self, proto: onnx.ModelProto, raw: bytes | None, risk: str | None, beside: bool) -> None:
        try:
            self._got = infer(proto, raw, risk, beside)
        except BaseException as exc:  # handed to the caller's thread by ``result``
            self._error = exc

    def result(self) -> Inferred:
        """Wait for inference; its result, or the exception ``infer`` raised."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._got is not None
        return self._got


def _flat_values_small(proto: onnx.ModelProto, raw: bytes | None) -> bool:
    """Whether plain inference (no data propagation: linear in the graph, no per-element work) finds
    no 1-D value longer than MAX_SAFE_DIM, so the data-propagating pass may run in process. Costs
    one extra in-process inference instead of a child process (0.4-1 s) for the many CNNs that flatten."""
    try:
        out = onnx.shape_inference.infer_shapes(
            raw if raw is not None else proto, check_type=False, strict_mode=False, data_prop=False
        )
    except Exception:  # the guarded child reports what went wrong
        return False
    g = out.graph
    for vi in (*g.input, *g.value_info, *g.output):
        t = vi.type.tensor_type
        if t.HasField("shape") and len(t.shape.dim) == 1:
            d = t.shape.dim[0]
            if d.HasField("dim_value") and d.dim_value > MAX_SAFE_DIM:
                return False
    return True


def run_child(
    data: bytes, data_prop: bool, timeout: float | None = CHILD_TIMEOUT_S, memory: int | None = None
) -> tuple[onnx.ModelProto | None, str]:
    """Infer shapes of serialized model ``data`` in a fresh child; (model, '') or (None, what went wrong).

    ``memory``: address space the child may add (None: CHILD_MEMORY + CHILD_MEMORY_PER_BYTE per byte,
    0: no limit); ``timeout`` None: no time limit."""
    if memory is None:
        memory = CHILD_MEMORY + CHILD_MEMORY_PER_BYTE * len(data)
    # The model goes in and out through unnamed temporary files: one write and one read, each without
    # the GIL (a pipe is fed in 4 KiB steps that each need it while the caller's thread is busy).
    try:
        with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout:
            fin.write(data)
            fin.seek(0)
            cmd = [sys.executable, "-c", _CHILD, _EXTENSION, "1" if data_prop else "0", str(memory)]
            env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
            proc = subprocess.run(
                cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, timeout=timeout, env=env, check=False
            )
            fout.seek(0)
            stdout = fout.read() if proc.returncode == 0 else b""
    except subprocess.TimeoutExpired:
        return None, f"took more than {timeout:g} s and was stopped"
    except OSError as exc:
        return None, f"could not start a child process ({exc})"
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    last = err[-1] if err else ""
    if proc.returncode == 0:
        out = onnx.ModelProto()
        try:
            out.ParseFromString(stdout)
        except Exception:
            return None, "returned a model that does not parse"
        return out, ""
    if proc.returncode == 3 or "MemoryError" in last or "bad_alloc" in last:
        return None, f"ran out of memory (limit {memory / 2**30:.1f} GiB)"
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = f"signal {-proc.returncode}"
        return None, f"crashed ({sig}) in onnx's C++ code"
    if last.startswith("OI-ERR "):
        return None, f"failed: {last[7:]}"
    return None, f"failed (exit code {proc.returncode}): {last or 'no message'}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _failed(why: str) -> str:
    return f"onnx shape inference {why}; only declared shapes are shown"
