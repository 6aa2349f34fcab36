"""Inputs for a run: generated (seeded), given as arrays, or read from .npz / TensorProto .pb files.

Every check (names, dtype, rank, fixed dims, size) happens before anything big is allocated, and a
failure names the input at fault.
"""

from __future__ import annotations

import difflib
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import FeedError
from ..model import Model, ModelLike, as_model
from ..model.external import read_external, uses_external
from . import dims as dimplan
from .session import model_label, state

#: Generated or loaded feeds larger than this (bytes, all inputs together) are refused.
DEFAULT_MAX_BYTES = 2 * 2**30

Dim = int | str | None
DimsArg = Mapping[str, int | Sequence[int]] | None
RangesArg = Mapping[str, tuple[float, float]] | None


@dataclass(frozen=True)
class InputSpec:
    """What a graph input expects: element type, numpy dtype and (possibly symbolic) shape."""

    name: str
    elem_type: int  # onnx.TensorProto element type, 0 when not a tensor
    dtype: np.dtype | None
    shape: tuple[Dim, ...] | None  # None: rank unknown
    kind: str  # "tensor", "sequence", "optional", "map", "sparse_tensor" or "unknown"

    @property
    def type_text(self) -> str:
        """Readable type like float32[batch,3,224,224]."""
        if self.kind != "tensor":
            return self.kind
        dims = "?" if self.shape is None else ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{self.dtype.name if self.dtype is not None else '?'}[{dims}]"


def _np_dtype(elem_type: int) -> np.dtype | None:
    if elem_type == onnx.TensorProto.STRING:
        return np.dtype(object)
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except (KeyError, TypeError, ValueError):
        return None


def spec_of(vi: onnx.ValueInfoProto) -> InputSpec:
    """InputSpec of a graph input's ValueInfoProto."""
    which = vi.type.WhichOneof("value")
    if which != "tensor_type":
        kind = {"sequence_type": "sequence", "optional_type": "optional", "map_type": "map"}.get(
            which or "", which or "unknown"
        )
        return InputSpec(vi.name, 0, None, None, kind.replace("_type", ""))
    tt = vi.type.tensor_type
    shape: tuple[Dim, ...] | None = None
    if tt.HasField("shape"):
        dims: list[Dim] = []
        for d in tt.shape.dim:
            w = d.WhichOneof("value")
            if w == "dim_value":
                dims.append(int(d.dim_value) if d.dim_value >= 0 else None)  # -1: unknown (Paddle)
            else:
                dims.append(d.dim_param if d.dim_param and d.dim_param != "?" else None)
        shape = tuple(dims)
    return InputSpec(vi.name, tt.elem_type, _np_dtype(tt.elem_type), shape, "tensor")


def input_specs(graph: onnx.GraphProto) -> list[InputSpec]:
    """Specs of the graph's real inputs (graph inputs that are not initializers), in order."""
    inits = {t.name for t in graph.initializer} | {t.values.name for t in graph.sparse_initializer}
    return [spec_of(vi) for vi in graph.input if vi.name not in inits]


def _no_numpy_feed(spec: InputSpec) -> FeedError | None:
    """onnxruntime's Python API takes no numpy arrays of ml_dtypes types (bfloat16, float8, int4, ...)."""
    if spec.dtype is None or spec.dtype.kind != "V":
        return None
    return FeedError(
        f"input '{spec.name}' is {spec.type_text}: onnxruntime's Python API cannot take {spec.dtype.name} arrays "
        "from numpy, so this input cannot be fed here; run a copy of the model with a Cast from float32 in front"
    )


def _item_size(spec: InputSpec) -> int:
    if spec.dtype is None or spec.dtype == np.dtype(object):
        return 8
    return spec.dtype.itemsize


