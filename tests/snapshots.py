"""Expected-findings snapshots of the rule fixtures.

Every ``fixtures/rules/PAFxxx/<case>.robin`` has a ``<case>.expected`` next to it: one line
per finding, ``line:col CODE severity message``, sorted by position, then code, then message
(a flow that does not parse gets ``line:col parse-error message`` lines instead). The cases
are named ``pos_*`` (the folder's rule must report something) or ``neg_*`` (it must not).

    python tests/snapshots.py            # compare; exit 1 and show the differences
    python tests/snapshots.py --update   # rewrite every .expected (review the git diff!)

Findings that are not high confidence end with `` [medium]`` or `` [low]``, and findings
about sensitive data (not a credential) with `` [data]`` (see :mod:`pafix.analysis.kinds`).
The fixtures are checked with the default configuration at every confidence, so that a ``pafix.toml`` or a
``pyproject.toml`` above the checkout cannot change them. A case that needs what only a
solution export provides has a ``<case>.context.json`` next to it::

    {"password_io": ["Input_ApiKey"],            # "format": "password" in Inputs/Outputs
     "io_schema": ["Input_ApiKey"],              # names in the Inputs/Outputs JSON
     "children": [{"workflow_id": "…", "name": "Child", "inputs": ["In_Pw"],
                   "sensitive_inputs": [],       # other flows of the solution (RunFlow);
                   "path_inputs": []}],          # inputs the child uses only as file paths
     "tainted_inputs": {"In_Pw": "receives … from parent flow 'Parent'"},
     "dlp_policy": ["policy.json"]}             # DLP policy files (PAF3xx), next to the case
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import replace
import difflib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "rules"
UPDATE_HINT = "python tests/snapshots.py --update"

try:  # runnable as a script without PYTHONPATH=src
    import pafix  # noqa: F401
except ImportError:  # pragma: no cover - depends on how the script is started
    sys.path.insert(0, str(ROOT / "src"))

from pafix.analysis.model import ChildFlow, SolutionContext, normalize_flow_id  # noqa: E402
from pafix.config import DEFAULT  # noqa: E402
from pafix.core import check_source  # noqa: E402
from pafix.findings import FileResult, Finding  # noqa: E402

#: the default configuration, reporting findings of every confidence (low ones are tagged)
EVERY_CONFIDENCE = replace(DEFAULT, min_confidence="low")
from pafix.syntax.textio import read_flow_file  # noqa: E402


def cases() -> list[Path]:
    """Every rule fixture, in a stable order."""
    return sorted(FIXTURES.glob("PAF*/*.robin"))


def metadata_cases() -> list[Path]:
    """Every fixture of a solution-metadata rule (PAF4xx): a solution folder
    ``PAFxxx/<case>/`` (``Other/Customizations.xml``, ``Roles/*.xml``, ``Entities/*/Entity.xml``)
    whose findings are in ``<case>.expected`` beside it."""
    return sorted(p for p in FIXTURES.glob("PAF*/*") if p.is_dir() and p.name.startswith(("pos_", "neg_")))


ENVIRONMENT_CASE = "dataverse.json"


def check_metadata_case(path: Path) -> list[FileResult]:
    if (path / ENVIRONMENT_CASE).is_file():
        return check_environment_case(path)
    from pafix.solutions.metadata import load_metadata
    from pafix.solutions.metadata_check import check_metadata

    return check_metadata(load_metadata(path.relative_to(ROOT).as_posix()), DEFAULT)


def check_environment_case(path: Path) -> list[FileResult]:
    """An online case (``PAFxxx/<case>/dataverse.json``: Web API answers in the documented
    shapes, as fixtures/dataverse/*.json): read over loopback HTTP, checked like ``pafix env``."""
    import os

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from dataverse_server import Fake, Server

    from pafix.access.dataverse import BASE_URL_ENV, DataverseClient, environment_of
    from pafix.access.env_check import environment_results
    from pafix.access.online import read_environment

    class _Token:
        token = "fixture-token"

    class _Credential:
        def get_token(self, *_scopes: str, **_kw: object) -> _Token:
            return _Token()

    data = json.loads((path / ENVIRONMENT_CASE).read_text(encoding="utf-8"))
    old = os.environ.get(BASE_URL_ENV)
    with Server(Fake(data["routes"])) as base:
        os.environ[BASE_URL_ENV] = base
        try:
            with DataverseClient(environment_of(data["host"]), _Credential()) as client:
                state = read_environment(client)
        finally:
            if old is None:
                os.environ.pop(BASE_URL_ENV, None)
            else:
                os.environ[BASE_URL_ENV] = old
    return environment_results(state, DEFAULT)


def render_metadata(results: list[FileResult]) -> str:
    """``file:line:col CODE severity message`` per finding, ``file`` relative to the case."""
    rows = []
    for r in results:
        for f in r.findings:
            shown = r.path if "://" in r.path else Path(r.path).as_posix()
            rows.append(f"{shown}:{f.line}:{f.column} {f.rule} {f.severity} {f.message}")
    return "".join(row + "\n" for row in sorted(rows))


def case_id(path: Path) -> str:
    """``PAF101/pos_set``: the rule folder and the case name."""
    return f"{path.parent.name}/{path.stem}"


def expected_path(path: Path) -> Path:
    return path.with_suffix(".expected") if not path.is_dir() else path.parent / (path.name + ".expected")


def read_text(path: Path) -> str:
    """The flow's text, decoded exactly as ``pafix scan`` decodes it."""
    _raw, decoded = read_flow_file(path)
    return decoded.text


def context_path(path: Path) -> Path:
    return path.with_suffix(".context.json")


def context(path: Path) -> dict[str, object]:
    """The solution context of a case as ``check_source`` keyword arguments ({} if none)."""
    ctx_file = context_path(path)
    if not ctx_file.is_file():
        return {}
    data = json.loads(ctx_file.read_text(encoding="utf-8"))
    unknown = set(data) - {"password_io", "io_schema", "children", "tainted_inputs", "dlp_policy"}
    if unknown:
        raise ValueError(f"{ctx_file}: unknown key(s) {sorted(unknown)}")
    kwargs: dict[str, object] = {}
    if "password_io" in data:
        kwargs["password_io"] = frozenset(data["password_io"])
    if "io_schema" in data:
        kwargs["io_schema"] = frozenset(data["io_schema"])
    if "children" in data or "tainted_inputs" in data:
        children = {}
        for child in data.get("children", []):
            wid = normalize_flow_id(child["workflow_id"])
            children[wid] = ChildFlow(wid, child["name"], frozenset(child["inputs"]),
                                      frozenset(child.get("sensitive_inputs", [])),
                                      frozenset(child.get("sensitive_outputs", [])),
                                      frozenset(child.get("path_inputs", [])))
        kwargs["solution"] = SolutionContext(children, dict(data.get("tainted_inputs", {})))
    return kwargs


@contextlib.contextmanager
def _dlp(path: Path) -> Iterator[None]:
    """The case's DLP policies, active while it is checked (none: nothing changes)."""
    ctx_file = context_path(path)
    policies = json.loads(ctx_file.read_text(encoding="utf-8")).get("dlp_policy") if ctx_file.is_file() else None
    if not policies:
        yield
        return
    from pafix.dlp import dlp_scope, load_settings

    with dlp_scope(load_settings([path.parent / p for p in policies])):
        yield


def check(path: Path, text: str | None = None) -> FileResult:
    """Check a fixture (or ``text`` in its place, with the fixture's context)."""
    source = read_text(path) if text is None else text
    with _dlp(path):
        return check_source(source, path.relative_to(ROOT).as_posix(), EVERY_CONFIDENCE, **context(path))  # type: ignore[arg-type]


def _tags(f: Finding) -> str:
    """`` [medium]``, `` [high data]``...: the confidence and kind, unless they are the usual
    high confidence and credential (or no kind), so that most lines read as before."""
    tags = [f.confidence] if f.confidence != "high" else []
    if f.kind == "data":
        tags.append("data")
    return f" [{' '.join(tags)}]" if tags else ""


def render(result: FileResult) -> str:
    """The snapshot text of one checked fixture (empty when there is nothing to report)."""
    rows = [
        (f.line, f.column, f.rule, f.message, f"{f.line}:{f.column} {f.rule} {f.severity} {f.message}{_tags(f)}")
        for f in result.findings
    ]
    rows += [
        (e.line, e.column, "parse-error", e.message, f"{e.line}:{e.column} parse-error {e.message}")
        for e in result.errors
    ]
    rows.sort(key=lambda r: r[:4])
    return "".join(r[4] + "\n" for r in rows)


def actual(path: Path) -> str:
    if path.is_dir():
        return render_metadata(check_metadata_case(path))
    return render(check(path))


def stored(path: Path) -> str | None:
    exp = expected_path(path)
    return exp.read_text(encoding="utf-8") if exp.is_file() else None


def difference(path: Path) -> str | None:
    """A unified diff from the stored snapshot to the current findings, or None if equal."""
    want = stored(path)
    got = actual(path)
    if want == got:
        return None
    rel = expected_path(path).relative_to(ROOT).as_posix()
    if want is None:
        return f"{rel}: missing (it would contain {len(got.splitlines())} line(s))\n"
    return "".join(
        difflib.unified_diff(
            want.splitlines(keepends=True), got.splitlines(keepends=True),
            fromfile=f"{rel} (stored)", tofile=f"{rel} (current)",
        )
    )


def orphans() -> list[Path]:
    """Snapshots whose fixture is gone."""
    return sorted(p for p in FIXTURES.glob("PAF*/*.expected")
                  if not p.with_suffix(".robin").is_file() and not p.with_suffix("").is_dir())


def update() -> list[Path]:
    """Rewrite every snapshot that differs (and delete orphans); return what changed."""
    changed: list[Path] = []
    for path in cases() + metadata_cases():
        got = actual(path)
        exp = expected_path(path)
        if stored(path) != got:
            exp.write_text(got, encoding="utf-8", newline="\n")
            changed.append(exp)
    for orphan in orphans():
        orphan.unlink()
        changed.append(orphan)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the .expected files")
    args = parser.parse_args(argv)
    if args.update:
        changed = update()
        for path in changed:
            print(f"updated {path.relative_to(ROOT).as_posix()}")
        print(f"{len(changed)} snapshot(s) changed, {len(cases())} fixture(s)")
        return 0
    failed = 0
    for path in cases() + metadata_cases():
        diff = difference(path)
        if diff is not None:
            failed += 1
            sys.stdout.write(diff)
    for orphan in orphans():
        failed += 1
        print(f"{orphan.relative_to(ROOT).as_posix()}: no fixture next to it")
    if failed:
        print(f"\n{failed} snapshot(s) differ; if the new findings are right, run: {UPDATE_HINT}")
        return 1
    print(f"{len(cases())} snapshot(s) match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
