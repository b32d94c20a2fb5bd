"""Scanning many flows: a process pool, the result cache, deterministic output.

``run_scan(units, config, jobs=..., cache=...)`` checks an iterable of :class:`Unit` and gives
back one :class:`FileResult` per unit, in the units' order, whatever ``jobs`` is:

* a *task* is one loose flow, or all the flows of one solution (they are checked together);
* a task whose key is in the cache is answered from it and never analysed;
* the other tasks are analysed in this process (``jobs == 1``, or too little work to be worth
  a pool) or by ``jobs`` worker processes, in chunks of about :data:`CHUNK_SIZE` characters of
  text; each worker builds its own parser once and keeps it;
* a loose file whose bytes no cache key needs is read by the worker that checks it, not read,
  decoded and sent down a pipe by this process;
* units are read lazily and at most a few chunks per worker are in flight, so memory stays
  bounded by the chunks being analysed, not by the size of the fleet.

The settings that reach ``check_flow`` outside of ``config`` (the DLP policies of
``scan --dlp-policy``) are carried to the workers and into the cache key.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pafix.config import Config
from pafix.findings import FileResult
from pafix.cli.cache import ResultCache, scan_key, unit_key
from pafix.cli.stat_index import StatIndex, now_ns, stat_of
from pafix.cli.sources import _is_solution, dataverse_units, expand, is_dataverse, read_file_unit
from pafix.units import Unit
from pafix.guard import SCAN_GC_THRESHOLDS  # restored when the scan ends
from pafix.syntax.textio import read_flow_bytes

if TYPE_CHECKING:  # imported when a pool is started: a scan in one process needs none of it
    from concurrent.futures import Future, ProcessPoolExecutor

#: characters (bytes, for a file not read yet) of flow text per chunk sent to a worker (a task
#: is never split): about 2,000 lines of a generated fleet, 1,200 of the real corpus
CHUNK_SIZE = 384 * 1024
#: below this much text to analyse, a pool costs more than it saves
MIN_PARALLEL_SIZE = 576 * 1024
#: how much of the first tasks' text this process analyses itself before it starts a pool: the
#: parser's scanners are compiled when a parse first needs them (see syntax.scanners), and
#: those the first flows compile are the ones nearly every later flow uses, so the workers
#: inherit them instead of each compiling its own (~0.08 s of CPU a worker on a generated fleet)
WARM_SIZE = 128 * 1024


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class ScanCounters:
    """What the last scan did (tests and benchmarks read it; no timing involved)."""

    units: int = 0
    tasks: int = 0
    analysed_units: int = 0  #: units analysed (not answered from the cache)
    analysed_tasks: int = 0
    cache_hits: int = 0
    cache_writes: int = 0
    workers: int = 0  #: 0 when everything ran in this process
    warm_tasks: int = 0  #: tasks analysed in this process before a pool was started (WARM_SIZE)
    chunks: int = 0
    notes: list[str] = field(default_factory=list)


#: the counters of the most recent :func:`run_scan` in this process
LAST = ScanCounters()


# ---- settings that are not part of Config -----------------------------------------------------


def _ambient() -> Any:
    """The DLP settings active around this scan (``dlp_scope``), if that module is there."""
    try:
        from pafix.dlp import active_settings
    except ImportError:
        return None
    return active_settings()


def _ambient_scope(settings: Any) -> Any:
    if settings is None:
        return nullcontext()
    from pafix.dlp import dlp_scope

    return dlp_scope(settings)


# ---- tasks ------------------------------------------------------------------------------------


def group_tasks(units: Iterable[Unit]) -> Iterator[list[Unit]]:
    """Loose units one by one; consecutive flows of one solution together (as
    :func:`~pafix.solutions.check.check_units` groups them)."""
    group: list[Unit] = []
    for unit in units:
        if unit.flow is not None and group and group[0].path == unit.path:
            group.append(unit)
            continue
        if group:
            yield group
        group = [unit] if unit.flow is not None else []
        if unit.flow is None:
            yield [unit]
    if group:
        yield group


def _slim(unit: Unit) -> Unit:
    """What a worker needs of a unit (no raw bytes, no decoding details)."""
    if unit.raw is None and unit.decoded is None:
        return unit
    return replace(unit, raw=None, decoded=None)


#: what the runner is given to check: a task's units, or the path of a loose file that the
#: process checking it reads (see :meth:`_Runner.add`)
Work = list[Unit] | str


def _units(work: Work) -> list[Unit]:
    return [_slim(read_file_unit(Path(work)))] if isinstance(work, str) else work


def _size(work: Work) -> int:
    """How much text ``work`` holds: its characters, or a file's bytes (no need to read it)."""
    if isinstance(work, str):
        try:
            return os.stat(work).st_size
        except OSError:  # the worker's read reports it
            return 0
    return sum(len(u.text or "") for u in work)


