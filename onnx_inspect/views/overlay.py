"""The one overlay spec: per-node values painted on the graph, checked and normalised in one place.

An overlay is a JSON-ready dict (:class:`Overlay`): ``values`` {node id: finite float | str},
``label``, ``kind`` (numeric / categorical), ``scale`` (linear / log), ``aggregate`` (how a collapsed
group combines its nodes: sum / max / mean) and ``unit`` (shown in the legend and tooltips).
``GraphView.overlay`` (its trait validator), ``Profile.overlay``, the Inspector and the report all go
through :func:`normalise_overlay`, so one profile looks the same everywhere; the front end
(``js/src/colors.ts``) only applies what the spec says. It lives in ``views`` because it is a
presentation of per-node values; it imports nothing beyond the standard library and
``runtime.providers``' short names, so ``runtime.profile`` can use it (imported on call).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypedDict

from ..errors import InspectError, UnknownNameError
from ..runtime.providers import short_provider

Kind = Literal["numeric", "categorical"]
Scale = Literal["linear", "log"]
Aggregate = Literal["sum", "max", "mean"]
KINDS: tuple[str, ...] = ("numeric", "categorical")
SCALES: tuple[str, ...] = ("linear", "log")
AGGREGATES: tuple[str, ...] = ("sum", "max", "mean")
#: The keys of a spec, in the order they are written.
KEYS = ("values", "label", "kind", "scale", "aggregate", "unit")

#: How a profile paints each metric: (label, unit, scale). Times spread over orders of magnitude
#: (a Conv vs a Reshape), so they are painted on a log scale; providers by their short names.
PROFILE_METRICS: dict[str, tuple[str, str, Scale]] = {
    "mean_us": ("mean time per run", "us", "log"),
    "p50_us": ("median time per run", "us", "log"),
    "p90_us": ("p90 time per run", "us", "log"),
    "share": ("share of kernel time", "", "log"),
}


class Overlay(TypedDict):
    """A normalised overlay spec (what ``GraphView.overlay`` holds and the report embeds)."""

    values: dict[str, float | str]
    label: str
    kind: Kind
    scale: Scale
    aggregate: Aggregate
    unit: str


def is_spec(value: Any) -> bool:
    """Whether ``value`` is a spec dict (has a ``values`` mapping and only spec keys), not a bare
    {node id: value} mapping."""
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("values"), Mapping)
        and all(k in KEYS or k == "menu" for k in value)
    )


def overlay_spec(
    values: Mapping[str, Any] | Any,
    label: str = "value",
    *,
    kind: Kind | None = None,
    scale: Scale = "linear",
    aggregate: Aggregate = "sum",
    unit: str = "",
) -> dict[str, Any]:
    """An unchecked spec from a {node id: value} mapping or a pandas Series indexed by node id
    (check it with :func:`normalise_overlay`)."""
    mapping = values.to_dict() if hasattr(values, "to_dict") else dict(values)
    return {"values": mapping, "label": str(label), "kind": kind, "scale": scale, "aggregate": aggregate,
            "unit": str(unit)}  # fmt: skip


def normalise_overlay(
    value: Mapping[str, Any] | None,
    node_ids: Collection[str] | None = None,
    *,
    unknown: Literal["raise", "drop"] = "raise",
) -> Overlay | dict[str, Any]:
    """Check a spec and make it JSON-safe: ``{}`` for no overlay, else an :class:`Overlay`.

    Ids not in ``node_ids`` raise (``unknown="drop"``: are left out, for a report of a profile made on
    another copy of the model); None/NaN values are left unpainted; bools become categories; a
    numeric ``log`` overlay with a value <= 0 falls back to ``linear`` (the legend then says so).
    """
    if not value:
        return {}
    if not isinstance(value, Mapping) or not isinstance(value.get("values"), Mapping):
        raise InspectError(
            "an overlay must be {} or a dict with 'values' {node_id: number|str}, plus optional "
            "'label', 'kind', 'scale', 'aggregate', 'unit'; use GraphView.set_overlay()"
        )
    raw = value["values"]
    if node_ids is not None:
        bad = [k for k in raw if k not in node_ids]
        if bad and unknown == "raise":
            raise UnknownNameError(
                f"overlay: {len(bad)} id(s) are not nodes of this model, e.g. {bad[0]!r}; key the values "
                "by m.nodes.index (for a profile, use Profile.by_node() indexed by node_id)"
            )
        if bad:
            drop = set(bad)
            raw = {k: v for k, v in raw.items() if k not in drop}
    values: dict[str, float | str] = {}
    n_str = 0
    for k, v in raw.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = str(v)
        if isinstance(v, numbers.Real):
            f = float(v)
            if math.isnan(f):
                continue
            if math.isinf(f):
                raise InspectError(f"overlay value for node {k!r} is infinite; overlays need finite numbers")
            values[str(k)] = f
        elif isinstance(v, str):
            values[str(k)] = v
            n_str += 1
        else:
            raise InspectError(
                f"overlay value for node {k!r} is a {type(v).__name__}; use numbers or strings"
            )
    kind = value.get("kind") or ("categorical" if n_str else "numeric")
    if kind not in KINDS:
        raise InspectError(f"overlay kind {kind!r} is not 'numeric' or 'categorical'")
    if kind == "numeric" and n_str:
        raise InspectError("overlay kind is 'numeric' but some values are strings; pass kind='categorical'")
    if kind == "categorical":
        values = {
            k: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for k, v in values.items()
        }
    scale = value.get("scale") or "linear"
    if scale not in SCALES:
        raise InspectError(f"overlay scale {scale!r} is not 'linear' or 'log'")
    if scale == "log" and (
        kind != "numeric" or any(isinstance(v, float) and v <= 0 for v in values.values())
    ):
        scale = "linear"  # the one rule: log only where every value is > 0 (colours.ts follows the spec)
    agg = value.get("aggregate") or "sum"
    if agg not in AGGREGATES:
        raise InspectError(f"overlay aggregate {agg!r} is not 'sum', 'max' or 'mean'")
    return {
        "values": values,
        "label": str(value.get("label") or "value"),
        "kind": kind,
        "scale": scale,
        "aggregate": agg,
        "unit": str(value.get("unit") or ""),
    }


def profile_overlay(by_node: Any, metric: str) -> Overlay | dict[str, Any]:
    """How a profile paints the graph: a numeric metric of ``Profile.by_node()`` on a log scale, or the
    execution provider (short name) of each node, fused nodes painted like the node that ran them."""
    if metric == "provider":
        names = {str(k): short_provider(v) for k, v in by_node["provider"].items()}
        for nid, others in zip(by_node.index, by_node["fused_with"], strict=True):
            for o in others:
                names.setdefault(str(o), names[str(nid)])
        return normalise_overlay({"values": names, "label": "execution provider", "kind": "categorical"})
    if metric not in PROFILE_METRICS:
        raise InspectError(f"metric={metric!r} is not one of {[*PROFILE_METRICS, 'provider']}")
    label, unit, scale = PROFILE_METRICS[metric]
    times = {str(k): float(v) for k, v in by_node[metric].items()}
    return normalise_overlay(
        {"values": times, "label": label, "kind": "numeric", "scale": scale, "unit": unit}
    )


__all__ = [
    "AGGREGATES",
    "KINDS",
    "PROFILE_METRICS",
    "SCALES",
    "Overlay",
    "is_spec",
    "normalise_overlay",
    "overlay_spec",
    "profile_overlay",
]
