"""The whole public API over the real-model corpus (tests/corpus/manifest.yaml).

One test per (model, call). Each call must succeed, or raise exactly the ``oi.InspectError`` subclass the
manifest expects for that model; anything else fails: a raw exception, an unexpected InspectError, or an
expected error that did not come. Known library bugs are ``xfail(strict=True)`` entries in the manifest
(with a reason and a FINDINGS.md note), so they fail once fixed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import onnx_inspect as oi
from tests.corpus import CALLS, corpus_model, corpus_models, sweep

pytestmark = pytest.mark.slow


def _params() -> list[Any]:
    out = []
    for cm in corpus_models():
        for call in CALLS:
            exp = cm.expected(call)
            marks = []
            if isinstance(exp, dict):
                marks.append(pytest.mark.xfail(strict=True, reason=str(exp["xfail"])))
            out.append(pytest.param(cm.name, call, id=f"{cm.name}-{call}", marks=marks))
    return out


@pytest.mark.parametrize(("name", "call"), _params())
def test_corpus(name: str, call: str, tmp_path: Path) -> None:
    cm = corpus_model(name)
    expected = cm.expected(call)
    fn = sweep.call(cm, call, tmp_path)
    if isinstance(expected, str):
        with pytest.raises(oi.InspectError) as info:
            fn()
        assert type(info.value).__name__ == expected, (
            f"{call} raised {info.value!r}; the manifest expects {expected}"
        )
        assert "\n" not in str(info.value).strip(), f"the error message is not one line: {info.value}"
        return
    result = fn()  # any exception fails the test, an unexpected InspectError too
    if call in ("report", "report_profile"):
        assert result.stat().st_size > 0
    if call in ("profile_disabled", "profile_all"):
        assert len(result.events) > 0, f"{name}: the {call} profile has no events"


def test_manifest_covers_the_issue() -> None:
    """The corpus keeps covering what issue 11 asks for: exporters, quantization formats, control flow."""
    models = corpus_models()
    published = [m for m in models if m.origin in ("pip", "installed")]
    assert len(published) >= 12
    exporters = {m.exporter for m in models}
    assert {"torch-legacy", "torch-dynamo", "tf2onnx", "paddle2onnx", "skl2onnx"} <= exporters
    assert {"onnxruntime-quantization", "onnxconverter-common"} <= exporters
    tags = {t for m in models for t in m.tags}
    wanted = {
        "quantized-qdq",
        "quantized-qop",
        "fp16",
        "if",
        "loop",
        "external-data",
        "ai.onnx.ml",
        "kv-cache",
    }
    assert wanted <= tags, f"missing: {wanted - tags}"
    assert {"yolo", "transformer", "tied-weights"} <= tags
    for m in models:
        for call, exp in m.expect.items():
            assert call in CALLS
            ok = (isinstance(exp, str) and issubclass(getattr(oi, exp, type), oi.InspectError)) or (
                isinstance(exp, dict) and set(exp) == {"xfail"} and exp["xfail"]
            )
            assert ok, f"{m.name}.expect.{call} must be an InspectError subclass name or {{xfail: reason}}"