# ---- workers ---------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


#: whether this process froze what it held once the analysis was imported (see _prepare_analysis)
_FROZEN: list[bool] = []


def _prepare_analysis(config: Config) -> None:
    """Import what analysing needs, build the parser's tables and the config's catalogue
    (reading catalogue.toml: 15 ms) and name policy (each once per process), before the first
    flow is analysed. The front end imports none of it until a flow must be analysed (a scan
    answered from the cache needs none); a pool calls this first, so forked workers share it
    (each built its own catalogue before).

    The first time, it also freezes every object the process holds (``gc.freeze``): the
    modules, tables and catalogue, ~100,000 objects that live as long as the process, were
    all in the collector's young generation, and the first collection of the scan walked them
    (one collection, 30 ms of a 1.8 s scan of 300 flows); in forked workers that walk also
    wrote into every shared object's header, copying its page. Frozen objects are never
    walked, and ``freeze`` starts the young generation's count again from zero."""
    from pafix.core import catalogue_for, names_for
    from pafix.solutions import check as solution_check  # noqa: F401 - the core, the rules, the analysis
    from pafix.syntax.parser import _fast, _parser

    _parser()
    _fast()
    catalogue_for(config)  # the workers' copies of config have the same key
    names_for(config)
    if not _FROZEN:
        gc.freeze()
        _FROZEN.append(True)


def _init_worker(config: Config, ambient_blob: bytes | None) -> None:
    _prepare_analysis(config)  # already done when forked; spawned workers (macOS, Windows) do it here
    gc.set_threshold(*SCAN_GC_THRESHOLDS)
    _exit_with_parent()
    _WORKER["config"] = config
    _WORKER["ambient"] = pickle.loads(ambient_blob) if ambient_blob is not None else None


