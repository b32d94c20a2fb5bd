"""The action catalogue's types: what each Robin action does with secrets, and the lookups.

A :class:`Catalogue` (built from ``catalogue.toml`` by :mod:`pafix.analysis.catalogue.loader`)
holds one :class:`ActionSpec` per entry and answers the questions the taint analysis asks
about one action call:

* which parameters carry a secret (:meth:`ActionSpec.is_secret_param`);
* whether a parameter is a sink, and of which kind (:meth:`ActionSpec.sink_kind`);
* which inputs an output derives from (:meth:`ActionSpec.output_sources`);
* whether an output is always a secret (:meth:`ActionSpec.is_secret_output`);
* which input variables the action updates in place (:meth:`ActionSpec.update_sources`).

Conditions (``when`` / ``unless``) are checked against *literal* argument text only: the caller
passes ``literal_args``, a mapping from parameter name to the literal text written for it
(decoded text of a string literal, or the source text of an enum member or a control
reference such as ``appmask['Login']['Txt_Password']``). Dynamic parameters are keyed
``"@name"``. A parameter that is missing from ``literal_args`` (a variable or an
expression) never satisfies a glob, so ``when`` is false and ``unless`` does not apply.
Globs use :mod:`fnmatch` syntax and match case-insensitively.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypeVar, get_args

SinkKind = Literal[
    "display",
    "file",
    "clipboard",
    "network",
    "mail",
    "process",
    "log",
    "keystrokes",
    "screenshot",
    "childflow",
]
SINK_KINDS: frozenset[str] = frozenset(get_args(SinkKind))

#: The inputs an output derives from: parameter names (``"@name"`` for a dynamic one,
#: ``"@*"`` for every dynamic one), or ``"*"`` for every input of the call.
Sources: TypeAlias = tuple[str, ...] | Literal["*"]

#: What kind of text a parameter holds, for finding credentials written inside it
#: (:mod:`pafix.analysis.literals`): a URL, a request body, request headers (one a line), a
#: command line, script code, the arguments of the program named by the ``program`` parameter.
TextForm = Literal["url", "body", "headers", "command", "script", "arguments", "program"]
TEXT_FORMS: frozenset[str] = frozenset(get_args(TextForm))

Evidence = Literal["corpus", "docs", "unverified"]
#: what a secret is: a credential (password, token, key) or sensitive data (what the author
#: marked sensitive that is not credential-shaped: a message, a record, an address)
ValueKind = Literal["credential", "data"]
VALUE_KINDS: frozenset[str] = frozenset(get_args(ValueKind))
EVIDENCE: frozenset[str] = frozenset(("corpus", "docs", "unverified"))

#: A conjunction: every (key, globs) pair must match.
Clause: TypeAlias = tuple[tuple[str, tuple[str, ...]], ...]

_EMPTY: Mapping[str, str] = {}
_T = TypeVar("_T")
#: whether a case-folded text matches one of a key's globs (see :func:`_matcher`)
_Match: TypeAlias = Callable[[str], object]



class CatalogueError(ValueError):
    """A catalogue entry (shipped or from user configuration) is malformed."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition on literal argument text: true when any clause holds.

    A clause holds when, for each of its keys, some literal value of that key matches one of
    its globs. Keys are parameter names, ``"@name"`` for a dynamic parameter, ``"*"`` for any
    argument (named or dynamic) and ``"@*"`` for any dynamic parameter (keyed ``"@name"``).
    """

    clauses: tuple[Clause, ...]
    #: ``clauses`` with each key's globs compiled into one pattern (:func:`_matcher`), the
    #: first time the condition is tested: a one-flow scan tests a few of the catalogue's
    #: conditions, and compiling them all when it was loaded was a quarter of its loading
    _compiled: tuple[tuple[tuple[str, _Match], ...], ...] | None = field(
        init=False, default=None, repr=False, compare=False, hash=False)

    def holds(self, literal_args: Mapping[str, str]) -> bool:
        compiled = self._compiled
        if compiled is None:
            compiled = tuple(tuple((key, _matcher(globs)) for key, globs in clause) for clause in self.clauses)
            object.__setattr__(self, "_compiled", compiled)
        return any(_clause_holds(clause, literal_args) for clause in compiled)


@dataclass(frozen=True, slots=True)
class SinkRule:
    """Data passed to the parameter leaves through ``kind``, when ``when`` holds and
    ``unless`` does not."""

    kind: SinkKind
    when: Condition | None = None
    unless: Condition | None = None
    #: the parameter is what the action is for (the body of a mail, the statement of a
    #: database call, the path of a file action): sensitive *data* reaching it is its intended
    #: use, not a leak; a credential reaching it still is
    intended: bool = False
    #: the value goes where pafix cannot follow it (a child flow outside the scan, which may
    #: mark the input sensitive): a finding there is a guess, low confidence
    unseen: bool = False

    def applies(self, literal_args: Mapping[str, str]) -> bool:
        return _applies(self.when, self.unless, literal_args)


@dataclass(frozen=True, slots=True)
class OutputRule:
    """The output is a secret when ``when`` holds and ``unless`` does not. ``kind`` is what
    kind of secret it is: a credential (a password, a token), or sensitive data whose kind is
    that of the inputs it comes from where they are tainted (what DecryptText decrypts)."""

    when: Condition | None = None
    unless: Condition | None = None
    kind: ValueKind = "credential"

    def applies(self, literal_args: Mapping[str, str]) -> bool:
        return _applies(self.when, self.unless, literal_args)


@dataclass(frozen=True, slots=True)
class ParamFacts:
    """What an entry says of one parameter by its name alone (:meth:`ActionSpec.param_facts`).
    The taint analysis asks these questions about every argument of every call; most answers
    do not depend on the call's literal arguments, and then they are worked out once per entry
    and parameter name. Where they do (``secret`` None, ``sink_fixed`` False), ask the full
    question (:meth:`ActionSpec.is_secret_param`, :meth:`ActionSpec.plain_sink_rule`)."""

    #: always (True) or never (False) a secret parameter; None: it depends on the arguments
    secret: bool | None
    #: the sink rule of the parameter when it is not a secret one, if ``sink_fixed``
    sink: SinkRule | None
    #: whether ``sink`` holds whatever the arguments (no rule, or a first rule without conditions)
    sink_fixed: bool
    #: :meth:`ActionSpec.echoes_in_errors`
    echoes: bool
    #: :meth:`ActionSpec.update_sources`
    updated: Sources | None
    #: :meth:`ActionSpec.output_sources`
    output_sources: Sources


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """What one catalogue entry (or the default for unknown actions) says about an action."""

    #: the entry's pattern (``"*"`` for the default spec)
    pattern: str
    #: False only for the default spec returned for an action no entry matches
    known: bool
    #: parameters that always carry a secret (dynamic ones as ``"@name"``)
    secret_params: frozenset[str]
    #: parameters that carry a secret when the condition holds (e.g. ``Text`` of a
    #: populate-text action whose ``Control`` is a password field)
    conditional_secret_params: tuple[tuple[str, Condition], ...] = ()
    #: parameter key -> sink rules, first applicable wins
    sinks: tuple[tuple[str, tuple[SinkRule, ...]], ...] = ()
    #: output key -> the inputs it derives from
    outputs: tuple[tuple[str, Sources], ...] = ()
    #: what an output not listed in ``outputs`` derives from
    default_outputs: Sources = "*"
    #: output key -> rules; the output is a secret when any rule applies
    secret_outputs: tuple[tuple[str, tuple[OutputRule, ...]], ...] = ()
    #: parameter key -> inputs whose taint the variable passed there receives (in-place update)
    updates: tuple[tuple[str, Sources], ...] = ()
    #: sinks of the action itself, not tied to a parameter (screenshots, clipboard copies of
    #: data the analysis cannot see): informational
    action_sinks: frozenset[SinkKind] = frozenset()
    #: parameters whose value the action's error messages quote (``ERROR =>``, ``ON ERROR``):
    #: only their taint reaches the error; by default an error message is not a secret even
    #: when the action received one
    error_echoes: frozenset[str] = frozenset()
    #: parameters that name a file or folder (``DocumentName`` of Excel.Attach); a file sink
    #: that is the action's purpose (``intended``) is one too: a value used only there is a path
    path_params: frozenset[str] = frozenset()
    #: how the entry was established: seen in the corpus, documented, or inferred
    evidence: Evidence = "unverified"
    note: str = ""
    #: parameter -> the kind of text it holds (``RequestBody`` -> ``body``)
    text_forms: tuple[tuple[str, TextForm], ...] = ()
    #: (parameter, dynamic) -> :meth:`param_facts` (a memo: the entry never changes)
    _facts: dict[tuple[str, bool], ParamFacts] = field(default_factory=dict, repr=False, compare=False, hash=False)

    # -- questions ---------------------------------------------------------------

    def param_facts(self, param: str, dynamic: bool = False) -> ParamFacts:
        """The answers about ``param`` that do not depend on a call's literal arguments."""
        facts = self._facts.get((param, dynamic))
        if facts is None:
            key = _key(param, dynamic)
            secret = True if key in self.secret_params else (
                None if any(name == key for name, _ in self.conditional_secret_params) else False)
            rules = _find(self.sinks, key)
            first = rules[0] if rules else None
            sink_fixed = first is None or (first.when is None and first.unless is None)
            facts = self._facts[(param, dynamic)] = ParamFacts(
                secret, first if sink_fixed else None, sink_fixed, self.echoes_in_errors(key),
                self.update_sources(key), self.output_sources(key, False))
        return facts

    def is_secret_param(
        self, param: str, dynamic: bool = False, literal_args: Mapping[str, str] = _EMPTY
    ) -> bool:
        """True when ``param`` carries a secret: a literal there is a hard-coded secret and a
        variable there should be sensitive."""
        key = _key(param, dynamic)
        if key in self.secret_params:
            return True
        return any(name == key and cond.holds(literal_args) for name, cond in self.conditional_secret_params)

    def sink_kind(
        self, param: str, dynamic: bool, literal_args: Mapping[str, str] = _EMPTY
    ) -> SinkKind | None:
        """The kind of sink ``param`` is, or None. A secret parameter is never a sink: it is
        where a secret is meant to go."""
        rule = self.sink_rule(param, dynamic, literal_args)
        return None if rule is None else rule.kind

    def sink_rule(
        self, param: str, dynamic: bool, literal_args: Mapping[str, str] = _EMPTY
    ) -> SinkRule | None:
        """The sink rule that applies to ``param`` (see :meth:`sink_kind`), or None."""
        key = _key(param, dynamic)
        if self.is_secret_param(key, dynamic, literal_args):
            return None
        return self.plain_sink_rule(key, dynamic, literal_args)

    def plain_sink_rule(
        self, param: str, dynamic: bool, literal_args: Mapping[str, str] = _EMPTY
    ) -> SinkRule | None:
        """:meth:`sink_rule` of a parameter the caller knows is not a secret one (it asked
        :meth:`is_secret_param` already: the conditions are not tested twice)."""
        rules = _find(self.sinks, _key(param, dynamic))
        if rules is None:
            return None
        for rule in rules:
            if rule.applies(literal_args):
                return rule
        return None

    def secret_output_kind(
        self, output: str, dynamic: bool, literal_args: Mapping[str, str] = _EMPTY
    ) -> ValueKind | None:
        """The kind of secret ``output`` always holds (given the literal arguments), or None
        when it is not a secret output. A credential rule wins over a data rule."""
        rules = _find(self.secret_outputs, _key(output, dynamic))
        if rules is None:
            return None
        kinds = {rule.kind for rule in rules if rule.applies(literal_args)}
        return None if not kinds else "credential" if "credential" in kinds else "data"

    def echoes_in_errors(self, param: str, dynamic: bool = False) -> bool:
        """Whether the action's error messages quote the value of ``param``."""
        key = _key(param, dynamic)
        return key in self.error_echoes or ("@*" if key.startswith("@") else "*") in self.error_echoes

    def is_path_param(self, param: str, dynamic: bool = False) -> bool:
        """Whether ``param`` names a file or folder: listed in ``path_params``, or a file sink
        that is the action's purpose (whatever its conditions)."""
        key = _key(param, dynamic)
        if key in self.path_params:
            return True
        rules = _find(self.sinks, key)
        return rules is not None and any(rule.kind == "file" and rule.intended for rule in rules)

    def output_sources(self, output: str, dynamic: bool) -> Sources:
        """The inputs ``output`` derives from (``()`` for a fresh value)."""
        found = _find(self.outputs, _key(output, dynamic))
        return self.default_outputs if found is None else found

    def is_secret_output(
        self, output: str, dynamic: bool, literal_args: Mapping[str, str] = _EMPTY
    ) -> bool:
        """True when ``output`` always holds a secret (given the literal arguments)."""
        rules = _find(self.secret_outputs, _key(output, dynamic))
        return rules is not None and any(rule.applies(literal_args) for rule in rules)

    def update_sources(self, param: str, dynamic: bool = False) -> Sources | None:
        """For a parameter whose variable the action updates in place (``Variables.AddItemToList
        List:``), the inputs whose taint that variable gains; None otherwise. The variable keeps
        the taint it had."""
        return _find(self.updates, _key(param, dynamic))

    def text_form(self, param: str) -> TextForm | None:
        """What kind of text ``param`` holds (a URL, a body, headers, a command line...)."""
        for key, form in self.text_forms:
            if key == param:
                return form
        return None

    @property
    def updated_params(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.updates)

    @property
    def sink_params(self) -> tuple[str, ...]:
        """The parameter keys that have sink rules (``"*"``/``"@*"`` included)."""
        return tuple(key for key, _ in self.sinks)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The merged catalogue. Use :meth:`lookup`; entries are in precedence order of source."""

    entries: tuple[ActionSpec, ...]
    default: ActionSpec
    #: Robin text of the Get credential action the rewriter emits (``{credential}``,
    #: ``{variable}`` placeholders). UNVERIFIED unless ``credential_verified``.
    credential_template: str
    #: properties of a Credential variable, e.g. ``("Username", "Password")``
    credential_properties: tuple[str, ...]
    #: the properties that hold the secret
    credential_secret_properties: tuple[str, ...] = ("Password",)
    credential_verified: bool = False
    #: named glob lists (``$name`` references in conditions), already expanded in entries
    globs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _cache: dict[str, ActionSpec] = field(default_factory=dict, compare=False, hash=False, repr=False)
    #: the entries (with their index) whose pattern can match an action of each module (see
    #: :meth:`_candidates`), made on the first lookup that misses ``_cache``
    _by_module: dict[str, list[tuple[int, ActionSpec]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False)

    def lookup(self, action_name: str) -> ActionSpec:
        """The most specific entry for ``action_name``: an exact pattern wins, then the longest
        matching prefix (``Module.Action`` matches ``Module.Action.Variant``; ``Module.*``
        matches every action of the module; ``Module.Act*`` is a plain text prefix), then the
        entry that came later (user entries come after shipped ones). Unknown actions get
        :attr:`default` (``known=False``)."""
        hit = self._cache.get(action_name)
        if hit is None:
            hit = self._resolve(action_name)
            self._cache[action_name] = hit
        return hit

    def is_known(self, action_name: str) -> bool:
        return self.lookup(action_name).known

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(spec.pattern for spec in self.entries)

    def glob_set(self, name: str) -> tuple[str, ...]:
        """A named glob list from ``[globs]`` (e.g. ``password_fields``)."""
        for key, globs in self.globs:
            if key == name:
                return globs
        raise KeyError(name)

    def render_credential(self, credential: str, variable: str) -> str:
        """The Get credential statement for ``credential`` (escaped for a Robin ``'...'``
        literal) bound to ``variable``."""
        escaped = credential.replace("\\", "\\\\").replace("'", "\\'")
        return self.credential_template.format(credential=escaped, variable=variable)

    def _resolve(self, name: str) -> ActionSpec:
        best: ActionSpec | None = None
        best_rank = (-1, -1, -1)
        for index, spec in self._candidates(name):
            rank = _match_rank(spec.pattern, name)
            if rank is None:
                continue
            full = (*rank, index)
            if full > best_rank:
                best, best_rank = spec, full
        return self.default if best is None else best

    def _candidates(self, name: str) -> list[tuple[int, ActionSpec]]:
        """The entries that may match ``name``, with their index: those of its module (the text
        before the first ``.``), and those whose pattern has a ``*`` in its first segment
        (``Ex*``, ``*``), which may match any module. A pattern matches exactly, as a prefix
        up to a ``.`` or up to its ``*`` (:func:`_match_rank`), so one whose first segment has
        no ``*`` matches only names of that module. Every entry was tried for each action
        name a process meets (212 entries, ~40 us a name)."""
        by_module = self._by_module
        if not by_module:
            # made whole, then published in one ``update``: a lookup from another thread (a
            # library user's; the server checks in one) must not read it half made
            made: dict[str, list[tuple[int, ActionSpec]]] = {"*": []}
            for index, spec in enumerate(self.entries):
                first = spec.pattern.partition(".")[0]
                made.setdefault("*" if "*" in first else first, []).append((index, spec))
            by_module.update(made)
        # (in any order: _resolve ranks each match with its index)
        return by_module.get(name.partition(".")[0], []) + by_module["*"]


# --------------------------------------------------------------------------- matching


def _key(name: str, dynamic: bool) -> str:
    if name.startswith("@"):
        return name
    return "@" + name if dynamic else name


def _find(table: tuple[tuple[str, _T], ...], key: str) -> _T | None:
    """The value for ``key``, else for its wildcard (``*`` or ``@*``), else None."""
    wildcard = "@*" if key.startswith("@") else "*"
    fallback = None
    for name, value in table:
        if name == key:
            return value
        if name == wildcard:
            fallback = value
    return fallback


#: a condition key ``Name%`` tests the text of ``Name`` with each ``%hole%`` written ``%%``
TEMPLATE_SUFFIX = "%"
HOLE = "%%"


def _clause_holds(clause: tuple[tuple[str, _Match], ...], literal_args: Mapping[str, str]) -> bool:
    for key, match in clause:
        if key == "*":
            values = [v for k, v in literal_args.items() if not k.endswith(TEMPLATE_SUFFIX)]
        elif key == "@*":
            values = [v for k, v in literal_args.items() if k.startswith("@") and not k.endswith(TEMPLATE_SUFFIX)]
        elif key.endswith(TEMPLATE_SUFFIX) and len(key) > 1:
            value = literal_args.get(key)
            if value is None or not all(match(line.casefold()) for line in _hole_lines(value)):
                return False
            continue
        else:
            value = literal_args.get(key)
            values = [] if value is None else [value]
        if not any(match(v.casefold()) for v in values):
            return False
    return True


def _hole_lines(template: str) -> list[str]:
    """The lines of a text that hold a ``%hole%`` (every one must match: a token in the
    ``Authorization`` line, not in the line after it), or the whole text when none does."""
    lines = [line.strip() for line in template.splitlines() if HOLE in line]
    return lines or [template]


#: one compiled matcher per glob list: the catalogue repeats its named lists
#: (``$password_fields``, 37 globs) in many conditions
_MATCHERS: dict[tuple[str, ...], _Match] = {}


def _matcher(globs: tuple[str, ...]) -> _Match:
    """Whether a (case-folded) text matches any of ``globs`` (:mod:`fnmatch` syntax, globs
    already case-folded by the loader): one regular expression, the alternation of what
    :func:`fnmatch.translate` makes of each glob (each anchored at both ends, as
    :func:`fnmatch.fnmatchcase` matches it). A condition on a password field's name has 37
    globs; tested one by one they were a call of fnmatch each, and a third of the cost of
    the taint analysis' action plans on a fleet of flows."""
    match = _MATCHERS.get(globs)
    if match is None:
        if not globs:  # no glob: nothing matches (an empty alternation would match everything)
            match = _MATCHERS[globs] = _never
        else:
            match = _MATCHERS[globs] = re.compile("|".join(fnmatch.translate(g) for g in globs)).match
    return match


def _never(_text: str) -> bool:
    return False


def _applies(when: Condition | None, unless: Condition | None, literal_args: Mapping[str, str]) -> bool:
    if when is not None and not when.holds(literal_args):
        return False
    return unless is None or not unless.holds(literal_args)


def _match_rank(pattern: str, name: str) -> tuple[int, int] | None:
    """(1, len) for an exact match, (0, prefix length) for a prefix match, None otherwise."""
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return (0, len(prefix)) if name.startswith(prefix) else None
    if name == pattern:
        return (1, len(pattern))
    if name.startswith(pattern + "."):
        return (0, len(pattern) + 1)
    return None