def resolve_shape(
    spec: InputSpec, dims: DimsArg, sizes: Mapping[tuple[str, int], int | None] | None = None
) -> tuple[int, ...]:
    """Concrete shape of an input: fixed dims kept, free ones from ``sizes`` ((input, axis) -> size, as
    planned by ``dims.plan``: ``dims=``, metadata or a default), or ``dims[input]`` as a full shape."""
    dims = dims or {}
    if spec.name in dims:
        full = dims[spec.name]
        what = f"dims['{spec.name}']"
        if isinstance(full, (int, np.integer)) or not isinstance(full, (tuple, list, np.ndarray)):
            raise FeedError(
                f"{what} = {full!r} names an input, so it must be a full shape (a tuple of ints), not "
                f"{type(full).__name__}"
            )
        if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) for d in full):
            raise FeedError(
                f"{what} = {tuple(full)!r} must be a tuple of ints (input '{spec.name}': {spec.type_text})"
            )
        shape = tuple(int(d) for d in full)
        if spec.shape is not None and len(shape) != len(spec.shape):
            raise FeedError(
                f"{what} has rank {len(shape)} but input '{spec.name}' is {spec.type_text} "
                f"(rank {len(spec.shape)})"
            )
        if spec.shape is not None:
            for k, (want, got) in enumerate(zip(spec.shape, shape, strict=True)):
                if isinstance(want, int) and want != got:
                    raise FeedError(
                        f"{what} gives dimension {k} = {got} but input '{spec.name}' fixes it "
                        f"to {want} ({spec.type_text})"
                    )
    else:
        if sizes is None:
            infos = dimplan.plan([spec], dims)
            sizes = {u: i.value for i in infos for u in i.uses}
        if spec.shape is None or (spec.name, -1) in sizes:
            raise FeedError(
                f"input '{spec.name}' has no declared shape, so a value cannot be generated; pass "
                f"dims={{'{spec.name}': (...)}} with its full shape, or give feeds"
            )
        out: list[int] = []
        for ax, d in enumerate(spec.shape):
            if isinstance(d, int):
                out.append(d)
                continue
            v = sizes.get((spec.name, ax))
            if v is None:
                key = dimplan.dim_key(spec, ax)
                raise FeedError(
                    f"input '{spec.name}' ({spec.type_text}): the model does not say the size of dim '{key}' "
                    f"(axis {ax}); pass dims={{'{key}': N}} (CLI: --dims {key}=N) or give feeds"
                )
            out.append(int(v))
        shape = tuple(out)
    for k, d in enumerate(shape):
        if d < 0:
            raise FeedError(f"input '{spec.name}': dimension {k} resolves to {d}; dims must be >= 0")
    return shape