def _exit_with_parent() -> None:
    """Leave when the scan that started this worker is gone (killed, say): a worker waiting for
    work would otherwise wait forever, since its siblings keep the task pipe open."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="pafix-parent-watch", daemon=True).start()


def _run_chunk(tasks: list[tuple[int, Work]]) -> bytes:
    """The results of a chunk's tasks, ``[(index, [FileResult, ...]), ...]``, pickled by
    :func:`~pafix.cli.result_pickle.dumps_results` (the pool's pipe then carries bytes)."""
    config: Config = _WORKER["config"]
    with _ambient_scope(_WORKER["ambient"]):
        from pafix.solutions.check import check_units
        from pafix.cli.result_pickle import dumps_results

        return dumps_results([(i, list(check_units(_units(work), config))) for i, work in tasks])


def _check_here(units: list[Unit], config: Config) -> list[FileResult]:
    from pafix.solutions.check import check_units  # the parser and the rules: not needed on a cache hit

    if not _FROZEN:  # the first task of a scan in this process prepares it
        _prepare_analysis(config)
    return list(check_units(units, config))


# ---- the scan -------------------------------------------------------------------------------


class _Runner:
    """Analyses the tasks that missed the cache: here, or in a pool started on demand.

    The pool is started (its workers forked) as soon as there is enough work, while this
    process still holds only a few chunks, so the workers do not inherit the fleet's text.
    """

    def __init__(self, config: Config, jobs: int, ambient_blob: bytes | None, counters: ScanCounters,
                 finish: Callable[[int, str | None, list[FileResult]], None]) -> None:
        self.config = config
        self.jobs = jobs
        self.ambient_blob = ambient_blob
        self.counters = counters
        self.finish = finish
        self.buffer: list[tuple[int, Work, str | None]] = []
        self.buffered_size = 0
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight: dict[Future[bytes], dict[int, str | None]] = {}  # see _run_chunk

    def add(self, index: int, work: Work, key: str | None) -> None:
        """Check a task's units, or a loose file given by its path (one whose bytes no cache key
        needs): a worker reads that itself, which spares this process reading, decoding and
        pickling its text and the worker unpickling it (the text is most of what goes down
        the pipe)."""
        if self.jobs == 1:
            self.finish(index, key, _check_here(_units(work), self.config))
            return
        self.buffer.append((index, work, key))
        self.buffered_size += _size(work)
        if self.jobs > 1 and self.pool is None and self.buffered_size >= MIN_PARALLEL_SIZE:
            self._start_pool()
        if self.pool is not None and self.buffered_size >= CHUNK_SIZE:
            self._submit()

    def _start_pool(self) -> None:
        """Prepare the analysis, warm it on the first tasks, then fork the workers: they
        inherit all of it instead of each building it."""
        from concurrent.futures import ProcessPoolExecutor

        _prepare_analysis(self.config)
        self._warm_up()
        self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=_pool_context(),
                                        initializer=_init_worker, initargs=(self.config, self.ambient_blob))
        self.counters.workers = self.jobs

    def _warm_up(self) -> None:
        """Analyse the first buffered tasks here, about :data:`WARM_SIZE` of text (their
        results are final, not thrown away), so that the parser's scanners they compile are
        compiled once, in this process, before the fork. Profile of the two workers of
        ``scan --jobs 2`` on a 2,000-flow fleet: each compiled the same 62 whole alternations
        and ~250 per-character scanners (``ScannerGroup.full``/``_cut``, Lark's
        ``_build_mres``), 0.08 s of CPU a worker that ``--jobs 1`` spends once; the first
        128 KiB of a fleet compile ~85% of them. Counted by ``bench/scan_instructions.py`` on
        /tmp/f300, the two workers' own work went from 11.83 to 10.11 G instructions for 1.04 G
        more here (a pool of two: 7.2% more than one process before, 1.4% after). Tasks are
        taken in order, each that fits in what is left of ``WARM_SIZE``. What they allocated
        is frozen with the rest (see :func:`_prepare_analysis`), so the workers' collections
        do not walk it."""
        warmed, kept = 0, []
        for index, work, key in self.buffer:
            size = _size(work)
            # a task that would take the warm-up past WARM_SIZE is left to the workers: a big
            # flow analysed here would hold the other CPUs idle until it is done
            if warmed + size > WARM_SIZE:
                kept.append((index, work, key))
                continue
            warmed += size
            self.buffered_size -= size
            self.finish(index, key, _check_here(_units(work), self.config))
            self.counters.warm_tasks += 1
        self.buffer = kept
        if self.counters.warm_tasks:
            gc.freeze()

    def _submit(self) -> None:
        assert self.pool is not None
        # bounded: wait for a chunk to come back before sending more
        while len(self.in_flight) >= self.jobs * 2:
            self._collect()
        chunk, self.buffer, self.buffered_size = self.buffer, [], 0
        if not chunk:
            return
        fut = self.pool.submit(_run_chunk, [(i, u) for i, u, _k in chunk])
        self.in_flight[fut] = {i: k for i, _u, k in chunk}
        self.counters.chunks += 1

    def _collect(self) -> None:
        """Wait for at least one chunk in flight and hand its results over."""
        from concurrent.futures import FIRST_COMPLETED, wait  # (imported with the pool)

        done, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
        for fut in done:
            keys = self.in_flight.pop(fut)
            for index, res in pickle.loads(fut.result()):
                self.finish(index, keys[index], res)

    def close(self) -> None:
        if self.pool is None:
            for index, work, key in self.buffer:
                self.finish(index, key, _check_here(_units(work), self.config))
            self.buffer = []
            return
        try:
            self._flush_tail()
            while self.in_flight:
                self._collect()
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """On an error or an interrupt: drop the work not done, stop the workers."""
        self.buffer = []
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _flush_tail(self) -> None:
        """The last tasks, split so that every worker gets a share."""
        if not self.buffer:
            return
        per = max(1, len(self.buffer) // self.jobs)
        tail, self.buffer = self.buffer, []
        for start in range(0, len(tail), per):
            self.buffer = tail[start : start + per]
            self.buffered_size = sum(_size(work) for _i, work, _k in self.buffer)
            self._submit()


class LazyFile:
    """A loose flow file not read yet: on a cache hit its bytes are hashed and never decoded."""

    __slots__ = ("path",)

    def __init__(self, path: Path) -> None:
        self.path = path


def tasks_of_paths(paths: Sequence[str], solutions: list[Path] | None = None) -> Iterator[list[Unit] | LazyFile]:
    """What :func:`~pafix.cli.sources.read_units` reads, as tasks, loose files left unread.
    Each solution export met is appended to ``solutions`` (for the checks of its metadata),
    so that the paths are walked once."""
    for item in expand(paths):
        if isinstance(item, tuple):
            yield [Unit(str(item[0]), None, item[1])]
        elif _is_solution(item):
            if solutions is not None:
                solutions.append(item)
            from pafix.solutions.units import solution_units  # (a scan of flow files does not read exports)

            yield from group_tasks(solution_units(item))
        else:
            yield LazyFile(item)
    for raw in paths:
        if is_dataverse(raw):
            yield from group_tasks(dataverse_units(raw))


def run_scan(
    units: Iterable[Unit | list[Unit] | LazyFile],
    config: Config,
    *,
    jobs: int | None = 1,
    cache: ResultCache | None = None,
    on_task_done: Callable[[int], None] | None = None,
) -> list[FileResult]:
    """One result per unit, in order. ``jobs=None`` means one per CPU.

    ``units`` are units (grouped here into tasks), or tasks already (lists of units,
    :class:`LazyFile`), as :func:`tasks_of_paths` gives them."""
    global LAST
    counters = ScanCounters()
    LAST = counters
    jobs = default_jobs() if jobs is None else max(1, jobs)
    ambient = _ambient()
    ambient_blob: bytes | None = None
    if ambient is not None:
        try:
            ambient_blob = pickle.dumps(ambient)
        except Exception:  # settings a worker cannot receive: analyse here
            counters.notes.append("settings cannot be sent to worker processes; scanning in-process")
            jobs = 1
    base_key = scan_key(config, ambient) if cache is not None else ""
    hits_before = cache.hits if cache is not None else 0
    writes_before = cache.writes if cache is not None else 0
    results: list[list[FileResult] | None] = []

    def finish(index: int, key: str | None, res: list[FileResult]) -> None:
        results[index] = res
        counters.analysed_tasks += 1
        counters.analysed_units += len(res)
        if cache is not None and key is not None:
            cache.put(key, res)
        if on_task_done is not None:
            on_task_done(len(res))

    runner = _Runner(config, jobs, ambient_blob, counters, finish)
    known: StatIndex | None = None  # made when the first loose file is met
    thresholds = gc.get_threshold()
    gc.set_threshold(*SCAN_GC_THRESHOLDS)
    try:
        for task in _as_tasks(units):
            index = len(results)
            results.append(None)
            key = None
            if isinstance(task, LazyFile):
                if cache is None:  # no key needs its bytes: whichever process checks it reads it
                    counters.tasks += 1
                    counters.units += 1
                    runner.add(index, str(task.path), None)
                    continue
                if known is None:
                    known = cache.stat_index(base_key)
                key = _known_or_raw_key(known, task.path, base_key)
                if key is not None:
                    cached = cache.get(key, [Unit(str(task.path), None)])
                    if cached is not None:
                        counters.tasks += 1
                        counters.units += 1
                        results[index] = cached
                        if on_task_done is not None:
                            on_task_done(1)
                        continue
                units_of_task = [read_file_unit(task.path)]
                if key is not None and units_of_task[0].raw is not None:
                    key = unit_key(units_of_task, base_key)  # the bytes read now (unchanged: same key)
                else:
                    key = None
            else:
                units_of_task = task
            counters.tasks += 1
            counters.units += len(units_of_task)
            if key is None and cache is not None and all(u.text is not None for u in units_of_task):
                key = unit_key(units_of_task, base_key)
                cached = cache.get(key, units_of_task)
                if cached is not None:
                    results[index] = cached
                    if on_task_done is not None:
                        on_task_done(len(units_of_task))
                    continue
            if key is not None and not all(u.text is not None for u in units_of_task):
                key = None  # an unreadable file is never cached
            runner.add(index, [_slim(u) for u in units_of_task], key)
        runner.close()
        if known is not None:
            known.save()
    except BaseException:
        runner.abort()
        raise
    finally:
        gc.set_threshold(*thresholds)
    if cache is not None:
        counters.cache_hits = cache.hits - hits_before
        counters.cache_writes = cache.writes - writes_before
    out: list[FileResult] = []
    for res in results:
        assert res is not None
        out.extend(res)
    return out


def _as_tasks(items: Iterable[Unit | list[Unit] | LazyFile]) -> Iterator[list[Unit] | LazyFile]:
    """Tasks as given, and bare units grouped into tasks (consecutive ones only)."""
    pending: list[Unit] = []
    for item in items:
        if isinstance(item, Unit):
            pending.append(item)
            continue
        if pending:
            yield from group_tasks(pending)
            pending = []
        yield item
    if pending:
        yield from group_tasks(pending)


def _known_or_raw_key(index: StatIndex, path: Path, base_key: str) -> str | None:
    """The cache key of a loose file: the one its bytes gave last time when its ``stat`` is
    unchanged (no read), else from its bytes, noted in the index for the next scan."""
    name = os.path.abspath(path)
    st = stat_of(name)
    key = index.key(name, st)
    if key is None:
        read_ns = now_ns()
        key = _raw_key(path, base_key)
        if key is not None:
            index.record(name, st, read_ns, key)
    return key


def _raw_key(path: Path, base_key: str) -> str | None:
    """The cache key of a loose file from its bytes (None when it cannot be read: the reader
    reports that)."""
    try:
        raw = read_flow_bytes(path)  # a regular file of bounded size: not a FIFO, /dev/zero, ...
    except OSError:
        return None
    return unit_key([Unit(str(path), "", raw=raw)], base_key)


def _pool_context() -> Any:
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    # fork shares the parent's imported modules and parser tables at no cost; elsewhere spawn
    return mp.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


__all__ = ["LAST", "LazyFile", "ScanCounters", "default_jobs", "group_tasks", "run_scan", "tasks_of_paths"]
