"""Deterministic generator of a large, realistic corpus of Robin flows for the benchmarks.

    python bench/gen_corpus.py --out /tmp/fleet --flows 2000 --seed 1
    python bench/gen_corpus.py --out /tmp/big --single-lines 50000 --seed 1

Every generated flow is built from the real flows in ``--source`` (default
``../shared/corpus/real`` relative to the repository):

* a *base* flow keeps its header (``@@`` annotations, ``IMPORT``, ``@SENSITIVE``, ``@INPUT`` /
  ``@OUTPUT``), its Main, its subflows and its ``# [ControlRepository]`` trailer, if it has one;
* *donor* flows add their Main bodies as extra ``GLOBAL`` subflows until the flow reaches its
  drawn size (about 200 lines on average, so 2,000 flows make about 400,000 lines);
* every piece gets its own consistent variable renaming (``Input_Browser`` becomes
  ``Input_Browser_kav``: the words of a name are kept, so name heuristics still apply) and its
  string literals are perturbed (letters and digits changed, length, quotes, escapes and
  ``%holes%`` kept), so no two files are copies of each other;
* leaks are planted at known places: a ``@SENSITIVE`` or password-named variable that flows
  into ``Display.ShowMessageDialog.ShowMessage`` or ``File.WriteText``. ``manifest.json``
  lists each one (file, line, rule, variable), and the benchmark checks that pafix finds them.

The same ``--seed`` and source files always give byte-identical output.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    import pafix  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(ROOT / "src"))

from pafix.syntax import nodes as n  # noqa: E402
from pafix.analysis.names import NON_SECRET_WORDS, SECRET_WORDS  # noqa: E402
from pafix.errors import ParseError  # noqa: E402
from pafix.syntax.parser import parse  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "corpus" / "real"
HEADER_TYPES = (n.Annotation, n.Import, n.Sensitive, n.IODecl)
NEVER_RENAME = frozenset({"appmask", "imgrepo"})
_CONSONANTS = "bdfgklmrtvz"
_VOWELS = "aeiou"


# ---- analysing a source flow ------------------------------------------------------------------


@dataclass
class Source:
    """One real flow, cut into pieces with the places to mutate."""

    name: str
    text: str
    newline: str
    header: list[n.Stmt]
    main: list[n.Stmt]  #: top-level statements of Main that are not header lines
    functions: list[n.Function]
    trailer: str  #: "" when the flow has none
    #: (start, end, old name) of every variable occurrence, sorted
    renames: list[tuple[int, int, str]] = field(default_factory=list)
    #: (start, end) of literal text inside string literals (quotes and holes excluded)
    literals: list[tuple[int, int]] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    @property
    def main_lines(self) -> int:
        return sum(self.text.count("\n", s.span.start, s.span.end) + 1 for s in self.main)


def _children(node: object) -> list[object]:
    out: list[object] = []
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if isinstance(value, (tuple, list)):
            out.extend(v for v in value if dataclasses.is_dataclass(v))
        elif dataclasses.is_dataclass(value):
            out.append(value)
    return out


def _walk(nodes: object) -> list[object]:
    stack = list(nodes) if isinstance(nodes, (tuple, list)) else [nodes]
    out: list[object] = []
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(_children(node))
    return out


def _root(expr: object) -> n.Name | None:
    while isinstance(expr, (n.Attribute, n.Index)):
        expr = expr.value
    return expr if isinstance(expr, n.Name) else None


def _declared(all_nodes: list[object]) -> set[str]:
    """Names the flow itself declares as variables (targets, outputs, inputs, loop variables)."""
    names: set[str] = set()

    def add(expr: object) -> None:
        root = _root(expr)
        if root is not None:
            names.add(root.name)

    for node in all_nodes:
        if isinstance(node, n.Set):
            add(node.target)
        elif isinstance(node, n.GetLastError):
            add(node.target)
        elif isinstance(node, n.Arg) and node.output:
            add(node.value)
        elif isinstance(node, n.IODecl):
            names.add(node.name.name)
        elif isinstance(node, n.Sensitive):
            names.update(x.name for x in node.names)
        elif isinstance(node, (n.ForEach,)):
            names.add(node.var.name)
        elif isinstance(node, n.LoopRange) and node.var is not None:
            names.add(node.var.name)
        elif isinstance(node, n.Function):
            names.update(p.name for p in node.params)
    return names - NEVER_RENAME


def analyse_source(path: Path) -> Source | None:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    try:
        flow = parse(text, str(path))
    except ParseError:
        return None
    newline = flow.newline
    header = [s for s in flow.body if isinstance(s, HEADER_TYPES)]
    main = [s for s in flow.body if not isinstance(s, (n.Function, *HEADER_TYPES))]
    functions = [s for s in flow.body if isinstance(s, n.Function)]
    trailer = text[flow.trailer.span.start :] if flow.trailer is not None else ""
    all_nodes = _walk(flow.body)
    modules = {x.name.split(".")[0] for x in all_nodes if isinstance(x, n.Action)}
    declared = _declared(all_nodes) - modules  # Excel.DocumentFormat... is an enum, not a variable
    renames: list[tuple[int, int, str]] = []
    literals: list[tuple[int, int]] = []
    # keys keep their meaning: obj['Password'], { 'DefaultValue': ... }
    keys = {id(x.key) for x in all_nodes if isinstance(x, n.ObjectEntry)}
    keys |= {id(x.index) for x in all_nodes if isinstance(x, n.Index)}
    for node in all_nodes:
        if isinstance(node, n.Name) and node.name in declared:
            renames.append((node.span.end - len(node.name), node.span.end, node.name))
        elif isinstance(node, n.CallSubflow):
            for arg in node.args:  # a local subflow's parameter names are renamed with it
                if not arg.dynamic and arg.name in declared:
                    renames.append((arg.span.start, arg.span.start + len(arg.name), arg.name))
        elif isinstance(node, n.StringLit) and node.kind in ("plain", "triple", "interpolated") and id(node) not in keys:
            prefix = {"plain": 1, "triple": 3, "interpolated": 4}[node.kind]
            suffix = 1 if node.kind == "plain" else 3
            pos, end = node.span.start + prefix, node.span.end - suffix
            for hole in node.holes:
                if hole.span.start > pos:
                    literals.append((pos, hole.span.start))
                pos = hole.span.end
            if end > pos:
                literals.append((pos, end))
    renames = sorted(set(renames))
    return Source(path.name, text, newline, header, main, functions, trailer, renames, sorted(literals),
                  sorted(declared))


def load_sources(source_dir: Path) -> list[Source]:
    files = sorted(p for p in source_dir.glob("*.robin") if p.is_file())
    if not files:
        raise SystemExit(f"gen_corpus: no *.robin files in {source_dir}")
    out = [s for s in (analyse_source(p) for p in files) if s is not None]
    return out


# ---- mutating pieces ------------------------------------------------------------------------


def _suffix(rng: random.Random) -> str:
    while True:
        word = rng.choice(_CONSONANTS) + rng.choice(_VOWELS) + rng.choice(_CONSONANTS)
        if word not in SECRET_WORDS and word not in NON_SECRET_WORDS:
            return word


def renaming(src: Source, rng: random.Random) -> dict[str, str]:
    """A consistent renaming of the variables of one piece (words of each name kept)."""
    mapping: dict[str, str] = {}
    used = set(src.variables)
    for name in src.variables:
        while True:
            new = f"{name}_{_suffix(rng)}"
            if new not in used:
                break
        used.add(new)
        mapping[name] = new
    return mapping


def _perturb(chunk: str, rng: random.Random) -> str:
    out = []
    prev = ""
    for ch in chunk:
        if prev != "\\" and ch.isascii() and ch.isalnum() and rng.random() < 0.2:
            if ch.isdigit():
                ch = rng.choice(string.digits)
            elif ch.isupper():
                ch = rng.choice(string.ascii_uppercase)
            else:
                ch = rng.choice(string.ascii_lowercase)
        out.append(ch)
        prev = ch if prev != "\\" else ""
    return "".join(out)


def mutate(src: Source, start: int, end: int, mapping: dict[str, str], rng: random.Random) -> str:
    """``src.text[start:end]`` with variables renamed and string literals perturbed."""
    edits: list[tuple[int, int, str]] = []
    for s, e, name in src.renames:
        if start <= s and e <= end:
            edits.append((s, e, mapping.get(name, name)))
    for s, e in src.literals:
        if start <= s and e <= end:
            edits.append((s, e, _perturb(src.text[s:e], rng)))
    edits.sort()
    out: list[str] = []
    pos = start
    for s, e, new in edits:
        if s < pos:  # overlapping (cannot happen: names and literal text are disjoint)
            continue
        out.append(src.text[pos:s])
        out.append(new)
        pos = e
    out.append(src.text[pos:end])
    return "".join(out)


def _stmt_text(src: Source, stmt: n.Stmt, mapping: dict[str, str], rng: random.Random) -> str:
    """A top-level statement with its indentation (from the line start)."""
    start = src.text.rfind("\n", 0, stmt.span.start) + 1
    if src.text[start : stmt.span.start].strip():
        start = stmt.span.start
    return mutate(src, start, stmt.span.end, mapping, rng)


def _normalize(text: str, newline: str) -> str:
    text = text.replace("\r\n", "\n")
    return text if newline == "\n" else text.replace("\n", newline)


# ---- planted leaks -------------------------------------------------------------------------

SERVICES = ("Smtp", "Sftp", "Erp", "Crm", "Sap", "Db", "Portal", "Vpn", "Mail", "Api")


@dataclass
class Leak:
    kind: str
    header_sensitive: list[str]
    lines: list[str]
    sink_index: int  #: which of ``lines`` is the sink
    variable: str
    rule: str = "PAF102"


def make_leak(rng: random.Random, k: int) -> Leak:
    service = rng.choice(SERVICES)
    sfx = _suffix(rng)
    token = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))
    kind = ("sensitive-display", "password-name-display", "sensitive-copy-file", "password-name-file")[k % 4]
    show = ("Display.ShowMessageDialog.ShowMessage Title: $'''{title}''' Message: {msg} Icon: Display.Icon.Information "
            "Buttons: Display.Buttons.OK DefaultButton: Display.DefaultButton.Button1 IsTopMost: False "
            "ButtonPressed=> ButtonPressed_" + sfx)
    write = ("File.WriteText File: $'''C:\\\\Robots\\\\{service}\\\\run-{sfx}.log''' TextToWrite: {msg} AppendNewLine: True "
             "IfFileExists: File.IfFileExists.Append Encoding: File.FileEncoding.UTF8")
    if kind == "sensitive-display":
        var = f"{service}Secret_{sfx}"
        lines = [f"SET {var} TO $'''{token}'''", show.format(title=f"{service} login", msg=f"$'''Using %{var}%'''")]
        return Leak(kind, [var], lines, 1, var)
    if kind == "password-name-display":
        var = f"{service}Password_{sfx}"
        lines = [f"SET {var} TO $'''{token}'''", show.format(title=f"{service}", msg=var)]
        return Leak(kind, [], lines, 1, var)
    if kind == "sensitive-copy-file":
        var = f"{service}ApiKey_{sfx}"
        copy = f"Message_{sfx}"
        lines = [f"SET {var} TO $'''{token}'''", f"SET {copy} TO $'''connecting with %{var}%'''",
                 write.format(service=service, sfx=sfx, msg=copy)]
        return Leak(kind, [var], lines, 2, var)
    var = f"{service}Pwd_{sfx}"
    lines = [f"SET {var} TO $'''{token}'''", write.format(service=service, sfx=sfx, msg=f"$'''pwd=%{var}%'''")]
    return Leak(kind, [], lines, 1, var)


# ---- assembling flows -------------------------------------------------------------------------


class Builder:
    """Assembles one flow line by line (so planted leaks know their line numbers)."""

    def __init__(self, newline: str) -> None:
        self.newline = newline
        self.parts: list[str] = []
        self.line = 1  #: line number of the next line added

    def add(self, text: str) -> int:
        """Add ``text`` as whole lines; returns the line number of its first line."""
        first = self.line
        text = _normalize(text, self.newline).rstrip("\r\n")
        self.parts.append(text + self.newline)
        self.line += text.count("\n") + 1
        return first

    def text(self) -> str:
        return "".join(self.parts)


def build_flow(
    base: Source, donors: list[Source], rng: random.Random, target_lines: int, leaks: list[Leak],
) -> tuple[str, list[tuple[Leak, int]]]:
    """One generated flow; returns its text and (leak, sink line) for each planted leak."""
    b = Builder(base.newline)
    mapping = renaming(base, rng)
    pieces: list[tuple[Source, dict[str, str]]] = [(d, renaming(d, rng)) for d in donors]
    sensitive: list[str] = []
    for src, mp in [(base, mapping)] + pieces:
        for stmt in src.header:
            if isinstance(stmt, n.Sensitive) and not stmt.disabled:
                sensitive.extend(mp.get(x.name, x.name) for x in stmt.names)
    for leak in leaks:
        sensitive.extend(leak.header_sensitive)
    sensitive = list(dict.fromkeys(sensitive))
    wrote_sensitive = False
    sensitive_line = "@SENSITIVE: [" + ", ".join(sensitive) + "]"
    header = [s for s in base.header if not isinstance(s, n.Sensitive)]
    # the header lines of the base, with the merged @SENSITIVE after annotations and imports
    for stmt in header:
        if not wrote_sensitive and isinstance(stmt, n.IODecl) and sensitive:
            b.add(sensitive_line)
            wrote_sensitive = True
        b.add(_stmt_text(base, stmt, mapping, rng))
    if not wrote_sensitive and sensitive:
        b.add(sensitive_line)
    for src, mp in pieces:  # the donors' inputs and outputs, renamed
        for stmt in src.header:
            if isinstance(stmt, n.IODecl):
                b.add(_stmt_text(src, stmt, mp, rng))
    # Main, with the leaks at random top-level positions
    slots = sorted(rng.randrange(len(base.main) + 1) for _ in leaks)
    planted: list[tuple[Leak, int]] = []
    li = 0
    for i, stmt in enumerate(base.main + [None]):  # type: ignore[operator]
        while li < len(leaks) and slots[li] == i:
            leak = leaks[li]
            first = b.line
            for line in leak.lines:
                b.add(line)
            planted.append((leak, first + leak.sink_index))
            li += 1
        if stmt is not None:
            b.add(_stmt_text(base, stmt, mapping, rng))
    calls = [f"Extra_{src.name.split('__')[-1].split('.')[0].replace('-', '_')}_{k}" for k, (src, _m) in enumerate(pieces)]
    for name in calls:
        b.add(f"CALL {_ident(name)}")
    for fn in base.functions:
        b.add(_stmt_text(base, fn, mapping, rng))
    for (src, mp), name in zip(pieces, calls):
        b.add(f"FUNCTION {_ident(name)} GLOBAL")
        for stmt in src.main:
            if not isinstance(stmt, n.StrayEnd):  # an unbalanced END cannot stand in a subflow
                b.add(_stmt_text(src, stmt, mp, rng))
        b.add("END FUNCTION")
    if base.trailer:
        b.add(base.trailer)
    return b.text(), planted


def _ident(name: str) -> str:
    out = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
    return out if out[:1].isalpha() else "F" + out


def _lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def generate_fleet(sources: list[Source], out: Path, flows: int, lines: int, seed: int,
                   leak_every: int = 3) -> dict[str, object]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    donors_pool = [s for s in sources if s.main and s.main_lines >= 3]
    manifest: list[dict[str, object]] = []
    total = 0
    width = len(str(flows))
    leak_no = 0
    for i in range(flows):
        remaining = max(lines - total, 0)
        mean = remaining / (flows - i) if flows > i else 0
        target = max(30, int(mean * rng.uniform(0.5, 1.5)))
        base = sources[rng.randrange(len(sources))]
        size = _lines(base.text)
        donors: list[Source] = []
        while size < target and donors_pool:
            donor = donors_pool[rng.randrange(len(donors_pool))]
            if donor.main_lines > 2 * (target - size) + 40:
                # too big for the remaining room: try a smaller one, else stop
                small = [d for d in donors_pool if d.main_lines <= target - size + 40]
                if not small:
                    break
                donor = small[rng.randrange(len(small))]
            donors.append(donor)
            size += donor.main_lines + 2
        leaks = []
        if i % leak_every == 0:
            leaks.append(make_leak(rng, leak_no))
            leak_no += 1
        text, planted = build_flow(base, donors, rng, target, leaks)
        stem = base.name.split("__")[-1].rsplit(".", 1)[0]
        rel = f"team{i % 20:02d}/flow{i:0{width}d}-{stem}.robin"
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        total += _lines(text)
        for leak, line in planted:
            manifest.append({"file": rel, "line": line, "rule": leak.rule, "variable": leak.variable,
                             "kind": leak.kind})
    info = {"flows": flows, "lines": total, "bytes": sum(p.stat().st_size for p in out.rglob("*.robin")),
            "seed": seed, "trailer_flows": _count_trailers(out), "leaks": manifest}
    (out / "manifest.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def _count_trailers(out: Path) -> int:
    return sum(1 for p in out.rglob("*.robin") if b"# [ControlRepository][PowerAutomateDesktop]" in p.read_bytes())


def generate_single(sources: list[Source], out: Path, lines: int, seed: int) -> dict[str, object]:
    """One huge flow: Main bodies of the corpus, concatenated with renamed variables."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    pool = [s for s in sources if s.main]
    b = Builder("\n")
    sensitive: list[str] = []
    body: list[str] = []
    count = 0
    manifest: list[dict[str, object]] = []
    leak_no = 0
    header_lines = 1
    while count < lines:
        src = pool[rng.randrange(len(pool))]
        mp = renaming(src, rng)
        for stmt in src.header:
            if isinstance(stmt, n.Sensitive) and not stmt.disabled:
                sensitive.extend(mp.get(x.name, x.name) for x in stmt.names)
        for stmt in src.main:
            text = _normalize(_stmt_text(src, stmt, mp, rng), "\n")
            body.append(text)
            count += text.count("\n") + 1
        if leak_no * 2000 < count:
            leak = make_leak(rng, leak_no)
            leak_no += 1
            sensitive.extend(leak.header_sensitive)
            manifest.append({"line": count + leak.sink_index + 1 + header_lines, "rule": leak.rule,
                             "variable": leak.variable, "kind": leak.kind})
            body.extend(leak.lines)
            count += len(leak.lines)
    b.add("@SENSITIVE: [" + ", ".join(dict.fromkeys(sensitive)) + "]")
    for text in body:
        b.add(text)
    text = b.text()
    path = out / "single-flow.robin"
    path.write_bytes(text.encode("utf-8"))
    info = {"flows": 1, "lines": _lines(text), "bytes": len(text.encode("utf-8")), "seed": seed,
            "leaks": [dict(m, file=path.name) for m in manifest]}
    (out / "manifest.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output folder (created)")
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of real *.robin flows")
    ap.add_argument("--flows", type=int, default=2000)
    ap.add_argument("--lines", type=int, default=None, help="total lines wanted (default: 200 per flow)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--single-lines", type=int, default=0,
                    help="instead: one flow of about this many lines (Main bodies concatenated)")
    args = ap.parse_args(argv)
    sources = load_sources(args.source)
    if args.single_lines:
        info = generate_single(sources, args.out, args.single_lines, args.seed)
    else:
        lines = args.lines if args.lines is not None else 200 * args.flows
        info = generate_fleet(sources, args.out, args.flows, lines, args.seed)
    summary = {k: v for k, v in info.items() if k != "leaks"}
    summary["leaks"] = len(info["leaks"])  # type: ignore[arg-type]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
