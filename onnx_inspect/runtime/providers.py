"""Execution providers: which ones this machine has, checked requests, and where each node runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import onnxruntime as ort

from ..errors import InspectError, ProviderError

#: onnxruntime graph optimization levels by the names this package accepts, most optimized first.
OPTIMIZATION: dict[str, ort.GraphOptimizationLevel] = {
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}
#: The level names, for argparse choices and dropdowns (most optimized first).
OPTIMIZATION_LEVELS: tuple[str, ...] = tuple(OPTIMIZATION)
Optimization = Literal["disabled", "basic", "extended", "all"]


def check_optimization(level: Any) -> str:
    """The level name if it is one of :data:`OPTIMIZATION`, else an :class:`InspectError` listing them."""
    if not isinstance(level, str) or level not in OPTIMIZATION:
        raise InspectError(f"optimization={level!r} is not one of {list(OPTIMIZATION_LEVELS)}")
    return level


def short_provider(name: Any) -> str:
    """``"CUDAExecutionProvider"`` -> ``"CUDA"``: the name shown in labels, legends and titles ("" for none)."""
    return str(name).replace("ExecutionProvider", "") if name else ""


# Providers that do not execute ordinary ONNX nodes (Azure only calls remote endpoints).
_NOT_COMPUTE = {"AzureExecutionProvider"}

# Providers a default request (providers=None) leaves out.
_ONLY_BY_NAME = {"TensorrtExecutionProvider"}

# Short names accepted wherever a provider is named.
ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "dml": "DmlExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "dnnl": "DnnlExecutionProvider",
    "qnn": "QNNExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider",
    "webgpu": "WebGpuExecutionProvider",
}

ProviderSpec = str | tuple[str, Mapping[str, Any]]
#: What every ``providers=`` argument takes: None (best available), a name, or a list of names / (name, options).
ProvidersArg = ProviderSpec | Sequence[ProviderSpec] | None


def providers() -> list[str]:
    """Execution providers usable here, best first (onnxruntime's own precedence, CPU last)."""
    return [p for p in ort.get_available_providers() if p not in _NOT_COMPUTE]


def _canonical(name: str) -> str:
    """Full provider name for an alias or a name in any letter case."""
    if name.endswith("ExecutionProvider"):
        return name
    if name in ALIASES:
        return ALIASES[name]
    low = name.lower()
    if low in ALIASES:
        return ALIASES[low]
    for p in ort.get_all_providers():
        if p.lower() == low or p.lower() == low + "executionprovider":
            return p
    return name


def resolve_providers(
    requested: ProviderSpec | Sequence[ProviderSpec] | None,
    provider_options: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> tuple[tuple[str, ...], tuple[dict[str, str], ...]]:
    """Check a provider request against what is installed; return (names, options) for onnxruntime.

    ``requested`` is None (all available, best first, TensorRT only when named), a name, or a list of names or
    ``(name, options)`` pairs; short aliases such as ``"cuda"`` work. Nothing falls back silently:
    a provider that is not available raises :class:`ProviderError` listing the available ones.
    """
    available = ort.get_available_providers()
    if requested is None:
        # TensorRT builds an engine per session (minutes, and per shape): only when asked for by name.
        items: list[ProviderSpec] = [p for p in providers() if p not in _ONLY_BY_NAME]
    elif isinstance(requested, (str, tuple)):
        items = [requested]
    else:
        items = list(requested)
    if not items:
        raise ProviderError(f"an empty provider list was given; available here: {', '.join(providers())}")
    if isinstance(provider_options, Mapping):
        if len(items) != 1:
            raise ProviderError(
                "provider_options is a single dict but several providers were named; pass a list with "
                "one dict per provider, or (name, options) pairs"
            )
        provider_options = [provider_options]
    if provider_options is not None and len(provider_options) != len(items):
        raise ProviderError(
            f"provider_options has {len(provider_options)} entries for {len(items)} providers; "
            "give one dict per provider"
        )
    names: list[str] = []
    opts: list[dict[str, str]] = []
    for k, item in enumerate(items):
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str) or not isinstance(item[1], Mapping):
                raise ProviderError(f"provider entry {item!r} is not a name or a (name, options dict) pair")
            raw, given = item
        elif isinstance(item, str):
            raw, given = item, {}
        else:
            raise ProviderError(f"provider entry {item!r} is not a name or a (name, options dict) pair")
        name = _canonical(raw)
        if name not in available:
            known = "" if name in ort.get_all_providers() else " (not an onnxruntime provider name)"
            hint = ""
            if name in ("CUDAExecutionProvider", "TensorrtExecutionProvider"):
                hint = "; install onnxruntime-gpu (pip install onnx-inspect[gpu]) on a machine with an NVIDIA GPU"
            raise ProviderError(
                f"execution provider '{raw}' is not available here{known}; available: "
                f"{', '.join(providers())}{hint}"
            )
        if name in names:
            raise ProviderError(f"execution provider '{name}' is named twice")
        merged = dict(given)
        if provider_options is not None:
            merged.update(provider_options[k])
        names.append(name)
        opts.append({str(key): str(v) for key, v in merged.items()})
    return tuple(names), tuple(opts)


def check_session_providers(session: ort.InferenceSession, wanted: Sequence[str], label: str) -> None:
    """Fail when onnxruntime dropped a requested provider (e.g. CUDA libraries missing) instead of falling back."""
    got = session.get_providers()
    missing = [p for p in wanted if p not in got]
    if missing:
        raise ProviderError(
            f"{label}: onnxruntime could not start {', '.join(missing)} (the session has {', '.join(got)}); "
            "check the provider's libraries (CUDA/cuDNN/TensorRT versions) and its options"
        )
