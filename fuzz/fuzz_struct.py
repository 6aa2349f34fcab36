"""Long structured fuzz run over the whole API, with the closing figures the issue asks for.

    python fuzz/fuzz_struct.py --cases 2000 --seed 1            # light + all node-test + hostile seeds
    python fuzz/fuzz_struct.py --cases 300 --quick              # node-test subset (no 1-minute generation)
    python fuzz/fuzz_struct.py --exclude huge_work              # without the Loop 2**62 / huge ConstantOfShape

Prints: inputs tried, outcomes by type, slowest input, peak RSS of a worker. Inputs whose outcome is a
raw exception, a crash or a hang are saved under fuzz/crashes/ (gitignored); exit status 1 if any.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.structured import MUTATIONS, cases, run_cases, seed_pool


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="node-test subset instead of all 1,884 models")
    ap.add_argument("--hang", type=float, default=60.0, help="seconds without progress that count as a hang")
    ap.add_argument("--exclude", default="", help="mutations to leave out, comma-separated (e.g. huge_work)")
    args = ap.parse_args()
    kinds = [k for k in MUTATIONS if k not in args.exclude.split(",")]
    t0 = time.perf_counter()
    pool = seed_pool(quick=args.quick)
    items = list(cases(args.cases, args.seed, pool, kinds))
    res = run_cases(items, hang_s=args.hang)
    total = time.perf_counter() - t0
    print(f"seed pool {len(pool)} models; mutations {', '.join(kinds)}")
    print(f"inputs tried {res.tried} (seed {args.seed}) in {total:.0f} s")
    for key, value in sorted(res.counts.items(), key=lambda kv: -kv[1]):
        print(f"  {value:>7}  {key}")
    print(f"slowest input: {res.slowest[0]:.2f} s ({res.slowest[1]})")
    print(f"peak RSS of a worker: {res.peak_rss_mb:.0f} MB")
    for path in res.saved:
        print(f"saved: {path}")
    return 1 if res.bad() else 0


if __name__ == "__main__":
    sys.exit(main())
