"""Peak memory of ``oi.first_divergence`` against a Polygraphy-style "mark all" comparison, side by side.

    python benchmarks/first_divergence.py                       # corpus BERT (batch 256 x 64 tokens), light ResNet50 (batch 1)
    python benchmarks/first_divergence.py --models bert --batch 128 --chunk 20

Each measurement runs in a fresh subprocess and reports its peak RSS (``ru_maxrss``):

* floor: both models loaded (oi.load), feeds made, onnxruntime imported, no session yet;
* run once: ``oi.run(a)`` (its outputs only): what running the model at all costs (session, weights
  onnxruntime folds from ConstantOfShape in the light models, the run's working set);
* mark-all: every value of both models fetched at once (``oi.run(m, "all")`` on each), then compared:
  what Polygraphy's ``--onnx-outputs mark all`` does;
* first_divergence: ``oi.first_divergence(a, b)`` with its default chunks.

``b`` is a separate load of the same file, so nothing diverges and first_divergence walks every chunk (its
worst case). Printed: peak RSS, peak above the floor, the bytes of all intermediates of both models and
of the largest chunk of both, and the ratios: mark-all / first_divergence above the floor; first_divergence
above the floor / its largest chunk (issue 14's goal: at most 2x); first_divergence above "run once" / its
largest chunk (the memory beyond running the model at all).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parent.parent
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def _model(name: str, batch: int) -> tuple[Path, dict, dict]:
    """(path, dims, ranges) of a benchmark model."""
    if name == "bert":
        sys.path.insert(0, str(ROOT))
        from tests.corpus import corpus_model

        return (
            corpus_model("bert_mlm_torchscript").path,
            {"batch": batch, "sequence": 64},
            {"input_ids": [0, 100]},
        )
    if name == "resnet50":
        return LIGHT / "light_resnet50.onnx", {}, {}
    raise SystemExit(f"unknown model {name!r}: bert or resnet50")


def _feeds(m, dims: dict, ranges: dict, batch: int) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    import onnx_inspect as oi

    feeds = oi.make_feeds(m, dims=dims, ranges=ranges or None)
    if "attention_mask" in feeds:
        feeds["attention_mask"] = np.ones_like(feeds["attention_mask"])
    return feeds


def measure(mode: str, name: str, batch: int, chunk: int | None = None) -> dict:
    """One measurement in this process: peak RSS in MiB plus byte counts."""
    import onnx_inspect as oi
    from onnx_inspect.runtime import accuracy

    path, dims, ranges = _model(name, batch)
    a, b = oi.load(path), oi.load(path)
    feeds = _feeds(a, dims, ranges, batch)
    out: dict = {}
    if mode == "floor":
        import onnxruntime  # noqa: F401  (the library loaded, no session yet)
    elif mode == "run":
        oi.run(a, None, feeds)
    elif mode == "markall":
        va = oi.run(a, "all", feeds)
        vb = oi.run(b, "all", feeds)
        bad = [n for n in va if not np.allclose(va[n], vb[n], rtol=1e-3, atol=1e-5, equal_nan=True)]
        out["held_mb"] = (sum(v.nbytes for v in va.values()) + sum(v.nbytes for v in vb.values())) / 2**20
        out["first_bad"] = bad[0] if bad else None
    elif mode == "first":
        largest = [0]
        values = accuracy._Pair.values

        def counting(self, names):  # type: ignore[no-untyped-def]
            got = list(values(self, names))
            largest[0] = max(largest[0], sum(x.nbytes + y.nbytes for _, x, y in got))
            yield from got

        accuracy._Pair.values = counting  # type: ignore[method-assign]
        out["first_bad"] = oi.first_divergence(a, b, feeds=feeds, chunk=chunk)
        out["chunk_mb"] = largest[0] / 2**20
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["bert", "resnet50"])
    ap.add_argument(
        "--batch",
        type=int,
        default=0,
        help="batch size (bert; default 256; light ResNet50 has batch 1 fixed)",
    )
    ap.add_argument(
        "--chunk", type=int, default=0, help="tensors per chunk (default: first_divergence's own)"
    )
    ap.add_argument("--child", nargs=4, metavar=("MODE", "MODEL", "BATCH", "CHUNK"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, name, batch, chunk = args.child
        print(json.dumps(measure(mode, name, int(batch), int(chunk) or None)))
        return
    print(f"{'model':<10} {'floor MB':>9} {'run once MB':>12} {'mark-all MB':>12} {'first_div MB':>13} "
          f"{'all values MB':>14} {'largest chunk MB':>17} {'mark-all/first':>15} {'first/chunk (goal <=2)':>23} "
          f"{'(first-run once)/chunk':>23}")  # fmt: skip
    for name in args.models:
        batch = (args.batch or 256) if name == "bert" else 1
        got = {}
        for mode in ("floor", "run", "markall", "first"):
            res = subprocess.run(
                [sys.executable, __file__, "--child", mode, name, str(batch), str(args.chunk)],
                capture_output=True, text=True, check=True, cwd=ROOT,
            )  # fmt: skip
            got[mode] = json.loads(res.stdout.strip().splitlines()[-1])
        floor = got["floor"]["peak_mb"]
        mark, first = got["markall"]["peak_mb"] - floor, got["first"]["peak_mb"] - floor
        chunk_mb = max(got["first"]["chunk_mb"], 1)
        ratio = first / chunk_mb
        beyond = (got["first"]["peak_mb"] - got["run"]["peak_mb"]) / chunk_mb
        assert got["markall"]["first_bad"] is None and got["first"]["first_bad"] is None
        print(
            f"{name + f' x{batch}':<10} {floor:>9.0f} {got['run']['peak_mb']:>12.0f} {got['markall']['peak_mb']:>12.0f} "
            f"{got['first']['peak_mb']:>13.0f} {got['markall']['held_mb']:>14.0f} {got['first']['chunk_mb']:>17.0f} "
            f"{mark / max(first, 1):>14.1f}x {ratio:>9.2f}x ({'met' if ratio <= 2 else 'NOT met'}){'':>4} {beyond:>22.2f}x"
        )


if __name__ == "__main__":
    main()
