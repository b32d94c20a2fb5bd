"""Latency of ``pafix lsp``: from ``textDocument/didChange`` to the diagnostics.

    PYTHONPATH=src python bench/lsp_latency.py [--lines 2000] [--edits 50] [--mode push --mode pull]
        [--out bench/results/lsp_latency.json]

Builds a flow of about ``--lines`` lines from the bodies of the repository's ``examples/`` and
``fixtures/rules/`` flows (one merged header: the union of their ``@SENSITIVE`` names and
``@INPUT``/``@OUTPUT`` declarations), starts the real server process (``python -m pafix lsp``)
with the debounce switched off (init option ``debounceMs: 0``, so nothing is subtracted),
opens the flow and makes ``--edits`` small incremental edits (a character typed into, then
removed from, a quoted text on a line in the middle: the syntax tree changes, the flow stays
valid, no diagnostic moves; ``--newline``: an empty line typed above that line and removed,
which moves every diagnostic below it), timing each one until the diagnostics of that version
arrive. Two servers run side by side, edit by edit: one whose client takes
``publishDiagnostics`` (``push``, the headline figures) and one whose client declares it can
pull and asks with ``textDocument/diagnostic`` after each change (``pull``, under ``"pull"``,
with how many answers were ``unchanged``). Each is also timed until the client had read the
answer's bytes, before this Python client decoded them (``read_*``: what the server and the
pipe take). The server process is ``pafix lsp`` with its ``lint_text`` timed (``--serve``):
``server_overhead_*`` is, edit by edit, the latency less the time the core (``lint_text``: the
incremental re-parse from the previous version + ``check_flow``) took in the server for that
edit, so what the server, pygls, the pipe and this client add is told apart from the core's
time at the same moment. It also times the core alone on the same edits
(``core_in_process_*``), in a separate process run as the server runs its checks
(``_tune_gc``'s thresholds and frozen start-up objects, the ``CheckCollector`` around each
check), and what the server does around it there (``server_in_process``): the line index
moved by the edit, the diagnostics' JSON (``DiagnosticMemo``) and freeing the check a newer
one replaced.

``--src DIR``: measure another checkout's ``src`` (its server and its core; the flow is built
by this script's checkout).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parents[1]
#: the checkout whose core the ``--core-worker`` process times (``--src``); this one otherwise
SRC = Path(os.environ.get("PAFIX_BENCH_SRC", ROOT / "src"))
sys.path.insert(0, str(SRC))

from pafix.syntax import nodes as n  # noqa: E402
from pafix.errors import ParseError  # noqa: E402
from pafix.syntax.parser import parse  # noqa: E402


def _sources() -> list[Path]:
    files = sorted((ROOT / "examples").glob("*.robin")) + sorted((ROOT / "examples").glob("*.txt"))
    files += sorted((ROOT / "fixtures" / "rules").rglob("*.robin"))
    return files


def build_flow(lines: int) -> str:
    """A flow of at least ``lines`` lines: one header, then the flows' Main bodies, repeated."""
    sensitive: list[str] = []
    io: dict[str, str] = {}
    bodies: list[str] = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        try:
            flow = parse(text, str(path))
        except ParseError:
            continue
        if flow.functions or flow.trailer is not None:
            continue
        body: list[str] = []
        for stmt in flow.body:
            if isinstance(stmt, n.Sensitive):
                sensitive.extend(x.name for x in stmt.names if x.name not in sensitive)
            elif isinstance(stmt, n.IODecl):
                io.setdefault(stmt.name.name, flow.text(stmt))
            elif isinstance(stmt, (n.Annotation, n.Import)):
                continue
            else:
                body.append(flow.text(stmt))
        if body:
            bodies.append("\n".join(body) + "\n")
    header = ""
    if sensitive:
        header += f"@SENSITIVE: [{', '.join(sensitive)}]\n"
    header += "".join(line + "\n" for line in io.values())
    out = [header]
    count = header.count("\n")
    i = 0
    while count < lines:
        chunk = bodies[i % len(bodies)]
        out.append(chunk)
        count += chunk.count("\n")
        i += 1
    text = "".join(out)
    parse(text, "bench.robin")  # must be valid Robin (raises otherwise)
    return text


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def edit_spot(text: str) -> tuple[int, int]:
    """Where the benchmark types: inside the first single-quoted text at or after the middle
    line (a character typed into a message or a path: the tree changes, the flow stays valid)."""
    lines = text.split("\n")
    for number in range(len(lines) // 2, len(lines)):
        line = lines[number]
        start = line.find(" '")
        if start >= 0 and line.isascii() and "'" in line[start + 2 :] and line[start + 2] != "'":
            return number, start + 3  # after the first character of the text (ASCII: UTF-16 = code points)
    raise ValueError("no single-quoted text after the middle of the flow")


#: latencies, the same until the answer's bytes were read, first open, diagnostics, answers,
#: and the server's own ``lint_text`` time within each latency
Run = tuple[list[float], list[float], float, int, dict[str, int], list[float]]


class Session:
    """One server process and its client, getting diagnostics one way: published (``push``),
    or as the answer to the ``textDocument/diagnostic`` request the client sends right after
    each change, naming the result it holds, as VS Code's client does (``pull``: the client
    declares it can pull, so the server publishes nothing)."""

    def __init__(self, mode: str, timeout: float, src: Path = SRC) -> None:
        self.mode, self.timeout, self.src = mode, timeout, src
        self.client = LanguageClient("pafix-bench", "1")
        self.published: dict[int | None, float] = {}
        #: when the body of each answer had been read, before this (Python) client decoded it
        self.arrived: dict[int | None, float] = {}
        self.read_at = 0.0
        self.count = 0
        self.held: str | None = None
        self.kinds = {"full": 0, "unchanged": 0}
        self.latencies: list[float] = []
        self.arrivals: list[float] = []
        #: each edit's (sent, answered) times, and the (start, end) of the server's checks
        self.windows: list[tuple[float, float]] = []
        self.checks_file = Path(tempfile.mkstemp(prefix=f"lsp-latency-{mode}-", suffix=".txt")[1])
        self.first = 0.0
        self.uri = str(from_fs_path(str(ROOT / "bench" / "results" / f"lsp-latency-{mode}.robin")))

        @self.client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_publish(params: t.PublishDiagnosticsParams) -> None:
            self.published[params.version] = time.perf_counter()
            self.arrived[params.version] = self.read_at  # the last body read is this message's
            self.count = len(params.diagnostics)

    async def start(self, text: str) -> None:
        env = {**os.environ, "PAFIX_BENCH_SRC": str(self.src),
               "PYTHONPATH": os.pathsep.join(p for p in (str(self.src), os.environ.get("PYTHONPATH", "")) if p)}
        await self.client.start_io(sys.executable, __file__, "--serve", str(self.checks_file), env=env)
        stdout = self.client._server.stdout if self.client._server is not None else None
        if stdout is not None:  # pygls reads each message body with one readexactly
            read_body = stdout.readexactly

            async def timed_read(n: int) -> bytes:
                body = await read_body(n)
                self.read_at = time.perf_counter()
                return body

            stdout.readexactly = timed_read  # type: ignore[method-assign]
        caps = t.ClientCapabilities()
        if self.mode == "pull":
            caps.text_document = t.TextDocumentClientCapabilities(diagnostic=t.DiagnosticClientCapabilities())
            caps.workspace = t.WorkspaceClientCapabilities(
                diagnostics=t.DiagnosticWorkspaceClientCapabilities(refresh_support=True))
        await self.client.initialize_async(t.InitializeParams(
            capabilities=caps, initialization_options={"pafix": {"debounceMs": 0}},
        ))
        self.client.initialized(t.InitializedParams())
        started = time.perf_counter()
        self.client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(self.uri, "robin", 1, text)))
        self.first = await self.wait(1) - started
        self.kinds = {"full": 0, "unchanged": 0}  # the open's answer is not an edit's

    async def wait(self, version: int) -> float:
        if self.mode == "pull":
            report = await asyncio.wait_for(self.client.text_document_diagnostic_async(t.DocumentDiagnosticParams(
                t.TextDocumentIdentifier(self.uri), previous_result_id=self.held)), self.timeout)
            self.published[version] = time.perf_counter()
            self.arrived[version] = self.read_at
            self.kinds[report.kind] += 1
            self.held = report.result_id
            if isinstance(report, t.RelatedFullDocumentDiagnosticReport):
                self.count = len(report.items)
            return self.published[version]
        end = time.perf_counter() + self.timeout
        while time.perf_counter() < end:
            if version in self.published:
                return self.published[version]
            await asyncio.sleep(0.0005)
        raise TimeoutError(f"no diagnostics for version {version}")

    async def edit(self, version: int, change: t.TextDocumentContentChangePartial) -> None:
        sent = time.perf_counter()
        self.client.text_document_did_change(t.DidChangeTextDocumentParams(
            t.VersionedTextDocumentIdentifier(uri=self.uri, version=version), [change]))
        answered = await self.wait(version)
        self.latencies.append(answered - sent)
        self.arrivals.append(self.arrived[version] - sent)
        self.windows.append((sent, answered))

    async def stop(self) -> Run:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()
        checks = [tuple(map(float, line.split())) for line in self.checks_file.read_text().splitlines() if line]
        self.checks_file.unlink()
        # the checks that started and ended while the client waited for an edit's answer
        in_server = [sum(end - start for start, end in checks if sent <= start and end <= answered)
                     for sent, answered in self.windows]
        return (self.latencies, self.arrivals, self.first, self.count, self.kinds if self.mode == "pull" else {},
                in_server)


