"""Read an onnxruntime profile (Chrome-trace JSON) into flat columns, robust to damaged files.

onnxruntime writes one event per line: ``Session`` events (``model_run`` per ``InferenceSession.run``),
``Node`` events (``<node name>_kernel_time``, older versions also ``_fence_before``/``_fence_after``)
and, in CUDA/ROCm profiling builds, ``Kernel`` events for device kernels that follow their node.
This module only reads; joining events to model nodes lives in ``profile_join``.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ProfileError

#: onnxruntime's default cap on recorded events (``Profiler::global_max_num_events_``).
EVENT_CAP = 1_000_000
#: Profile files larger than this are refused (1M events take ~300-500 MB as onnxruntime writes them).
MAX_PROFILE_BYTES = 768 * 2**20

_KERNEL_SUFFIX = "_kernel_time"
_FENCE_SUFFIXES = ("_fence_before", "_fence_after")

# ORT element type keys in input_type_shape/output_type_shape -> numpy dtype names.
_TYPE_NAMES = {
    "float": "float32",
    "double": "float64",
    "float16": "float16",
    "bfloat16": "bfloat16",
    "int8": "int8",
    "uint8": "uint8",
    "int16": "int16",
    "uint16": "uint16",
    "int32": "int32",
    "uint32": "uint32",
    "int64": "int64",
    "uint64": "uint64",
    "bool": "bool",
    "string": "str",
}


@dataclass
class Trace:
    """Columns of one profile file: node events, device kernel events and run windows."""

    source: str
    # Node events (one per executed kernel), file order.
    name: list[str] = field(default_factory=list)
    op: list[str] = field(default_factory=list)
    provider: list[str | None] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    dur: list[int] = field(default_factory=list)
    tid: list[int] = field(default_factory=list)
    node_index: list[Any] = field(default_factory=list)  # numbers as onnxruntime wrote them (strings)
    in_types: list[Any] = field(default_factory=list)  # raw input_type_shape lists (parsed lazily)
    out_types: list[Any] = field(default_factory=list)
    output_size: list[Any] = field(default_factory=list)
    activation_size: list[Any] = field(default_factory=list)
    parameter_size: list[Any] = field(default_factory=list)
    # Device kernel events (category "Kernel").
    k_name: list[str] = field(default_factory=list)
    k_op: list[str | None] = field(default_factory=list)
    k_ts: list[int] = field(default_factory=list)
    k_dur: list[int] = field(default_factory=list)
    k_after: list[int] = field(default_factory=list)  # index of the node event just before it in the file
    # model_run windows.
    run_ts: list[int] = field(default_factory=list)
    run_dur: list[int] = field(default_factory=list)
    n_raw: int = 0
    truncated: bool = False
    capped: bool = False
    warnings: list[str] = field(default_factory=list)


def _salvage(raw: bytes, source: str) -> tuple[Any, bool]:
    """Parse a complete file (any JSON value), or the complete events of a truncated one (onnxruntime writes
    one per line)."""
    try:
        return json.loads(raw), False
    except RecursionError:
        raise ProfileError(
            f"{source}: not an onnxruntime profile (JSON nested too deeply; onnxruntime writes a flat list)"
        ) from None
    except ValueError:  # includes UnicodeDecodeError
        pass
    end = len(raw)
    for _ in range(8):  # cut at the last few line ends until the head parses
        nl = raw.rfind(b"\n", 0, end)
        if nl <= 0:
            break
        head = raw[:nl].rstrip().rstrip(b",")
        if head.lstrip().startswith(b"["):
            try:
                return json.loads(head + b"\n]"), True
            except (ValueError, RecursionError):
                pass
        end = nl
    raise ProfileError(
        f"{source}: not a readable onnxruntime profile (invalid JSON, and no complete event could be "
        "recovered); profile again, or check that the file was copied completely"
    )


def load_events(path: str | os.PathLike[str], max_bytes: int = MAX_PROFILE_BYTES) -> tuple[list[Any], bool]:
    """Raw trace event list of a profile file and whether it had to be salvaged from a truncated file.

    Only regular files up to ``max_bytes`` are read (a pipe would block, a huge file exhaust memory).
    """
    if not isinstance(path, (str, os.PathLike)) or "\0" in str(path):
        raise ProfileError(f"{path!r} is not a profile file path")
    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ProfileError(
                f"{p}: not a regular file (a folder, pipe or device); pass the profile's .json file"
            )
        if st.st_size > max_bytes:
            raise ProfileError(
                f"{p}: the file takes {st.st_size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f} MiB cap "
                "(onnxruntime's own event cap keeps real profiles smaller); pass max_bytes= to read it anyway"
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"{p}: profile file not found") from None
    except OSError as exc:
        raise ProfileError(f"{p}: cannot read the profile file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ProfileError(
            f"{p}: the profile file is empty; onnxruntime writes it only when end_profiling() is called "
            "(or the session is closed), so profile again and let the run finish"
        )
    data, truncated = _salvage(raw, str(p))
    if isinstance(data, dict):
        data = data.get("traceEvents")  # Chrome's object form, as re-saved by some viewers
    if not isinstance(data, list):
        raise ProfileError(
            f"{p}: not an onnxruntime profile (expected a JSON list of trace events, got "
            f"{type(data).__name__})"
        )
    return data, truncated


def _split_fast(events: list[Any], t: Trace) -> None:
    """Column-wise split with comprehensions; raises on the first malformed event (then the slow path runs)."""
    node = [e for e in events if e["cat"] == "Node"]
    raw_names = [e["name"] for e in node]
    if any(n.endswith(_FENCE_SUFFIXES) for n in raw_names):  # onnxruntime < 1.6 wrote fence events too
        keep = [not n.endswith(_FENCE_SUFFIXES) for n in raw_names]
        node = [e for e, k in zip(node, keep, strict=True) if k]
        raw_names = [n for n, k in zip(raw_names, keep, strict=True) if k]
    cut = len(_KERNEL_SUFFIX)
    names = [n[:-cut] if n.endswith(_KERNEL_SUFFIX) else n for n in raw_names]
    args = [e["args"] for e in node]
    ts = [e["ts"] for e in node]
    dur = [e["dur"] for e in node]
    if not all(type(x) is int for x in ts) or not all(type(x) is int for x in dur):
        raise TypeError("non-integer ts/dur")
    if not all(type(a) is dict for a in args):
        raise TypeError("args is not an object")
    t.name, t.ts, t.dur = names, ts, dur
    t.op = [a.get("op_name") or "" for a in args]
    t.provider = [a.get("provider") for a in args]
    t.tid = [e.get("tid", 0) for e in node]
    t.node_index = [a.get("node_index") for a in args]
    t.in_types = [a.get("input_type_shape") for a in args]
    t.out_types = [a.get("output_type_shape") for a in args]
    t.output_size = [a.get("output_size") for a in args]
    t.activation_size = [a.get("activation_size") for a in args]
    t.parameter_size = [a.get("parameter_size") for a in args]
    runs = [e for e in events if e["cat"] == "Session" and e["name"] == "model_run"]
    t.run_ts = [int(e["ts"]) for e in runs]
    t.run_dur = [int(e["dur"]) for e in runs]
    kern = [e for e in events if e["cat"] == "Kernel"]
    if kern:
        t.k_name = [str(e.get("name", "")) for e in kern]
        t.k_op = [(e.get("args") or {}).get("op_name") for e in kern]
        t.k_ts = [int(e["ts"]) for e in kern]
        t.k_dur = [int(e["dur"]) for e in kern]
        t.k_after = _kernel_parents(events)


def _kernel_parents(events: list[Any]) -> list[int]:
    """For each Kernel event, the index (among kept node events) of the node event written before it."""
    out: list[int] = []
    last = -1
    for e in events:
        cat = e["cat"]
        if cat == "Node" and not e["name"].endswith(_FENCE_SUFFIXES):
            last += 1
        elif cat == "Kernel":
            out.append(last)
    return out


def _split_slow(events: list[Any], t: Trace) -> int:
    """Event-by-event split that skips malformed entries; returns how many were skipped."""
    bad = 0
    for e in events:
        try:
            cat = e["cat"]
            if cat == "Node":
                n = e["name"]
                if n.endswith(_KERNEL_SUFFIX):
                    n = n[: -len(_KERNEL_SUFFIX)]
                elif n.endswith(_FENCE_SUFFIXES):
                    continue
                args = e.get("args") or {}
                if not isinstance(args, dict):
                    raise TypeError("args")
                ts, dur = int(e["ts"]), int(e["dur"])
                t.name.append(n)
                t.op.append(args.get("op_name") or "")
                t.provider.append(args.get("provider"))
                t.ts.append(ts)
                t.dur.append(dur)
                t.tid.append(e.get("tid", 0))
                t.node_index.append(args.get("node_index"))
                t.in_types.append(args.get("input_type_shape"))
                t.out_types.append(args.get("output_type_shape"))
                t.output_size.append(args.get("output_size"))
                t.activation_size.append(args.get("activation_size"))
                t.parameter_size.append(args.get("parameter_size"))
            elif cat == "Session":
                if e["name"] == "model_run":
                    ts, dur = int(e["ts"]), int(e["dur"])
                    t.run_ts.append(ts)
                    t.run_dur.append(dur)
            elif cat == "Kernel":
                args = e.get("args") or {}
                ts, dur = int(e["ts"]), int(e["dur"])
                t.k_name.append(str(e.get("name", "")))
                t.k_op.append(args.get("op_name") if isinstance(args, dict) else None)
                t.k_ts.append(ts)
                t.k_dur.append(dur)
                t.k_after.append(len(t.name) - 1)
        except (KeyError, TypeError, ValueError, AttributeError):
            bad += 1
    return bad


def parse_events(events: list[Any], source: str, truncated: bool = False) -> Trace:
    """Split raw trace events into node, kernel and run columns; skip malformed entries."""
    t = Trace(source=source, n_raw=len(events), truncated=truncated)
    try:
        _split_fast(events, t)
    except (KeyError, TypeError, ValueError, AttributeError):
        t = Trace(source=source, n_raw=len(events), truncated=truncated)
        bad = _split_slow(events, t)
        if bad:
            t.warnings.append(f"{source}: skipped {bad} malformed trace event(s)")
    if truncated:
        t.warnings.append(
            f"{source}: the file is truncated; kept the {len(events)} complete events and dropped the "
            "unfinished run"
        )
    if len(events) >= EVENT_CAP:
        t.capped = True
        t.warnings.append(
            f"{source}: holds {len(events)} events, onnxruntime's cap ({EVENT_CAP:,}): later events were not "
            "recorded, so the last run is incomplete and dropped; profile fewer runs"
        )
    return t


def read_trace(
    path: str | os.PathLike[str], source: str | None = None, max_bytes: int = MAX_PROFILE_BYTES
) -> Trace:
    """Read and split a profile file (see ``parse_events``); ``source`` names it in messages."""
    events, truncated = load_events(path, max_bytes)
    return parse_events(events, source or str(path), truncated)


def type_shapes(raw: Any) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]] | None:
    """(shapes, dtypes) of an ``input_type_shape``/``output_type_shape`` list, None when absent."""
    if not isinstance(raw, list):
        return None
    shapes: list[tuple[int, ...]] = []
    dtypes: list[str] = []
    names = _TYPE_NAMES
    for entry in raw:
        if isinstance(entry, dict):
            for k, v in entry.items():  # one {elem type: dims} pair per value
                dtypes.append(names.get(k) or str(k))
                shapes.append(tuple(v) if isinstance(v, list) else ())
                break
            else:
                dtypes.append("")
                shapes.append(())
        else:
            dtypes.append("")
            shapes.append(())
    return tuple(shapes), tuple(dtypes)


def shapes_column(names: list[str], raws: list[Any]) -> list[Any]:
    """``type_shapes`` of each event; a node whose list equals its first event's reuses that result."""
    first: dict[str, Any] = {}
    for name, raw in zip(names, raws, strict=True):
        if name not in first:
            first[name] = raw
    done = {name: type_shapes(raw) for name, raw in first.items()}
    return [done[n] if r == first[n] else type_shapes(r) for n, r in zip(names, raws, strict=True)]


def assign_runs(ts: np.ndarray, dur: np.ndarray, run_ts: list[int], run_dur: list[int]) -> np.ndarray:
    """Rank (by start time) of the model_run window holding each event, -1 for none."""
    if not run_ts:
        return np.full(len(ts), -1, dtype=np.int64)
    order = np.argsort(np.asarray(run_ts, dtype=np.int64), kind="stable")
    starts = np.asarray(run_ts, dtype=np.int64)[order]
    ends = starts + np.asarray(run_dur, dtype=np.int64)[order]
    pos = np.searchsorted(starts, ts, side="right") - 1
    ok = (pos >= 0) & (ts + dur <= ends[np.clip(pos, 0, None)])
    return np.where(ok, pos, -1).astype(np.int64)
