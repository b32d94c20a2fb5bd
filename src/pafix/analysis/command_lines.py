"""Passwords written on command lines: ``--password=x``, ``-Password 'x'``, ``/pass:x``,
``sqlcmd -P x``, ``mysql -px``, ``net use \\\\srv\\share x``, ``curl -u user:x``,
``qpdf --encrypt user owner``, ``ConvertTo-SecureString 'x' -AsPlainText``.

How each program takes its password is data (``[commands]`` in ``secret_forms.toml``): options
any program spells as a credential (matched case-insensitively, high confidence), and a small
table of programs with their documented options, glued options, ``user:password`` options,
header options and argument positions (medium confidence: the option letter or position alone
says "password"). A command line is split into commands at ``;``, ``|``, ``&``, brackets and line
breaks, and each command into arguments, quotes removed; a quoted argument with spaces in it
is read again as a command line (``cmd /c "net use ..."``, VBScript ``Shell.Run "..."``).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pafix.analysis.literals import SecretText, forms, header_secrets, is_placeholder
from pafix.analysis.names import NamePolicy


@dataclass(frozen=True, slots=True)
class Positional:
    marker: str  #: case-insensitive glob of the argument the positions count from
    offsets: tuple[int, ...]  #: 1-based positions among the non-option arguments after it


@dataclass(frozen=True, slots=True)
class Tool:
    """How one program (family) takes a password on its command line."""

    programs: frozenset[str]
    options: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()
    userinfo: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    positional: tuple[Positional, ...] = ()
    requires: tuple[str, ...] = ()
    subcommand: str | None = None
    nocase: bool = False


@dataclass(frozen=True, slots=True)
class Token:
    text: str  #: the argument without its quotes
    start: int  #: offset of ``text`` in the command line (its first character)
    quoted: bool


@functools.cache
def _table() -> tuple[tuple[str, ...], tuple[Tool, ...]]:
    data = forms().raw["commands"]
    assert isinstance(data, dict)
    generic = tuple(o.casefold() for o in data["options"])
    tools = tuple(
        Tool(
            programs=frozenset(p.casefold() for p in t["programs"]),
            options=tuple(t.get("options", ())),
            attached=tuple(t.get("attached", ())),
            userinfo=tuple(t.get("userinfo", ())),
            header=tuple(t.get("header", ())),
            positional=tuple(Positional(p["marker"].casefold(), tuple(p["offsets"])) for p in t.get("positional", ())),
            requires=tuple(r.casefold() for r in t.get("requires", ())),
            subcommand=t.get("subcommand"),
            nocase=bool(t.get("nocase", False)),
        )
        for t in data.get("tool", ())
    )
    return generic, tools


# an argument: runs of bare characters and quoted parts; or a separator
_TOKEN_RE = re.compile(r"""(?:"[^"\n]*"|'[^'\n]*'|[^\s"';|&(){}\[\],])+|[;|&(){}\[\],\n]""")
_SEPARATORS = frozenset(";|&(){}[],\n")
_QUOTED_RE = re.compile(r""""([^"\n]*)"|'([^'\n]*)'""")
_MAX_DEPTH = 2


def _commands(text: str, base: int = 0) -> Iterator[list[Token]]:
    """The commands of ``text``, each a list of its arguments."""
    current: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group(0)
        if raw in _SEPARATORS:
            if current:
                yield current
            current = []
            continue
        quoted = '"' in raw or "'" in raw
        value = _QUOTED_RE.sub(lambda q: q.group(1) if q.group(1) is not None else q.group(2), raw)
        inner = _QUOTED_RE.search(raw)
        start = m.start() + (inner.start() + 1 if quoted and inner is not None and inner.start() == 0 else 0)
        current.append(Token(value, base + start, quoted))
    if current:
        yield current