def serve(checks_file: Path) -> None:
    """The server process (``--serve``): ``pafix lsp`` (:func:`pafix.lsp.server.start_io`, which
    the command runs) with the start and end of each ``lint_text`` of a check written to
    ``checks_file``: time.perf_counter is CLOCK_MONOTONIC on Linux, the client's clock too, so
    the client can tell how much of each edit's latency the core took in the server."""
    from pafix.lsp import server as server_module

    out = checks_file.open("w", encoding="utf-8", buffering=1)
    lint = server_module.lint_text

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return lint(*args, **kwargs)
        finally:
            out.write(f"{start} {time.perf_counter()}\n")

    server_module.lint_text = timed  # type: ignore[assignment]
    server_module.start_io()


async def measure(text: str, edits: int, timeout: float, modes: list[str], newline: bool = False,
                  src: Path = SRC) -> dict[str, Run]:
    """One server per mode, all alive at once; each edit is made in every one of them in turn
    (the order alternating from edit to edit), so the modes share the machine's moods."""
    sessions = [Session(mode, timeout, src) for mode in modes]
    for session in sessions:
        await session.start(text)
    target, col = edit_spot(text)
    typed, end = ("x", t.Position(target, col + 1)) if not newline else ("\n", t.Position(target + 1, 0))
    if newline:
        col = 0  # an empty line inserted above the middle line: every diagnostic below it moves
    for i in range(edits):
        if i % 2 == 0:
            change = t.TextDocumentContentChangePartial(
                range=t.Range(t.Position(target, col), t.Position(target, col)), text=typed)
        else:
            change = t.TextDocumentContentChangePartial(range=t.Range(t.Position(target, col), end), text="")
        for session in sessions if i % 2 == 0 else reversed(sessions):
            await session.edit(i + 2, change)
    return {session.mode: await session.stop() for session in sessions}