def check_seed(seed: Any) -> int:
    """The seed as an int >= 0 (FeedError naming ``seed`` otherwise)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise FeedError(f"seed={seed!r} must be an int >= 0")
    return int(seed)


def check_ranges(ranges: Any) -> dict[str, tuple[float, float]]:
    """``ranges`` as {input: (low, high)} with finite low < high (FeedError naming the entry otherwise)."""
    if ranges is None:
        return {}
    if not isinstance(ranges, Mapping):
        raise FeedError(f"ranges must be a dict like {{'x': (0, 10)}}, not {type(ranges).__name__}")
    out: dict[str, tuple[float, float]] = {}
    for name, v in ranges.items():
        what = f"ranges[{name!r}] = {v!r}"
        if not isinstance(v, (tuple, list)) or len(v) != 2:
            raise FeedError(f"{what} must be a (low, high) pair")
        try:
            lo, hi = float(v[0]), float(v[1])
        except (TypeError, ValueError, OverflowError):
            raise FeedError(f"{what} must be a pair of numbers") from None
        if isinstance(v[0], bool) or isinstance(v[1], bool) or not (np.isfinite(lo) and np.isfinite(hi)):
            raise FeedError(f"{what} must be finite numbers")
        if not hi > lo:
            raise FeedError(f"{what}: high must be greater than low")
        out[str(name)] = (v[0], v[1])
    return out


def _nbytes(shape: tuple[int, ...], itemsize: int) -> int:
    n = itemsize
    for d in shape:
        n *= int(d)
    return n


def _fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def generate(
    specs: Sequence[InputSpec],
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    metadata: Mapping[str, str] | None = None,
) -> dict[str, np.ndarray]:
    """Seeded random values for the given inputs: floats ~ N(0, 1), ints and bools in [0, 2).

    Free dims take their size from ``dims``, then the model's ``metadata``, then a default (see
    ``runtime.dims``); image dims nobody sizes raise FeedError. ``ranges`` maps an input name to
    ``(low, high)``: uniform floats, or ints in ``[low, high)``. Sizes are checked against ``max_bytes``
    before any array is allocated.
    """
    ranges = check_ranges(ranges)
    seed = check_seed(seed)
    infos = dimplan.plan([s for s in specs if s.kind == "tensor"], dims, metadata)
    if any(i.value is None for i in infos):
        raise FeedError(dimplan.missing_message(infos))
    sizes = {u: i.value for i in infos for u in i.uses}
    plan: list[tuple[InputSpec, tuple[int, ...]]] = []
    total = 0
    for spec in specs:
        if spec.kind != "tensor":
            raise FeedError(
                f"input '{spec.name}' is a {spec.kind}, not a tensor; values cannot be generated for it: "
                "pass feeds={...} with a value for it"
            )
        bad = _no_numpy_feed(spec)
        if bad is not None:
            raise bad
        if spec.dtype is None or spec.dtype == np.dtype(object) or spec.dtype.kind not in "biufc":
            what = "string" if spec.elem_type == onnx.TensorProto.STRING else spec.type_text
            raise FeedError(
                f"input '{spec.name}' is {what}; random values cannot be generated for it: pass "
                f"feeds={{'{spec.name}': ...}}"
            )
        shape = resolve_shape(spec, dims, sizes)
        size = _nbytes(shape, _item_size(spec))
        if size > max_bytes:
            raise FeedError(
                f"input '{spec.name}' would take {_fmt_bytes(size)} with shape {list(shape)} "
                f"({spec.type_text}), over the {_fmt_bytes(max_bytes)} cap; choose smaller dims= or raise max_bytes"
            )
        total += size
        plan.append((spec, shape))
    if total > max_bytes:
        biggest = max(plan, key=lambda p: _nbytes(p[1], _item_size(p[0])))[0].name
        raise FeedError(
            f"generated inputs would take {_fmt_bytes(total)} together (largest: '{biggest}'), over the "
            f"{_fmt_bytes(max_bytes)} cap; choose smaller dims= or raise max_bytes"
        )
    out: dict[str, np.ndarray] = {}
    for k, (spec, shape) in enumerate(plan):
        rng = np.random.default_rng([seed, k])
        dt = spec.dtype
        assert dt is not None
        lo_hi = ranges.get(spec.name)
        if dt.kind == "b":
            out[spec.name] = rng.integers(0, 2, size=shape).astype(bool)
        elif dt.kind in "iu":
            lo, hi = lo_hi if lo_hi is not None else (0, 2)
            info = np.iinfo(dt)
            if lo < info.min or hi - 1 > info.max:
                raise FeedError(f"ranges['{spec.name}'] = {lo_hi!r} does not fit in {dt.name}")
            out[spec.name] = rng.integers(int(lo), int(hi), size=shape, dtype=np.int64).astype(dt)
        elif dt.kind == "c":
            v = rng.standard_normal(size=shape) + 1j * rng.standard_normal(size=shape)
            out[spec.name] = v.astype(dt)
        else:
            if lo_hi is not None:
                v = rng.uniform(lo_hi[0], lo_hi[1], size=shape)
            else:
                v = rng.standard_normal(size=shape, dtype=np.float32)
            out[spec.name] = v.astype(dt)
    return out


def check_value(spec: InputSpec, value: Any) -> np.ndarray:
    """Validate one given value against its input spec (dtype, rank, fixed dims) and return it as an array."""
    if spec.kind != "tensor":
        return value  # sequences / optionals / maps are passed through to onnxruntime as given
    bad = _no_numpy_feed(spec)
    if bad is not None:
        raise bad
    if isinstance(value, np.ndarray):
        arr = value
    elif hasattr(value, "__array__") or isinstance(value, (list, tuple, int, float, bool, np.generic)):
        try:
            if (
                not isinstance(value, (np.ndarray, np.generic))
                and spec.dtype is not None
                and not hasattr(value, "dtype")
            ):
                # Python scalars and lists carry no dtype of their own: take the input's.
                arr = np.asarray(value, dtype=spec.dtype)
            else:
                arr = np.asarray(value)
        except (TypeError, ValueError, OverflowError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise FeedError(
                f"input '{spec.name}': cannot convert the given {type(value).__name__} to a "
                f"{spec.type_text} array ({first}); pass one numpy array of that shape"
            ) from None
        if arr.dtype == np.dtype(object) and spec.dtype != np.dtype(object):
            raise FeedError(
                f"input '{spec.name}': the given {type(value).__name__} is ragged or mixed (numpy makes an object "
                f"array of it); pass one numpy array ({spec.type_text})"
            )
    else:
        raise FeedError(
            f"input '{spec.name}': got a {type(value).__name__}; pass a numpy array ({spec.type_text})"
        )
    if spec.dtype is not None:
        want = spec.dtype
        ok = arr.dtype == want or (want == np.dtype(object) and arr.dtype.kind in "OUS")
        if not ok:
            raise FeedError(
                f"input '{spec.name}' expects {spec.type_text} but got {arr.dtype}{list(arr.shape)}; "
                f"convert it with .astype(np.{want.name})"
                if want != np.dtype(object)
                else f"input '{spec.name}' expects strings but got {arr.dtype}"
            )
    if spec.shape is not None:
        if arr.ndim != len(spec.shape):
            raise FeedError(
                f"input '{spec.name}' expects rank {len(spec.shape)} ({spec.type_text}) but got shape "
                f"{list(arr.shape)} (rank {arr.ndim})"
            )
        for k, (want_d, got) in enumerate(zip(spec.shape, arr.shape, strict=True)):
            if isinstance(want_d, int) and want_d != got:
                raise FeedError(
                    f"input '{spec.name}' expects dimension {k} = {want_d} ({spec.type_text}) but got shape "
                    f"{list(arr.shape)}"
                )
    return arr


# -- files --------------------------------------------------------------------------------------------

_INPUT_PB = re.compile(r"input_(\d+)\.pb$")


def _npz_headers(path: Path) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """(key, shape, dtype) of each array in an .npz, read from the zip headers without loading data."""
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            out.append((info.filename[: -len(".npy")], tuple(shape), np.dtype(dtype)))
    return out


def _pb_files(path: Path, data_set: int) -> list[Path]:
    """input_*.pb files of a backend-test folder (the folder itself or its test_data_set_N)."""
    sets = sorted(path.glob("test_data_set_*"))
    if sets:
        chosen = path / f"test_data_set_{data_set}"
        if not chosen.is_dir():
            raise FeedError(f"'{path}' has no test_data_set_{data_set}; found {[s.name for s in sets]}")
        path = chosen
    files = [p for p in path.iterdir() if _INPUT_PB.search(p.name)]
    if not files:
        raise FeedError(f"folder '{path}' holds no input_<k>.pb files (onnx backend test data layout)")
    return sorted(files, key=lambda p: int(_INPUT_PB.search(p.name).group(1)))  # type: ignore[union-attr]


def _read_files(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    input_names: Sequence[str] | None = None,
    *,
    data_set: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, np.ndarray]:
    """Read feeds from an .npz, a TensorProto .pb file, a list of .pb files, or a backend-test folder.

    .pb tensors without a name are matched to ``input_names`` by position (``input_<k>.pb`` -> k-th input).
    Sizes are checked against ``max_bytes`` from file headers/sizes before the data is read.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FeedError(f"feeds file '{path}' does not exist")
        if not path.is_dir() and not path.is_file():
            raise FeedError(
                f"feeds file '{path}' is not a regular file (a pipe or device); save the feeds to a file"
            )
        if path.is_dir():
            files = _pb_files(path, data_set)
        elif path.suffix == ".npz":
            return _load_npz(path, max_bytes)
        elif path.suffix == ".npy":
            raise FeedError(
                f"'{path}' is a single .npy array; save feeds with np.savez(path, **{{name: array}})"
            )
        else:
            files = [path]
    else:
        files = [Path(p) for p in source]
    total = 0
    for f in files:
        if not f.is_file():
            why = "is not a regular file" if f.exists() else "does not exist"
            raise FeedError(f"feeds file '{f}' {why}")
        total += f.stat().st_size
    if total > max_bytes:
        raise FeedError(
            f"feed files take {_fmt_bytes(total)}, over the {_fmt_bytes(max_bytes)} cap; raise max_bytes"
        )
    out: dict[str, np.ndarray] = {}
    for k, f in enumerate(files):
        t = onnx.TensorProto()
        try:
            t.ParseFromString(f.read_bytes())
            # external data goes through the one resolver: confined to the .pb's folder, never the CWD
            ext = uses_external(t)
            arr = None if ext else numpy_helper.to_array(t)
        except Exception as exc:
            raise FeedError(f"'{f}' is not a TensorProto .pb file ({exc})") from None
        if arr is None:
            arr = np.array(read_external(t, f.parent, f"feed tensor in '{f}'"))
        m = _INPUT_PB.search(f.name)
        pos = int(m.group(1)) if m else k
        name = t.name
        if not name or (input_names is not None and name not in input_names):
            if input_names is None:
                raise FeedError(
                    f"'{f}' holds an unnamed tensor; pass the model (oi.read_feeds(m, path)) so it is matched to an input by position"
                )
            if pos >= len(input_names):
                raise FeedError(
                    f"'{f}' is input #{pos} but the model has {len(input_names)} inputs: {list(input_names)}"
                )
            name = input_names[pos]
        if name in out:
            raise FeedError(f"'{f}' gives input '{name}' a second time")
        out[name] = arr
    return out


