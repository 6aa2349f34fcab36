"""Several widgets in one notebook: no shared selection or overlays, and no leaks when cells re-run."""

from __future__ import annotations

import gc
import os
import tempfile
import weakref
from pathlib import Path

import onnxruntime as ort
import pytest

import onnx_inspect as oi
from onnx_inspect import testing
from onnx_inspect.runtime.session import MAX_SESSIONS, cached_sessions


def live_sessions() -> int:
    gc.collect()
    return sum(isinstance(o, ort.InferenceSession) for o in gc.get_objects())


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_two_inspectors_on_one_model_keep_their_own_state(squeezenet: Path) -> None:
    m = oi.load(squeezenet)
    a, b = oi.inspect(m), oi.inspect(m)
    a.select("n0")
    assert a.selected == ["n0"] and b.selected == []
    assert a.graph.selected == ["n0"] and b.graph.selected == []
    b.select("n3")
    assert a.selected == ["n0"]
    a.run_profile(runs=1, warmup=0)
    assert a.profile is not None and b.profile is None
    assert a.graph.overlay and not b.graph.overlay
    a.run_to_selection()
    assert a.last_run and not b.last_run


def test_inspectors_on_different_models_and_plain_graph_views(squeezenet: Path) -> None:
    a = oi.inspect(oi.load(squeezenet))
    b = oi.inspect(oi.load(testing.transformer_like(2)))
    g1, g2 = oi.GraphView(a.model), oi.GraphView(a.model)
    g1.set_overlay({"n0": 1.0}, "x")
    assert g1.overlay and not g2.overlay and not a.graph.overlay
    g2.selected = ["n1"]
    assert g1.selected == [] and a.selected == []
    b.select(b.model.nodes.index[3])
    assert a.selected == [] and b.model is not a.model


def test_rerunning_a_cell_leaks_no_sessions_files_or_temp_dirs(
    squeezenet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # every temporary file of the package lands here
    models: list[weakref.ref[oi.Model]] = []

    def cell(close: bool) -> None:
        m = oi.load(squeezenet)
        models.append(weakref.ref(m))
        insp = oi.inspect(m)
        insp.select("n3")
        insp.run_to_selection()
        insp.run_profile(runs=1, warmup=0)
        oi.run(m, outputs=["r3"])
        if close:
            insp.close()

    cell(close=True)  # warm caches and imports
    fds = open_fds()
    # Re-run without closing: ipywidgets keeps the old widgets, the session cache stays bounded.
    for _ in range(10):
        cell(close=False)
    assert live_sessions() <= MAX_SESSIONS
    assert cached_sessions() <= MAX_SESSIONS
    assert open_fds() <= fds + 4  # onnxruntime and the widgets open no file per run
    assert list(tmp_path.iterdir()) == []  # profiles, cut models: all temporary files are gone
    # Closing frees the Inspector, its model and its sessions.
    for _ in range(3):
        cell(close=True)
    gc.collect()
    assert all(ref() is None for ref in models[-3:])
    assert list(tmp_path.iterdir()) == []
