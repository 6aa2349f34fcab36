"""Profile benchmarks: ``Profile.from_json`` against ``json.load`` (the parse floor), and profiling overhead.

1. A ~60 MB onnxruntime profile of light_densenet121 at optimization "disabled" (about 40 runs) is written
   into a temporary folder; ``oi.Profile.from_json`` of it is timed against ``json.load`` of the same
   file (best of 3 each). Goal: ratio <= 2.
2. Profiling overhead: mean time of one run with the profiler on against the same session options with
   it off (same model, level and provider), and the wall time of a whole ``oi.profile`` call against
   the unprofiled runs it makes.

Run: ``python benchmarks/profiling.py [--mb 60] [--runs 20]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from _timing import best_of  # benchmarks/ is on sys.path when a script runs

import onnx_inspect as oi
from onnx_inspect.runtime.profile import Profile, profile

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def _session(path: Path, folder: Path | None) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    if folder is not None:
        so.enable_profiling = True
        so.profile_file_prefix = str(folder / "bench")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def _feeds(sess: ort.InferenceSession) -> dict[str, np.ndarray]:
    i = sess.get_inputs()[0]
    return {i.name: np.random.default_rng(0).standard_normal(i.shape).astype(np.float32)}


def _write_profile(path: Path, folder: Path, runs: int) -> Path:
    sess = _session(path, folder)
    feeds = _feeds(sess)
    for _ in range(runs):
        sess.run(None, feeds)
    return Path(sess.end_profiling())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=60.0, help="size of the profile file to parse (MB)")
    ap.add_argument("--runs", type=int, default=20, help="runs for the overhead measurement")
    args = ap.parse_args()
    model_path = LIGHT / "light_densenet121.onnx"
    m = oi.load(model_path)
    with tempfile.TemporaryDirectory(prefix="oi-bench-profile-") as tmp:
        folder = Path(tmp)
        # 1. Parse: from_json vs json.load on a ~60 MB file.
        probe = _write_profile(model_path, folder, 2)
        per_run = probe.stat().st_size / 2
        n_runs = max(2, round(args.mb * 1e6 / per_run))
        big = _write_profile(model_path, folder, n_runs)
        size_mb = big.stat().st_size / 1e6

        def parse_floor() -> None:
            with open(big, "rb") as f:
                json.load(f)

        def from_json() -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Profile.from_json(big, m)

        t_json = best_of(parse_floor)
        t_ours = best_of(from_json)
        p = Profile.from_json(big, m)
        print(
            f"profile file: {size_mb:.1f} MB, {n_runs} runs of light_densenet121 at 'disabled', {len(p.events)} node events"
        )
        print(f"json.load:          {t_json:.3f} s")
        print(f"Profile.from_json:  {t_ours:.3f} s  (coverage {p.coverage():.1%})")
        print(f"ratio from_json / json.load = {t_ours / t_json:.2f}x  (goal <= 2x)")

        # 2. Overhead of the profiler on the runs themselves.
        plain = _session(model_path, None)
        prof = _session(model_path, folder)
        feeds = _feeds(plain)
        for s in (plain, prof):
            for _ in range(3):
                s.run(None, feeds)
        times = {"plain": [], "profiled": []}
        for _ in range(args.runs):  # interleaved, so load changes on the machine hit both alike
            for key, s in (("plain", plain), ("profiled", prof)):
                t0 = time.perf_counter()
                s.run(None, feeds)
                times[key].append(time.perf_counter() - t0)
        prof.end_profiling()
        t_plain = float(np.median(times["plain"]))
        t_prof = float(np.median(times["profiled"]))
        print(
            f"one run, profiler off: {t_plain * 1e3:.1f} ms; on: {t_prof * 1e3:.1f} ms (median of {args.runs})"
        )
        print(f"ratio profiled / unprofiled run = {t_prof / t_plain:.2f}x")
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            profile(m, runs=args.runs, warmup=3, optimization="disabled", providers=["CPUExecutionProvider"],
                    progress=False)  # fmt: skip
        t_call = time.perf_counter() - t0
        print(
            f"oi.profile(runs={args.runs}, warmup=3) wall time: {t_call:.2f} s = "
            f"{t_call / ((args.runs + 3) * t_plain):.2f}x the {args.runs + 3} unprofiled runs it makes"
        )


if __name__ == "__main__":
    main()