def _load_npz(path: Path, max_bytes: int) -> dict[str, np.ndarray]:
    try:
        headers = _npz_headers(path)
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FeedError(f"'{path}' is not a readable .npz file ({exc})") from None
    total = 0
    for key, shape, dtype in headers:
        if dtype.hasobject:
            raise FeedError(
                f"'{path}': array '{key}' holds Python objects ({dtype}), which are not read (they could run "
                "code); save plain numeric or string arrays"
            )
        size = _nbytes(shape, dtype.itemsize)
        if size > max_bytes:
            raise FeedError(
                f"'{path}': array '{key}' is {_fmt_bytes(size)} ({dtype}{list(shape)}), over the "
                f"{_fmt_bytes(max_bytes)} cap; raise max_bytes"
            )
        total += size
    if total > max_bytes:
        raise FeedError(f"'{path}' holds {_fmt_bytes(total)} of arrays, over the {_fmt_bytes(max_bytes)} cap")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise FeedError(f"'{path}' is not a readable .npz file ({str(exc).splitlines()[0]})") from None


# -- feeds of a model ---------------------------------------------------------------------------------

FeedsArg = Mapping[str, Any] | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def model_metadata(m: Model) -> dict[str, str]:
    """The model's metadata_props as a dict (sizes such as Ultralytics' ``imgsz`` come from here)."""
    return {p.key: p.value for p in m.proto.metadata_props}


