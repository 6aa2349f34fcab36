"""Sizes for the symbolic and unknown dims of a model's inputs: from ``dims=``, the model's metadata, or a default.

One table (``input_dims``) says, for every dim a generated input needs, what it is called, which inputs and
axes use it, the value a run will use and where that value comes from:

- ``"dims"``: the caller's ``dims=`` (a dim name, ``"input[axis]"``, or an input's full shape);
- ``"metadata"``: what the model says about itself (Ultralytics exports: ``imgsz`` and ``batch``);
- ``"default"``: 1, for batch dims (axis 0) and for dims of non-image inputs (sequence lengths, ...);
- ``"unset"``: no value; the spatial dims of image-like inputs (rank-4 float inputs with a channel axis
  of 1-4 or an image-like name, not a KV cache) are never guessed, because a 1x1 image makes many models
  fail deep inside or "succeed" on nonsense. A run that needs them raises a one-line ``FeedError`` naming
  the input and the dim to set.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import FeedError, InspectError, RuntimeFailure

_AXIS_KEY = re.compile(r"^(.*)\[(\d+)\]$")
DEFAULT = 1


@dataclass(frozen=True)
class DimInfo:
    """One symbolic or unknown dim: its key in ``dims=``, the (input, axis) pairs using it, value, source."""

    key: str
    uses: tuple[tuple[str, int], ...]
    value: int | None
    source: str  # "dims", "metadata", "default" or "unset"
    symbolic: bool  # a named dim (shared by every input that names it) or an unknown one ("input[axis]")

    @property
    def where(self) -> str:
        """Readable list of the inputs and axes that use this dim."""
        return ", ".join(f"'{i}' axis {a}" if a >= 0 else f"'{i}' (rank unknown)" for i, a in self.uses)


def is_free(d: Any) -> bool:
    """Whether a declared dim has no fixed size (a name, ``?``, None or a negative number)."""
    return not isinstance(d, (int, np.integer)) or bool(d < 0)


_NOT_IMAGE = re.compile(r"past|present|cache|key|value|state|hidden|mask|attn|attention|embed", re.I)
_IMAGE = re.compile(r"image|img|pixel|picture|frame|photo", re.I)


def _image_like(spec: Any) -> bool:
    """A float input of rank 4 that holds images: a fixed channel axis of 1-4 (NCHW or NHWC) or an image-like
    name, and no name of a cache or state (KV-cache inputs are rank-4 floats too)."""
    shape = spec.shape
    if shape is None or len(shape) != 4 or spec.dtype is None or spec.dtype.kind not in "fc":
        return False
    if _NOT_IMAGE.search(spec.name):
        return False
    channels = [d for d in (shape[1], shape[3]) if isinstance(d, int) and 0 < d <= 4]
    return bool(channels) or bool(_IMAGE.search(spec.name))


def _is_name(d: Any) -> bool:
    return isinstance(d, str) and d not in ("", "?")


def dim_key(spec: Any, axis: int) -> str:
    """The ``dims=`` key of one free dim: its name, or ``"input[axis]"`` for an unnamed (``?``) dim."""
    d = spec.shape[axis]
    return d if _is_name(d) else f"{spec.name}[{axis}]"


def _literal_ints(text: str) -> list[int] | None:
    try:
        v = ast.literal_eval(text.strip()) if len(text) < 200 else None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        v = [v]
    if not isinstance(v, (list, tuple)) or not v:
        return None
    ok = all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    return [int(x) for x in v] if ok and all(0 < x <= 1 << 20 for x in v) else None


def metadata_sizes(specs: Sequence[Any], metadata: Mapping[str, str]) -> dict[tuple[str, int], int]:
    """(input, axis) -> size the model's metadata gives (Ultralytics ``imgsz`` = [h, w] and ``batch``)."""
    out: dict[tuple[str, int], int] = {}
    imgsz = _literal_ints(metadata["imgsz"]) if "imgsz" in metadata else None
    batch = _literal_ints(metadata["batch"]) if "batch" in metadata else None
    if imgsz is None and batch is None:
        return out
    if imgsz is not None and len(imgsz) == 1:
        imgsz = imgsz * 2
    for spec in specs:
        if not _image_like(spec):
            continue
        if batch is not None and len(batch) == 1:
            out[(spec.name, 0)] = batch[0]
        if imgsz is not None and len(imgsz) == 2:
            # Channels first unless the last axis is a small fixed channel count (NHWC).
            last = spec.shape[3]
            spatial = (1, 2) if isinstance(last, int) and 0 < last <= 4 and is_free(spec.shape[1]) else (2, 3)
            for ax, v in zip(spatial, imgsz, strict=True):
                out[(spec.name, ax)] = v
    return out


