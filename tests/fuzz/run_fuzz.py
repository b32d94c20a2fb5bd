"""Long fuzzing run of pafix: ``python tests/fuzz/run_fuzz.py --minutes 10``.

Runs the properties of ``tests/fuzz_checks.py`` (parse, parse(recover=True), check_source,
rewrite_text safe and unsafe, the CLI's scan and rewrite --check) on mutated flows from
``tests/mutations.py`` (random valid flows, windows of the real flows in fixtures/corpus, deeply
nested blocks; mutated by line, character and byte) for about N minutes, target after target in
short Hypothesis runs (max_examples per run, deadline=None, no example database).

A failure is recorded once per signature (target, exception type, innermost pafix frame): its
input is printed (or saved with ``--out``) with the traceback; afterwards the same signature is
only counted, so the run goes on looking for other bugs. Nothing is shrunk (shrinking a large
flow can take many minutes). Prints a progress line per round and a summary; exit status 1 when
anything failed.

    python tests/fuzz/run_fuzz.py --minutes 10 [--targets parse,core] [--json out.json] [--out dir]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))
try:  # pafix from PYTHONPATH when it is there (e.g. a patched copy), else from this tree
    import pafix  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT / "src"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fuzz_checks as F  # noqa: E402
from mutations import as_text, mutated_bytes, mutated_flows  # noqa: E402

#: name -> (strategy, check, examples per Hypothesis run)
TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None], int]] = {
    "parse": (st.one_of(mutated_flows(6, 200, 1500), mutated_bytes(3, 200).map(as_text)), F.check_parse, 300),
    "recover": (mutated_flows(6, 200, 1500), F.check_recover, 200),
    "core": (st.one_of(mutated_flows(6, 200, 1500), mutated_bytes(3, 200).map(as_text)), F.check_core, 200),
    "rewrite": (st.tuples(mutated_flows(6, 120, 800), st.booleans()), lambda a: F.check_rewrite(*a), 100),
    "cli": (mutated_bytes(4, 120, 600), F.check_cli, 50),
}


class Stats:
    def __init__(self) -> None:
        self.examples: Counter[str] = Counter()
        self.failures: Counter[tuple[str, str, str]] = Counter()
        self.first: dict[tuple[str, str, str], dict[str, str]] = {}


def _inner(exc: BaseException) -> BaseException:
    """The first real error of a Hypothesis exception group (FlakyFailure, ...)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def signature(target: str, exc: BaseException) -> tuple[str, str, str]:
    exc = _inner(exc)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/pafix/" in f.filename.replace("\\", "/")]
    frame = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return target, type(exc).__name__, f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"


def _save(value: Any, out: Path | None, number: int) -> str:
    """The failing input, in a file when ``--out`` is given (large inputs are not printed)."""
    data = value[0] if isinstance(value, tuple) else value
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"failure-{number}.{'bin' if isinstance(data, bytes) else 'robin'}"
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
        return f"input saved in {path} ({len(data)} {'bytes' if isinstance(data, bytes) else 'characters'})"
    return repr(value)[:1500]


def run_target(name: str, stats: Stats, budget: float, out: Path | None) -> None:
    """Hypothesis runs of ``name`` for about ``budget`` seconds. Failures are caught in the test
    body (no shrinking: a shrink of a large flow can take many minutes), so the run goes on; the
    first input of each new signature is kept."""
    strategy, check, per_run = TARGETS[name]
    stop_at = time.monotonic() + budget

    @settings(max_examples=per_run, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(strategy)
    def prop(value: Any) -> None:
        stats.examples[name] += 1
        try:
            check(value)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none stops the run
            sig = signature(name, exc)
            stats.failures[sig] += 1
            if sig not in stats.first:
                stats.first[sig] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}",
                                    "example": _save(value, out, len(stats.first) + 1),
                                    "traceback": "".join(traceback.format_exception(exc))[-3000:]}
                print(f"\n*** NEW FAILURE {sig}\n{stats.first[sig]['error']}\n{stats.first[sig]['example']}\n"
                      f"{stats.first[sig]['traceback'][-1500:]}", flush=True)

    # the clock is read between Hypothesis runs only
    while time.monotonic() < stop_at:
        prop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma-separated: " + ", ".join(TARGETS))
    ap.add_argument("--slice", type=float, default=20.0, help="seconds per target before moving on")
    ap.add_argument("--json", help="also write the summary as JSON here")
    ap.add_argument("--out", help="folder for the failing inputs (default: printed, cut to 1500 characters)")
    args = ap.parse_args(argv)
    names = [t for t in args.targets.split(",") if t]
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s): {', '.join(unknown)}")
    stats = Stats()
    started = time.monotonic()
    end = started + args.minutes * 60
    rounds = 0
    while time.monotonic() < end:
        rounds += 1
        for name in names:
            left = end - time.monotonic()
            if left <= 0:
                break
            run_target(name, stats, min(args.slice, left), Path(args.out) if args.out else None)
        elapsed = (time.monotonic() - started) / 60
        print(f"[{elapsed:5.1f} min] round {rounds}: " + ", ".join(f"{n}={stats.examples[n]}" for n in names)
              + f"; failures: {sum(stats.failures.values())} ({len(stats.first)} distinct)", flush=True)
    total = sum(stats.examples.values())
    minutes = (time.monotonic() - started) / 60
    print(f"\nfuzzed {minutes:.1f} minutes, {total} examples: "
          + ", ".join(f"{n} {stats.examples[n]}" for n in names))
    if not stats.first:
        print("no failures")
    for sig, info in stats.first.items():
        print(f"FAILURE x{stats.failures[sig]} {sig}: {info['error']}\n{info['example'][:1500]}\n")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "minutes": round(minutes, 2), "examples": dict(stats.examples), "total_examples": total,
            "failures": [{"signature": list(sig), "count": stats.failures[sig], **info} for sig, info in stats.first.items()],
        }, indent=2), encoding="utf-8")
    return 1 if stats.first else 0


if __name__ == "__main__":
    sys.exit(main())