def model_inputs(m: Model) -> dict[str, InputSpec]:
    """The main graph's real inputs (``Model.main_inputs``: initializers left out) by name, with their specs;
    read once per model."""
    st = state(m)
    if st.specs is None:
        real = set(m.main_inputs())
        st.specs = {s.name: s for s in (spec_of(vi) for vi in m.proto.graph.input if vi.name in real)}
    return st.specs


def check_dims_ranges(specs: Sequence[InputSpec], dims: DimsArg, ranges: RangesArg) -> None:
    """``dims=`` keys must name dims of ``specs``, ``ranges=`` keys their inputs."""
    names = [s.name for s in specs]
    dimplan.check_keys(specs, dims)
    for key in check_ranges(ranges):
        if key not in names:
            raise FeedError(f"ranges names '{key}', which is not a model input; inputs: {names}")


def make_feeds(
    m: ModelLike,
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, np.ndarray]:
    """Seeded random feeds for every real input of the model (what ``run`` uses when feeds=None)."""
    model = as_model(m)
    specs = list(model_inputs(model).values())
    check_dims_ranges(specs, dims, ranges)
    return generate(
        specs, dims=dims, ranges=ranges, seed=seed, max_bytes=max_bytes, metadata=model_metadata(model)
    )


def read_feeds(
    m: ModelLike,
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    data_set: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, np.ndarray]:
    """Feeds from an .npz, TensorProto .pb file(s) or an onnx backend-test folder, matched to the model's
    inputs (unnamed .pb tensors by position). ``m`` None: every .pb tensor must carry its name.
    Sizes are checked against ``max_bytes`` from file headers/sizes before the data is read."""
    names = None if m is None else list(model_inputs(as_model(m)))
    return _read_files(source, names, data_set=data_set, max_bytes=max_bytes)


