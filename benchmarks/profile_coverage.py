"""Share of kernel time that oi.profile puts on model node ids, per model and optimization level.

    python benchmarks/profile_coverage.py                 # onnx's light models
    python benchmarks/profile_coverage.py --corpus        # + the real-model corpus (tests/corpus), fetched once
    python benchmarks/profile_coverage.py a.onnx 'b.onnx@{"batch": 1, "seq": 16}'   # any files, dims as JSON

Coverage is the share of ``dur_us`` of node events whose ``node_id`` is set (``Profile.coverage`` uses self
time; the same here for graphs without control flow). It is a mapping measure, not a timing one, but the
share of unmapped kernels depends on how long they took, so numbers move a little between runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import onnx

import onnx_inspect as oi

LEVELS = ("disabled", "basic", "extended", "all")
LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def coverage(m: oi.Model, level: str, dims: dict | None) -> str:  # type: ignore[type-arg]
    """Coverage of one profile, as a percentage string (or the error's first words)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = oi.profile(m, runs=2, warmup=1, optimization=level, progress=False, dims=dims)
    except oi.InspectError as exc:
        return f"error: {str(exc)[:60]}"
    ev = p.events
    total = float(ev["dur_us"].sum())
    return f"{100 * float(ev.loc[ev['node_id'].notna(), 'dur_us'].sum()) / total:.1f} %" if total else "empty"


def models(args: argparse.Namespace) -> list[tuple[str, str, dict | None]]:  # type: ignore[type-arg]
    """(label, path, dims) of every model to measure."""
    out: list[tuple[str, str, dict | None]] = []  # type: ignore[type-arg]
    for spec in args.files:
        path, _, dims = spec.partition("@")
        out.append((Path(path).name, path, json.loads(dims) if dims else None))
    if not args.files:
        out += [(p.stem, str(p), None) for p in sorted(LIGHT.glob("light_*.onnx"))]
    if args.corpus:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.corpus import corpus_models  # type: ignore[import-not-found]

        for e in corpus_models():
            if {"cnn", "transformer", "detector", "lstm"} & set(e.kind or ()):
                out.append((e.name, str(e.path), e.dims))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="model paths, optionally path@{dims as JSON}")
    ap.add_argument("--corpus", action="store_true", help="add the corpus CNNs and transformers")
    ap.add_argument("--levels", default=",".join(LEVELS), help="comma-separated optimization levels")
    args = ap.parse_args()
    levels = args.levels.split(",")
    print("| model | " + " | ".join(levels) + " |")
    print("| --- |" + " ---: |" * len(levels))
    for label, path, dims in models(args):
        m = oi.load(path)
        print(f"| {label} | " + " | ".join(coverage(m, lv, dims) for lv in levels) + " |", flush=True)


if __name__ == "__main__":
    main()