def _program(arg: str) -> str:
    name = re.split(r"[\\/]", arg)[-1].casefold()
    for ext in (".exe", ".cmd", ".bat", ".com", ".ps1"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def _is_option(arg: str) -> bool:
    return len(arg) > 1 and (arg[0] == "-" or (arg[0] == "/" and arg[1:2].isalpha()))


def command_secrets(text: str, names: NamePolicy, program: str | None = None) -> Iterator[SecretText]:
    """Passwords on the command line(s) in ``text``; ``program`` is the program the text is
    the arguments of (``System.RunApplication``), if known."""
    seen: set[int] = set()
    for hit in _scan(text, names, program, 0, 0):
        if hit.start not in seen:
            seen.add(hit.start)
            yield hit


def _scan(text: str, names: NamePolicy, program: str | None, base: int, depth: int) -> Iterator[SecretText]:
    generic, tools = _table()
    for tokens in _commands(text, base):
        if program is not None:
            tokens = [Token(program, -1, False), *tokens]
            program = None
        for i, tok in enumerate(tokens):
            yield from _options(tokens, i, generic, True, "high")
            tool_found = False
            prog = _program(tok.text)
            for tool in tools:
                if prog in tool.programs and _applies(tool, tokens, i):
                    tool_found = True
                    yield from _tool(tool, tokens, i, names)
            if tok.quoted and not tool_found and depth < _MAX_DEPTH and " " in tok.text.strip():
                yield from _scan(tok.text, names, None, tok.start, depth + 1)


def _applies(tool: Tool, tokens: Sequence[Token], i: int) -> bool:
    if tool.subcommand is not None and (i + 1 >= len(tokens) or tokens[i + 1].text.casefold() != tool.subcommand):
        return False
    rest = {t.text.casefold() for t in tokens[i + 1:]}
    return all(r in rest for r in tool.requires)


def _hit(what: str, tok: Token, value: str, confidence: str) -> Iterator[SecretText]:
    if tok.start < 0 or is_placeholder(value) or value in ("*", "-"):
        return
    offset = tok.text.rfind(value)
    start = tok.start + max(offset, 0)
    yield SecretText(what, start, start + len(value), "high" if confidence == "high" else "medium")


def _options(tokens: Sequence[Token], i: int, options: Sequence[str], nocase: bool, confidence: str) -> Iterator[SecretText]:
    tok = tokens[i]
    arg = tok.text.casefold() if nocase else tok.text
    if not arg or (arg[0] not in "-/" and not any(o[0] not in "-/" for o in options)):
        return
    for opt in options:
        if arg == opt:
            if i + 1 < len(tokens) and not _is_option(tokens[i + 1].text):
                yield from _hit(f"{tok.text} argument", tokens[i + 1], tokens[i + 1].text, confidence)
            return
        if len(arg) > len(opt) + 1 and arg.startswith(opt) and arg[len(opt)] in "=:":
            yield from _hit(f"{tok.text[:len(opt)]} argument", tok, tok.text[len(opt) + 1:], confidence)
            return


def _tool(tool: Tool, tokens: Sequence[Token], at: int, names: NamePolicy) -> Iterator[SecretText]:
    program = _program(tokens[at].text)
    options = tuple(o.casefold() for o in tool.options) if tool.nocase else tool.options
    for j in range(at + 1, len(tokens)):
        tok = tokens[j]
        yield from _options(tokens, j, options, tool.nocase, "medium")
        for opt in tool.attached:
            if tok.text.startswith(opt) and len(tok.text) > len(opt) and tok.text[len(opt)] not in "=:":
                yield from _hit(f"{opt} argument of {program}", tok, tok.text[len(opt):], "medium")
        if j + 1 < len(tokens):
            nxt = tokens[j + 1]
            if tok.text in tool.userinfo and ":" in nxt.text:
                yield from _hit(f"{tok.text} user:password of {program}", nxt, nxt.text.partition(":")[2], "medium")
            if tok.text in tool.header:
                for h in header_secrets(nxt.text, names):
                    yield from _hit(h.what, nxt, nxt.text[h.start:h.end], "high")
    named = f"{program} {tool.subcommand}" if tool.subcommand else program
    for pos in tool.positional:
        yield from _positional(pos, tokens, at, named)


def _positional(pos: Positional, tokens: Sequence[Token], at: int, program: str) -> Iterator[SecretText]:
    for k in range(at, len(tokens)):
        if fnmatch.fnmatchcase(tokens[k].text.casefold(), pos.marker) or (k == at and _program(tokens[k].text) == pos.marker):
            bare = [t for t in tokens[k + 1:] if not _is_option(t.text)]
            for n in pos.offsets:
                if n <= len(bare):
                    yield from _hit(f"password argument of {program}", bare[n - 1], bare[n - 1].text, "medium")
            return
