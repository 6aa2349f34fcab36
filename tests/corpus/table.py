"""Print a markdown table of the corpus sweep: ``python -m tests.corpus.table [NAME ...]``.

Per model: node count, the outcome of each API call (see ``outcome``), and profile coverage (share of kernel self time on model node ids) at optimization
``disabled`` and ``all``. Measures whatever library is on the path.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import onnx_inspect as oi

from . import CALLS, corpus_models, sweep

SHORT = {
    "load": "load",
    "summary": "summ",
    "scope_tree": "scopes",
    "payload": "payload",
    "weights": "weights",
    "report": "report",
    "report_profile": "report+prof",
    "run": "run",
    "profile_disabled": "prof(dis)",
    "profile_all": "prof(all)",
    "placement": "place",
}


def outcome(fn: object, expected: object) -> str:
    """'ok'; the InspectError class name ('!' when the manifest does not expect it); 'FAIL <type>' for a raw
    exception; 'xfail <type>' for a known bug the manifest marks; 'XPASS' when that bug is gone."""
    known = isinstance(expected, dict)
    try:
        fn()  # type: ignore[operator]
    except oi.InspectError as e:
        name = type(e).__name__
        return f"xfail {name}" if known else name if expected == name else f"{name}!"
    except Exception as e:
        return f"xfail {type(e).__name__}" if known else f"FAIL {type(e).__name__}"
    return "XPASS" if known else "ok" if expected is None else f"ok (expected {expected})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="corpus model names (default: all)")
    args = ap.parse_args(argv)
    models = [m for m in corpus_models() if not args.names or m.name in args.names]
    cols = ["model", "exporter", "nodes", *[SHORT[c] for c in CALLS], "cov dis", "cov all", "s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    bad = 0
    with tempfile.TemporaryDirectory(prefix="oi-corpus-table-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cm in models:
            t0 = time.perf_counter()
            cells = []
            for c in CALLS:
                try:
                    fn = sweep.call(cm, c, Path(tmp))
                except Exception as e:  # the model did not load: every later call inherits it
                    cells.append(f"({type(e).__name__})")
                    continue
                cells.append(outcome(fn, cm.expected(c)))
            bad += sum(x.startswith(("FAIL", "(", "ok (", "XPASS")) or x.endswith("!") for x in cells)
            nodes = len(sweep._models[cm.name].nodes) if cm.name in sweep._models else "?"
            cov = []
            for level in ("disabled", "all"):
                p = sweep._profiles.get((cm.name, level))
                cov.append(f"{sweep.coverage(p):.1%}" if p is not None else "-")
            row = [cm.name, cm.exporter, str(nodes), *cells, *cov, f"{time.perf_counter() - t0:.0f}"]
            print("| " + " | ".join(row) + " |", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