def _check_int(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise FeedError(f"{what} = {v!r} must be an int >= 0")
    if v < 0:
        raise FeedError(f"{what} = {v!r} must be >= 0")
    return int(v)


def plan(
    specs: Sequence[Any], dims: Mapping[str, Any] | None, metadata: Mapping[str, str] | None = None
) -> list[DimInfo]:
    """Every free dim of these tensor inputs, with the value a generated input will use and its source."""
    dims = dims or {}
    meta = metadata_sizes(specs, metadata or {})
    found: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if spec.kind != "tensor":
            continue
        if spec.name in dims:
            continue  # a full shape given for this input
        if spec.shape is None:
            found[spec.name] = {"uses": [(spec.name, -1)], "image": False, "symbolic": False}
            continue
        for ax, d in enumerate(spec.shape):
            if not is_free(d):
                continue
            key = dim_key(spec, ax)
            e = found.setdefault(key, {"uses": [], "image": False, "symbolic": _is_name(d)})
            e["uses"].append((spec.name, ax))
            e["image"] = e["image"] or (_image_like(spec) and ax > 0)
    out: list[DimInfo] = []
    for key, e in found.items():
        uses = tuple(e["uses"])
        if key in dims:
            value, source = _check_int(dims[key], f"dims['{key}']"), "dims"
        elif any(f"{i}[{a}]" in dims for i, a in uses):
            i, a = next((i, a) for i, a in uses if f"{i}[{a}]" in dims)
            value, source = _check_int(dims[f"{i}[{a}]"], f"dims['{i}[{a}]']"), "dims"
        elif any(u in meta for u in uses):
            value, source = meta[next(u for u in uses if u in meta)], "metadata"
        elif uses[0][1] < 0 or e["image"]:
            value, source = None, "unset"
        else:
            value, source = DEFAULT, "default"
        out.append(DimInfo(key, uses, value, source, e["symbolic"]))
    return out


def check_keys(specs: Sequence[Any], dims: Mapping[str, Any] | None) -> None:
    """Every key of ``dims`` names an input, a dim name or ``"input[axis]"`` of a free dim."""
    if not dims:
        return
    if not isinstance(dims, Mapping):
        raise FeedError(f"dims must be a dict like {{'batch': 1}}, not {type(dims).__name__}")
    names = {s.name: s for s in specs}
    symbolic = sorted({d for s in specs for d in (s.shape or ()) if _is_name(d)})
    for key in dims:
        if not isinstance(key, str):
            raise FeedError(f"dims keys must be strings (dim or input names), got {key!r}")
        if key in names or key in symbolic:
            continue
        m = _AXIS_KEY.match(key)
        if m and m.group(1) in names:
            spec = names[m.group(1)]
            ax = int(m.group(2))
            if spec.shape is not None and ax < len(spec.shape) and is_free(spec.shape[ax]):
                continue
            raise FeedError(
                f"dims['{key}']: input '{spec.name}' ({spec.type_text}) has no free dim at axis {ax}"
            )
        raise FeedError(
            f"dims names '{key}', which is neither an input nor a symbolic dimension; inputs: {list(names)}, "
            f"symbolic dims: {symbolic}"
        )


def missing_message(infos: Sequence[DimInfo]) -> str:
    """One line naming every unset dim and the ``dims=`` that sets it."""
    unset = [i for i in infos if i.value is None]
    parts = []
    for i in unset:
        if i.uses[0][1] < 0:
            parts.append(
                f"input '{i.key}' has no declared shape: pass dims={{'{i.key}': (...)}} with its full shape"
            )
        else:
            parts.append(f"'{i.key}' ({i.where})")
    example = ", ".join(f"'{i.key}': N" for i in unset if i.uses[0][1] >= 0)
    head = "the model does not say the size of image dim(s) " if example else ""
    tail = f"; pass dims={{{example}}} (CLI: --dims NAME=N) or give feeds" if example else ""
    return head + "; ".join(parts) + tail


def table(infos: Sequence[DimInfo]) -> pd.DataFrame:
    """The plan as a DataFrame indexed by dim key: inputs (input, axis) pairs, value, source, symbolic."""
    rows = [(i.key, i.uses, i.value, i.source, i.symbolic) for i in infos]
    df = pd.DataFrame(rows, columns=["dim", "inputs", "value", "source", "symbolic"], dtype=object)
    return df.set_index("dim")


def used_defaults(infos: Sequence[DimInfo]) -> str:
    """Readable list of dims that took the default size (for hints when a run fails)."""
    return ", ".join(f"{i.key}={i.value}" for i in infos if i.source == "default")


def with_dims_hint(exc: InspectError, infos: Sequence[DimInfo]) -> InspectError:
    """The same error, its one line ending with the default sizes the generated inputs used (if any)."""
    used = used_defaults(infos)
    if not used or not isinstance(exc, RuntimeFailure):
        return exc
    new = RuntimeFailure(f"{exc}; the generated inputs used default sizes {used}: set them with dims=")
    new.details = getattr(exc, "details", str(exc))
    return new