CORE_EDITS = 20


def core_worker(text_file: Path, edit: str) -> dict[str, float]:
    """Runs in its own process (``--core-worker``, ``pafix`` from ``PAFIX_BENCH_SRC``): the
    checks of the server's edits as the server's worker thread runs them, with the collector
    policy of the checkout (its ``_tune_gc`` at start, its ``CheckCollector`` around each check,
    where it has them). Without it a 20,001-line keystroke measured a 775 ms parse: the
    collector walked the ~1,000,000 objects a check leaves alive, which the server never does.
    Medians in ms of ``CORE_EDITS`` keystrokes (the first two warm up and are not counted)."""
    import contextlib

    from pafix.lsp import lint as lint_module
    from pafix.lsp import server as server_module
    from pafix.lsp.convert import DiagnosticMemo, diagnostics
    from pafix.lsp.lint import lint_text
    from pafix.lsp.positions import LineIndex

    text = text_file.read_text(encoding="utf-8")
    line, col = edit_spot(text)
    newline = edit == "newline"
    at = sum(len(x) + 1 for x in text.split("\n")[:line]) + (0 if newline else col)
    added = "\n" if newline else "x"
    typed = text[:at] + added + text[at:]
    tune = getattr(server_module, "_tune_gc", None)
    if tune is not None:
        tune()
    policy = getattr(lint_module, "CheckCollector", None)
    collector = policy() if policy is not None else contextlib.nullcontext()
    uri = "file:///bench.robin"
    memo = DiagnosticMemo()
    index = LineIndex(text)
    with collector:
        last = lint_text(text, "bench.robin")
        diagnostics(uri, 1, last, index, "utf-16", suppress=False, memo=memo)
    times: dict[str, list[float]] = {key: [] for key in ("lint", "parse", "check", "line_index", "diagnostics", "release")}
    for i in range(CORE_EDITS + 2):
        current = typed if i % 2 == 0 else text
        t0 = time.perf_counter()
        index = index.edited(at, at + (i % 2) * len(added), current)  # as the change arrives
        t1 = time.perf_counter()
        with collector:  # the server's _compute
            result = lint_text(current, "bench.robin", previous=last.checked.flow if last.checked else None,
                               reuse=last.checked)
            t2 = time.perf_counter()
            diagnostics(uri, i + 2, result, index, "utf-16", suppress=False, memo=memo)
            t3 = time.perf_counter()
        last, retired = result, last
        t4 = time.perf_counter()
        del retired  # the replaced check, freed once the diagnostics are sent (Document.release)
        t5 = time.perf_counter()
        if i >= 2:
            for key, value in (("lint", t2 - t1), ("parse", result.timings["parse"]), ("check", result.timings["check"]),
                               ("line_index", t1 - t0), ("diagnostics", t3 - t2), ("release", t5 - t4)):
                times[key].append(value)
    return {key: statistics.median(values) * 1000 for key, values in times.items()}


