"""Session options: lean sessions (no CPU arena, not cached) for one-off chunk runs, on a real model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

import onnx_inspect as oi
from onnx_inspect.runtime.session import cached_sessions, lean_sessions, release_memory, session_options

RESNET = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light" / "light_resnet50.onnx"


def test_lean_sessions_drop_the_arena_and_the_cache() -> None:
    so = session_options("all")
    assert so.enable_cpu_mem_arena and so.enable_mem_pattern
    m = oi.load(RESNET)
    feeds = oi.make_feeds(m)
    wanted = [m.nodes["outputs"].iloc[5][0], *m.main_outputs()]
    with lean_sessions():
        lean = session_options("all")
        assert not lean.enable_cpu_mem_arena and not lean.enable_mem_pattern
        before = cached_sessions()
        got = oi.run(m, wanted, feeds)
        assert cached_sessions() == before  # made for this call only, freed with it
        release_memory()
    assert session_options("all").enable_cpu_mem_arena  # the option ends with the block
    want = oi.run(m, wanted, feeds)
    assert cached_sessions() >= 1  # outside the block sessions are cached again
    for n in wanted:
        np.testing.assert_array_equal(got[n], want[n])  # same kernels, same values


def test_lean_sessions_do_not_fold_constants(tmp_path: Path) -> None:
    """ResNet-50's weights are made by ConstantOfShape: a normal session folds them into initializers held for
    its life, a lean one computes them in the run (the config key is honoured by the installed onnxruntime)."""
    import onnxruntime as ort

    def kept(lean: bool) -> int:
        out = tmp_path / f"lean-{lean}.onnx"
        if lean:
            with lean_sessions():
                so = session_options("all")
        else:
            so = session_options("all")
        so.optimized_model_filepath = str(out)
        ort.InferenceSession(str(RESNET), so, providers=["CPUExecutionProvider"])
        return sum(
            n.op_type == "ConstantOfShape" for n in onnx.load(str(out), load_external_data=False).graph.node
        )

    assert kept(lean=False) == 0 and kept(lean=True) > 20
