"""Long fuzz run of the loader (mutations of real models), with figures: inputs tried, outcomes by type.

    python fuzz/fuzz_load.py --cases 20000 --seed 1
    python fuzz/fuzz_load.py --atheris --seconds 300   # coverage-guided (pip install atheris)

Every input must load or raise oi.InspectError; a per-input watchdog (10 s) catches hangs, and the peak
resident memory is printed. Any other exception stops the run with the input saved to fuzz/crashes/.
"""

from __future__ import annotations

import argparse
import collections
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.harness import cases, outcome

HANG_S = 10


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


def peak_rss_mb() -> float:
    m = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(m.group(1)) / 1024 if m else float("nan")


def save_crash(data: bytes, exc: BaseException) -> Path:
    out = Path(__file__).parent / "crashes"
    out.mkdir(exist_ok=True)
    path = out / f"crash-{int(time.time())}-{type(exc).__name__}.onnx"
    path.write_bytes(data)
    return path


def run_mutations(n: int, seed: int) -> int:
    signal.signal(signal.SIGALRM, _alarm)
    counts: collections.Counter[str] = collections.Counter()
    slowest = 0.0
    t0 = time.perf_counter()
    for name, data in cases(n, seed):
        signal.alarm(HANG_S)
        start = time.perf_counter()
        try:
            counts[outcome(data)] += 1
        except Hang:
            print(f"HANG (> {HANG_S} s) on a mutation of {name}: {save_crash(data, Hang())}")
            return 1
        except Exception as exc:
            print(f"CRASH {type(exc).__name__}: {exc} on a mutation of {name}: {save_crash(data, exc)}")
            return 1
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - start)
    total = time.perf_counter() - t0
    print(
        f"inputs tried {n} (seed {seed}) in {total:.1f} s; slowest {slowest:.2f} s; peak RSS {peak_rss_mb():.0f} MB"
    )
    for key, value in counts.most_common():
        print(f"  {value:>7}  {key}")
    return 0


def run_atheris(seconds: int) -> int:
    """Coverage-guided run (libFuzzer via atheris) from the real models as a seed corpus."""
    import tempfile

    import atheris  # type: ignore[import-not-found]

    from fuzz.harness import seeds

    corpus = tempfile.mkdtemp(prefix="oi-fuzz-corpus-")
    for name, data in seeds():
        Path(corpus, f"{name}.onnx").write_bytes(data)
    atheris.instrument_all()  # coverage feedback from onnx_inspect (and everything else loaded)

    def one(data: bytes) -> None:
        outcome(data)

    args = [sys.argv[0], corpus, f"-max_total_time={seconds}", f"-timeout={HANG_S}", "-rss_limit_mb=2048"]
    atheris.Setup(args, one)
    atheris.Fuzz()
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--atheris", action="store_true", help="coverage-guided run instead (pip install atheris)"
    )
    ap.add_argument("--seconds", type=int, default=300, help="length of the --atheris run")
    args = ap.parse_args()
    return run_atheris(args.seconds) if args.atheris else run_mutations(args.cases, args.seed)


if __name__ == "__main__":
    sys.exit(main())