def core_in_process(text: str, src: Path, newline: bool) -> dict[str, float]:
    """:func:`core_worker` in a process of its own (the collector settings it takes must not
    touch this client's), on ``src``."""
    with tempfile.TemporaryDirectory() as tmp:
        text_file = Path(tmp) / "flow.robin"
        text_file.write_text(text, encoding="utf-8")
        env = {**os.environ, "PAFIX_BENCH_SRC": str(src)}
        out = subprocess.run([sys.executable, __file__, "--core-worker", str(text_file), "newline" if newline else "char"],
                             env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"the core's worker failed:\n{out.stderr}")
    return {key: float(value) for key, value in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--newline", action="store_true",
                    help="type an empty line above the middle line instead of a character into a text "
                         "(every diagnostic below it moves: a pull is answered in full)")
    ap.add_argument("--mode", choices=("push", "pull"), action="append",
                    help="how the client gets diagnostics (repeat for both, the default: the two servers "
                         "run side by side, edit by edit)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "lsp_latency.json")
    ap.add_argument("--src", type=Path, default=ROOT / "src",
                    help="the checkout's src to measure (its server and its core); this one by default")
    ap.add_argument("--core-worker", nargs=2, metavar=("TEXT", "EDIT"), help=argparse.SUPPRESS)
    ap.add_argument("--serve", type=Path, metavar="CHECKS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    if args.core_worker:
        print(json.dumps(core_worker(Path(args.core_worker[0]), args.core_worker[1] == "newline")))
        return
    args.src = args.src.resolve()
    args.mode = args.mode or ["push", "pull"]

    text = build_flow(args.lines)
    line_count = text.count("\n")
    core = core_in_process(text, args.src, args.newline)
    runs = asyncio.run(measure(text, args.edits, args.timeout, args.mode, args.newline, args.src))

    def figures(run: Run) -> dict[str, Any]:
        latencies, arrivals, first, diagnostics, kinds, in_server = run
        ms = [x * 1000 for x in latencies]
        arrived_ms = [x * 1000 for x in arrivals]
        # per edit: its latency less the core's time in the server for it (the same moment,
        # so the machine's moods hit both alike)
        overhead = [(x - core) * 1000 for x, core in zip(latencies, in_server)]
        # the same up to the moment the client had read the answer's bytes (without this Python
        # client's decoding, ~100 ms for the 1.27 MB of a 20,001-line publish)
        overhead_read = [(x - core) * 1000 for x, core in zip(arrivals, in_server)]
        out: dict[str, Any] = {
            "edits": len(ms),
            "diagnostics": diagnostics,
            "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
            "min_ms": round(min(ms), 1),
            "max_ms": round(max(ms), 1),
            "first_open_ms": round(first * 1000, 1),
            # the same, up to the moment the client had read the bytes of the diagnostics, before
            # this Python client decoded them (json.loads with pygls' typed hook: ~7 ms for the
            # ~157 KB of 172 diagnostics; an editor's client decodes them in about a millisecond)
            "read_median_ms": round(statistics.median(arrived_ms), 1),
            "read_p95_ms": round(percentile(arrived_ms, 0.95), 1),
        }
        out["core_in_server_median_ms"] = round(statistics.median(in_server) * 1000, 1)
        out["server_overhead_median_ms"] = round(statistics.median(overhead), 1)
        out["server_overhead_p95_ms"] = round(percentile(overhead, 0.95), 1)
        out["server_overhead_read_median_ms"] = round(statistics.median(overhead_read), 1)
        out["server_overhead_read_p95_ms"] = round(percentile(overhead_read, 0.95), 1)
        if kinds:
            out["answers"] = kinds  # how many pulls were answered in full, how many "unchanged"
        return out

    core_ms = core["lint"]
    report: dict[str, Any] = {
        "benchmark": "lsp didChange -> diagnostics (published, and pulled)",
        "lines": line_count,
        "characters": len(text),
        "debounce_ms": 0,
        "edit": "an empty line typed above the middle line" if args.newline else "a character typed into a text",
        "src": str(args.src),
    }
    for mode in args.mode:
        part = figures(runs[mode])
        if mode == "push":
            report.update(part)  # the headline figures, as before pull existed
        else:
            report[mode] = part
    report.update({
        "core_in_process_median_ms": round(core_ms, 1),
        "core_parse_median_ms": round(core["parse"], 1),
        "core_check_median_ms": round(core["check"], 1),
        # what the server does around the core, timed in the same process (medians, ms)
        "server_in_process": {key: round(core[key], 2) for key in ("line_index", "diagnostics", "release")},
        "target_p95_ms": 50,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cpus",
    })
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for mode in args.mode:
        part = report if mode == "push" else report[mode]
        extra = f"; answers {part['answers']}" if "answers" in part else ""
        print(f"{mode}: {line_count} lines, {part['edits']} edits, debounce off: median {part['median_ms']} ms, "
              f"p95 {part['p95_ms']} ms (first open {part['first_open_ms']} ms); bytes read by the client: "
              f"median {part['read_median_ms']} ms, p95 {part['read_p95_ms']} ms{extra}")
    # each mode's figures hold its own server overhead (push's are the report's top level)
    overhead = ", ".join(
        f"{mode} median {part['server_overhead_median_ms']} ms, p95 {part['server_overhead_p95_ms']} ms "
        f"(to the bytes read: {part['server_overhead_read_median_ms']} / {part['server_overhead_read_p95_ms']} ms; "
        f"core in the server {part['core_in_server_median_ms']} ms)"
        for mode, part in ((mode, report if mode == "push" else report[mode]) for mode in args.mode))
    print(f"server overhead (latency less the core's time in the server, edit by edit): {overhead}")
    print(f"core alone (parse + check, in process): median {report['core_in_process_median_ms']} ms "
          f"(parse {report['core_parse_median_ms']} ms, check {report['core_check_median_ms']} ms)")
    around = report["server_in_process"]
    print(f"around the core, in process: line index {around['line_index']} ms, diagnostics {around['diagnostics']} ms, "
          f"freeing the replaced check {around['release']} ms")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
