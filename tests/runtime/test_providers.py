"""Provider requests: what is available, aliases, options, and no silent CPU fallback."""

from __future__ import annotations

import onnxruntime as ort
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.runtime.providers import check_session_providers, providers, resolve_providers
from onnx_inspect.runtime.run import run


def test_providers_best_first_and_cpu_present() -> None:
    got = providers()
    assert got[-1] == "CPUExecutionProvider"
    assert "AzureExecutionProvider" not in got  # calls remote endpoints, runs no ordinary node
    assert set(got) <= set(ort.get_available_providers())
    order = ort.get_available_providers()
    assert got == [p for p in order if p in got]


def test_default_request_is_every_available_provider_but_tensorrt() -> None:
    names, opts = resolve_providers(None)
    assert list(names) == [p for p in providers() if p != "TensorrtExecutionProvider"]
    assert all(o == {} for o in opts)


def test_aliases_and_options_pass_through() -> None:
    names, opts = resolve_providers("cpu", {"arena_extend_strategy": "kSameAsRequested"})
    assert names == ("CPUExecutionProvider",) and opts == ({"arena_extend_strategy": "kSameAsRequested"},)
    names, opts = resolve_providers([("CPUExecutionProvider", {"a": 1})])
    assert opts == ({"a": "1"},)
    m = oi.load(testing.residual_chain())
    out = run(m, providers=[("cpu", {"arena_extend_strategy": "kSameAsRequested"})])
    assert out["y"].shape == (1, 4)


@pytest.mark.parametrize(
    ("request_", "options", "pattern"),
    [
        (
            ["NoSuchExecutionProvider"],
            None,
            "'NoSuchExecutionProvider' is not available here \\(not an onnxruntime",
        ),
        (["cpu", "CPUExecutionProvider"], None, "named twice"),
        ([], None, "empty provider list"),
        (["cpu"], [{}, {}], "2 entries for 1 providers"),
        (["cpu", "cpu"], {"a": 1}, "single dict"),
        ([("cpu",)], None, "not a name or a \\(name, options dict\\) pair"),
        ([3], None, "not a name"),
    ],
)
def test_bad_requests_are_provider_errors(request_, options, pattern: str) -> None:
    with pytest.raises(oi.ProviderError, match=pattern):
        resolve_providers(request_, options)


def test_missing_gpu_provider_names_the_fix() -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("CUDA is available here")
    with pytest.raises(oi.ProviderError) as e:
        resolve_providers(["cuda"])
    msg = str(e.value)
    assert (
        "'cuda' is not available here" in msg and "CPUExecutionProvider" in msg and "onnxruntime-gpu" in msg
    )


def test_session_that_lost_a_provider_is_refused() -> None:
    """onnxruntime drops a provider it cannot start (e.g. CUDA libraries missing) and falls back silently."""
    m = testing.residual_chain()
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    check_session_providers(sess, ["CPUExecutionProvider"], "model 'x'")
    with pytest.raises(
        oi.ProviderError, match="model 'x': onnxruntime could not start CUDAExecutionProvider"
    ):
        check_session_providers(sess, ["CUDAExecutionProvider", "CPUExecutionProvider"], "model 'x'")
