"""The one text formatter of model summaries and shapes (CLI and widget fallbacks)."""

from __future__ import annotations

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.cli import format_summary
from onnx_inspect.views.summary import dims_text, shapes_text, summary_lines, summary_text
from onnx_inspect.widgets.fallback import summary_text as fallback_text


def test_dims_and_shapes_text() -> None:
    assert dims_text((1, "batch", None)) == "[1, batch, ?]"
    assert dims_text(()) == "[]"
    assert dims_text(None) == "[?]"
    assert shapes_text({"x": (1, 3), "m": None}) == "x[1, 3], m[?]"


def test_cli_and_widget_text_are_the_same_lines() -> None:
    m = oi.load(testing.conv_model())
    full = summary_lines(m)
    brief = summary_lines(m, brief=True)
    assert format_summary(m) == "\n".join(full) == summary_text(m)
    assert fallback_text(m, "GraphView").splitlines()[1:] == [f"  {x}" for x in brief]
    # every brief line but the producer (full adds IR/opsets to it) is also in the full summary
    assert [x for x in brief if not x.startswith("producer")] == [x for x in full if x in brief]
    assert any(x.startswith("groups") for x in full) and not any(x.startswith("groups") for x in brief)