def given_feeds(
    m: Model, feeds: FeedsArg, *, cuts: bool, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Feeds the caller gave (a dict, or file(s) read with :func:`read_feeds`), checked against the model:
    (every fed value by name, the fed intermediate tensors among them). ``cuts``: main-graph tensors may
    be fed to start a run in the middle (``oi.run``); else only inputs (a profile runs the whole model)."""
    if isinstance(feeds, (str, os.PathLike)) or (
        isinstance(feeds, Sequence) and not isinstance(feeds, Mapping)
    ):
        feeds = read_feeds(m, feeds, max_bytes=max_bytes)
    if not isinstance(feeds, Mapping):
        raise FeedError(
            "feeds must be a dict of arrays, an .npz path, a .pb path/list or a folder, "
            f"not {type(feeds).__name__}"
        )
    specs = model_inputs(m)
    if not cuts:
        extra = sorted(str(k) for k in feeds if k not in specs)
        if extra:
            raise FeedError(
                f"feeds name {extra}, which are not inputs of the model (a profile runs the whole model); "
                f"its inputs: {sorted(specs)}"
            )
    out: dict[str, Any] = {}
    fed: dict[str, np.ndarray] = {}
    pos = m.tensor_positions() if cuts else {}
    cols = m.tensor_columns("graph", "kind", "dtype", "shape") if cuts else {}
    for name, value in feeds.items():
        if name in specs:
            out[name] = check_value(specs[name], value)
            continue
        row = pos.get(name)
        if (
            row is None
            or cols["graph"][row] != ""
            or cols["kind"][row] not in ("intermediate", "output", "initializer", "constant")
        ):
            main = [tid for tid, g in zip(pos, cols.get("graph", ()), strict=True) if g == ""]
            close = difflib.get_close_matches(str(name), [*specs, *main], n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise FeedError(
                f"feeds has '{name}', which is not an input or a main-graph tensor of {model_label(m)}; "
                f"inputs: {list(specs)}{hint}"
            )
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        want, shape = cols["dtype"][row], cols["shape"][row]
        if want is not None and want != "str" and arr.dtype.name != want:
            raise FeedError(
                f"fed tensor '{name}' is {want} in the model but the given value is {arr.dtype}; "
                f"convert it with .astype(np.{want})"
            )
        if shape is not None and len(shape) != arr.ndim:
            raise FeedError(
                f"fed tensor '{name}' has rank {len(shape)} in the model ({list(shape)}) but the given "
                f"value has shape {list(arr.shape)}"
            )
        fed[name] = arr
        out[name] = arr
    return out, fed


def prepare_feeds(
    m: Model,
    feeds: FeedsArg,
    *,
    dims: DimsArg = None,
    ranges: RangesArg = None,
    seed: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[dict[str, Any], list[dimplan.DimInfo]]:
    """Feeds for every real input of a whole-model run (profile, placement): given ones checked, the others
    seeded random as ``oi.run`` makes them; and the plan of the free dims the generated ones used."""
    specs = list(model_inputs(m).values())
    check_dims_ranges(specs, dims, ranges)
    given = {} if feeds is None else given_feeds(m, feeds, cuts=False, max_bytes=max_bytes)[0]
    rest = [s for s in specs if s.name not in given]
    meta = model_metadata(m)
    out = dict(given)
    out.update(generate(rest, dims=dims, ranges=ranges, seed=seed, max_bytes=max_bytes, metadata=meta))
    return out, dimplan.plan([s for s in rest if s.kind == "tensor"], dims, meta)
