"""The one overlay spec: checks, the log-scale rule, unknown ids, and GraphView/Profile/report use."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.views.overlay import is_spec, normalise_overlay, overlay_spec, profile_overlay

IDS = ("a", "b", "c")


def test_numeric_spec_is_json_safe_and_complete() -> None:
    ov = normalise_overlay(
        overlay_spec(pd.Series({"a": 1, "b": float("nan"), "c": None}), "t", unit="us"), IDS
    )
    assert ov == {"values": {"a": 1.0}, "label": "t", "kind": "numeric", "scale": "linear", "aggregate": "sum",
                  "unit": "us"}  # fmt: skip
    assert normalise_overlay({}, IDS) == {} and normalise_overlay(None) == {}


def test_log_scale_only_where_every_value_is_positive() -> None:
    assert normalise_overlay(overlay_spec({"a": 1.0, "b": 10.0}, scale="log"))["scale"] == "log"
    assert normalise_overlay(overlay_spec({"a": 0.0, "b": 10.0}, scale="log"))["scale"] == "linear"
    cat = normalise_overlay(overlay_spec({"a": "CPU"}, scale="log"))
    assert cat["kind"] == "categorical" and cat["scale"] == "linear"


def test_categories_bools_and_integers() -> None:
    ov = normalise_overlay(overlay_spec({"a": True, "b": 2.0, "c": 2.5}, kind="categorical"))
    assert ov["values"] == {"a": "True", "b": "2", "c": "2.5"}


def test_unknown_ids_raise_or_are_dropped() -> None:
    spec = overlay_spec({"a": 1.0, "ghost": 2.0})
    with pytest.raises(oi.UnknownNameError, match="'ghost'"):
        normalise_overlay(spec, IDS)
    assert normalise_overlay(spec, IDS, unknown="drop")["values"] == {"a": 1.0}


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"values": {"a": math.inf}}, "infinite"),
        ({"values": {"a": "x"}, "kind": "numeric"}, "kind='categorical'"),
        ({"values": {"a": 1.0}, "scale": "cubic"}, "scale"),
        ({"values": {"a": 1.0}, "aggregate": "median"}, "aggregate"),
        ({"values": {"a": 1.0}, "kind": "ordinal"}, "kind"),
        ({"values": {"a": [1, 2]}}, "list"),
        ({"label": "no values"}, "'values'"),
    ],
)
def test_bad_specs_raise_inspect_errors(spec: dict, match: str) -> None:
    with pytest.raises(oi.InspectError, match=match):
        normalise_overlay(spec, IDS)


def test_is_spec_tells_a_spec_from_a_bare_mapping() -> None:
    assert is_spec({"values": {"a": 1}, "label": "x"}) and is_spec({"values": {}, "menu": "m"})
    assert not is_spec({"a": 1.0}) and not is_spec({"values": 3}) and not is_spec(pd.Series({"a": 1}))


def test_profile_paints_the_same_spec_in_every_host() -> None:
    m = oi.load(testing.conv_model())
    p = oi.profile(m, runs=2, warmup=1)
    bn = p.by_node()
    lat = p.overlay("mean_us")
    assert lat == profile_overlay(bn, "mean_us")
    assert lat["unit"] == "us" and lat["label"] == "mean time per run"
    assert lat["scale"] == ("log" if min(lat["values"].values()) > 0 else "linear")
    prov = p.overlay("provider")
    assert set(prov["values"].values()) == {"CPU"}
    view = oi.GraphView(m)
    view.set_overlay(lat)  # a whole spec goes in unchanged
    assert view.overlay == lat
    view.set_overlay({**prov, "menu": "execution provider"})  # a report's menu entry, too
    assert view.overlay == prov
    with pytest.raises(oi.InspectError, match="metric"):
        profile_overlay(bn, "nope")
