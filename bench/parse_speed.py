"""Parser throughput: lines per second of ``pafix.syntax.parser.parse`` over the real corpus.

    python bench/parse_speed.py                       # ../shared/corpus/real next to the repo
    python bench/parse_speed.py --corpus DIR --runs 5

Every ``*.robin`` file is read as bytes and decoded as UTF-8 (a BOM kept), then parsed; a file
that is not Robin (``ParseError``) is left out and listed. Each set of files is parsed ``--runs``
times (3 by default) in one process after a warm-up parse of each file (the grammar is built
once per process and cached); the best run counts. Two sets are reported:

* ``all``: every parseable file; its ControlRepository trailers are split off, never tokenized
  (some are megabytes of JSON), so the figure per *file* line flatters the parser;
* ``no_trailer``: the files without a trailer, where every line is Robin.

``code_lines`` counts the lines before the trailer (what the parser reads), ``file_lines`` all of
them. Results go to ``bench/results/parse_speed.json``. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import dataclass
from typing import Any
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pafix.errors import ParseError  # noqa: E402
from pafix.syntax.parser import parse, split_trailer  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "real"
RESULTS = ROOT / "bench" / "results" / "parse_speed.json"


@dataclass
class Doc:
    name: str
    text: str
    code_lines: int
    file_lines: int
    trailer: bool


def _lines(text: str) -> int:
    return text.count("\n") + (0 if not text or text.endswith("\n") else 1)


def load(corpus: Path) -> tuple[list[Doc], list[str]]:
    docs: list[Doc] = []
    skipped: list[str] = []
    for path in sorted(corpus.glob("*.robin")):
        text = path.read_bytes().decode("utf-8")
        try:
            parse(text)  # warm-up, and leave out what is not Robin
        except ParseError as exc:
            skipped.append(f"{path.name}: {exc.line}:{exc.column}: {exc.message}")
            continue
        cut = split_trailer(text)
        docs.append(Doc(path.name, text, _lines(text[:cut]), _lines(text), cut < len(text)))
    return docs, skipped


def measure(docs: list[Doc], runs: int) -> dict[str, Any]:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        for doc in docs:
            parse(doc.text)
        times.append(time.perf_counter() - start)
    best = min(times)
    code_lines = sum(d.code_lines for d in docs)
    file_lines = sum(d.file_lines for d in docs)
    code_bytes = sum(len(d.text[: split_trailer(d.text)].encode("utf-8")) for d in docs)
    return {
        "files": len(docs),
        "code_lines": code_lines,
        "file_lines": file_lines,
        "code_bytes": code_bytes,
        "best_s": round(best, 4),
        "runs_s": [round(t, 4) for t in times],
        "code_lines_per_s": round(code_lines / best),
        "file_lines_per_s": round(file_lines / best),
        "code_mb_per_s": round(code_bytes / best / 1e6, 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.robin files")
    ap.add_argument("--runs", type=int, default=3, help="runs per set; the best counts (default 3)")
    ap.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2

    docs, skipped = load(args.corpus)
    sets = {
        "all": docs,
        "no_trailer": [d for d in docs if not d.trailer],
    }
    results = {name: measure(group, args.runs) for name, group in sets.items()}

    header = f"{'set':<11} {'files':>5} {'code lines':>10} {'file lines':>10} {'best s':>8} {'code lines/s':>13} {'file lines/s':>13} {'code MB/s':>9}"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<11} {r['files']:>5} {r['code_lines']:>10} {r['file_lines']:>10} {r['best_s']:>8.3f} "
            f"{r['code_lines_per_s']:>13,} {r['file_lines_per_s']:>13,} {r['code_mb_per_s']:>9.2f}"
        )
    for line in skipped:
        print(f"not Robin, left out: {line}")

    report = {
        "benchmark": "pafix.syntax.parser.parse lines per second (best of runs)",
        "corpus": str(args.corpus),
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "skipped": skipped,
        "sets": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
