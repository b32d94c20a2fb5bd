"""Where a credential stands inside literal text: key=value pairs, JSON and XML bodies, HTTP
headers, URL user-info, and comments.

Each recogniser takes the text of one literal (or one comment) and returns
:class:`SecretText` values: what was found, where in the text, and how sure the finding is.
Placeholders (``********``, ``<password>``, ``changeme``, ``$Variable``, ``%Var%``) never
count. The text of an interpolated literal is given with :data:`HOLE` where each ``%expr%``
stood, so that a value built from a variable is not mistaken for a literal one.

The spellings (placeholder words, header names, authorization schemes, URL-only keys) are
data, in ``secret_forms.toml`` beside this module; which *parameter* holds which kind of text
is in the action catalogue (``text_forms``). Whether a *key* names a secret is the name
policy's call (:class:`~pafix.analysis.names.NamePolicy`), so a user's extra secret names count
here too.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from pafix.analysis.names import NamePolicy
from pafix.packaged import load_toml

Confidence = Literal["high", "medium"]
#: stands for an ``%expr%`` hole of an interpolated literal
HOLE = "\x00"


@dataclass(frozen=True, slots=True)
class SecretText:
    """A credential found in a text: ``text[start:end]`` is the secret value."""

    #: what holds it, for the message: ``client_secret= value``, ``Authorization header``
    what: str
    start: int
    end: int
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class Forms:
    """The data of ``secret_forms.toml``."""

    placeholder_words: frozenset[str]
    placeholder_res: tuple[re.Pattern[str], ...]
    url_only_keys: frozenset[str]
    header_names: frozenset[str]
    schemes: frozenset[str]
    raw: dict[str, object]


@functools.cache
def forms() -> Forms:
    """The shipped spellings, loaded once."""
    data = load_toml("pafix.analysis", "secret_forms.toml")
    ph, keys, headers = data["placeholders"], data["keys"], data["headers"]
    return Forms(
        placeholder_words=frozenset(w.casefold() for w in ph["words"]),
        placeholder_res=tuple(re.compile(p, re.I) for p in ph["patterns"]),
        url_only_keys=frozenset(k.casefold() for k in keys["url_only"]),
        header_names=frozenset(h.casefold() for h in headers["names"]),
        schemes=frozenset(s.casefold() for s in headers["schemes"]),
        raw=data,
    )


# --------------------------------------------------------------------------- values


def entropy(text: str) -> float:
    if not text:
        return 0.0
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


_QUOTES = "\"'`"
#: longer values are never stand-ins (only one character repeated is)
_PLACEHOLDER_MAX = 100


def unquote(value: str) -> str:
    v = value.strip()
    while len(v) >= 2 and v[0] == v[-1] and v[0] in _QUOTES:
        v = v[1:-1].strip()
    return v


def is_placeholder(value: str) -> bool:
    """Empty, interpolated (``%Var%``, a variable of a script), or a stand-in that
    documentation writes for a secret (``XXXXXXXX``, ``<password>``, ``changeme``)."""
    v = unquote(value)
    if not v or HOLE in v:
        return True
    f = forms()
    if v.casefold() in f.placeholder_words:
        return True
    bare = v.strip("<>[]{}").strip()
    if bare.casefold() in f.placeholder_words:
        return True
    if len(v) > _PLACEHOLDER_MAX:
        return len(set(v)) == 1
    return any(p.search(v) for p in f.placeholder_res)


def looks_secret(value: str) -> bool:
    """A one-word value that could be a password or key: long enough, not a plain word."""
    v = value.strip()
    return len(v) >= 6 and not any(c.isspace() for c in v) and entropy(v) >= 2.5


def mixed(value: str) -> bool:
    """Letters with digits or symbols (``Hunter2!``), not a plain word (``required``)."""
    classes = (any(c.isalpha() for c in value), any(c.isdigit() for c in value),
               any(not c.isalnum() for c in value))
    return sum(classes) >= 2


# --------------------------------------------------------------------------- key=value forms

# key=value in a query string or a form body: the key starts the text or follows ?, & or a
# line break (a connection string's `;Password=` is the connection-string recogniser's)
_PAIR_RE = re.compile(r"(?:^|(?<=[?&\n\r]))[ \t]*([A-Za-z_][\w.\-\[\]]*)=([^&\s#]*)")
# "key": "value" (JSON, or a Python / JavaScript dict with either quote)
_JSON_RE = re.compile(r"""(["'])([^"'\\\n]{1,60})\1\s*:\s*(["'])((?:(?!\3)[^\\\n]|\\.)*)\3""")
# <Key attr="...">value</Key>, namespace prefixes allowed (<wsse:Password>)
_XML_RE = re.compile(r"<((?:[\w.\-]+:)?([\w.\-]+))(?:\s[^<>]*)?>([^<>]*)</\1\s*>")
# scheme://user:password@host
_USERINFO_RE = re.compile(r"\b[a-z][a-z0-9+.\-]*://([^/\s:@]+):([^/\s@]+)@", re.I)
# Name: value, one header a line
_HEADER_RE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9\-_]*)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M)


def _key_is_secret(key: str, names: NamePolicy, url: bool) -> bool:
    return names.is_secret_key(key) or (url and key.casefold() in forms().url_only_keys)


def pair_secrets(text: str, names: NamePolicy, url: bool = False) -> Iterator[SecretText]:
    """Credentials in key=value pairs (query strings, form bodies), JSON members and XML
    elements whose key names a secret. ``url``: the text is a URL, where ``key=``, ``code=``
    and ``sig=`` hold keys too."""
    if "=" in text:
        for m in _PAIR_RE.finditer(text):
            key, value = m.group(1), m.group(2)
            if _key_is_secret(key, names, url) and not is_placeholder(value):
                yield SecretText(f"{key}= value", m.start(2), m.end(2), "high")
    if ":" in text:
        header_names = forms().header_names
        for m in _JSON_RE.finditer(text):
            key = m.group(2)
            if names.is_secret_key(key) or key.casefold() in header_names:
                skip, value = after_scheme(m.group(4))
                if not is_placeholder(value):
                    start = m.start(4) + skip
                    yield SecretText(f'"{key}" member', start, start + len(value), "high")
    if "</" in text:
        for m in _XML_RE.finditer(text):
            key, value = m.group(2), m.group(3)
            if names.is_secret_key(key) and not is_placeholder(value):
                yield SecretText(f"<{m.group(1)}> element", m.start(3), m.end(3), "high")
    if "://" in text:
        for m in _USERINFO_RE.finditer(text):
            if not is_placeholder(m.group(2)):
                yield SecretText("password in a URL's user-info", m.start(2), m.end(2), "high")


def header_secrets(text: str, names: NamePolicy, any_name: bool = False) -> Iterator[SecretText]:
    """Credentials in ``Name: value`` header lines: a credential header (``Authorization``,
    ``x-api-key``...) with a literal value after its scheme word. ``any_name``: the text is a
    header block, where any header whose name is a secret name counts too (``auth-token:``)."""
    if ":" not in text:
        return
    f = forms()
    for m in _HEADER_RE.finditer(text):
        name, value = m.group(1), m.group(2)
        folded = name.casefold()
        if folded not in f.header_names and not (any_name and names.is_secret_key(name)):
            continue
        skip, value = after_scheme(value)
        if is_placeholder(value) or value.casefold() in f.schemes:
            continue
        start = m.start(2) + skip
        yield SecretText(f"{name} header", start, start + len(value), "high")


def after_scheme(value: str) -> tuple[int, str]:
    """The credential of a header value without its scheme word (``Bearer abc`` -> ``abc``),
    and how many characters came before it."""
    scheme, _, rest = value.partition(" ")
    if rest.strip() and scheme.casefold() in forms().schemes:
        return len(value) - len(rest.lstrip()), rest.strip()
    return 0, value


# --------------------------------------------------------------------------- comments

# key: value or key = value, the value a single word ending the line
_LINE_PAIR_RE = re.compile(r"^[ \t]*(?:[-*#/;'][ \t]*)*([A-Za-z][\w .\-]{0,30}?)[ \t]*[:=][ \t]*(\S+)[ \t]*$", re.M)


def comment_secrets(text: str, names: NamePolicy) -> Iterator[SecretText]:
    """Credentials written in a comment: the literal forms (a commented-out request body, a
    header, a URL with user-info), or ``password: Hunter2!`` / ``api key = ...`` lines whose
    value is one word that looks like a secret (prose that mentions passwords has more words,
    or a plain word). Always medium confidence: a comment may hold an old or sample value."""
    if ":" not in text and "=" not in text and "</" not in text:
        return  # every form read here needs one of them; most comments (prose, rulers) have none
    seen: set[int] = set()
    for hit in (*pair_secrets(text, names), *header_secrets(text, names)):
        if hit.start not in seen:
            seen.add(hit.start)
            yield SecretText(hit.what, hit.start, hit.end, "medium")
    for m in _LINE_PAIR_RE.finditer(text):
        key, value = m.group(1).strip(), unquote(m.group(2))
        if m.start(2) in seen or not names.is_secret_key(key):
            continue
        if is_placeholder(value) or not looks_secret(value) or not mixed(value):
            continue
        start = text.index(value, m.start(2))
        seen.add(m.start(2))
        yield SecretText(f"{key} value", start, start + len(value), "medium")


# --------------------------------------------------------------------------- script code

# name = "value" / $name = 'value' / Dim-less VBScript, Python, JavaScript, PowerShell
_ASSIGN_RE = re.compile(
    r"""^[ \t]*(?:(?:var|let|const|dim|set|private|public)[ \t]+)?\$?([A-Za-z_][\w.]*)[ \t]*=[ \t]*(["'])([^"'\n]*)\2[ \t]*;?[ \t]*$""",
    re.M | re.I,
)


def assignment_secrets(text: str, names: NamePolicy) -> Iterator[SecretText]:
    """Literals assigned to secret-named variables or properties in script code
    (``$Password = 'x'``, ``api_key = "x"``, ``objMail.Password = "x"``)."""
    if "=" not in text:
        return
    for m in _ASSIGN_RE.finditer(text):
        key, value = m.group(1), m.group(3)
        if names.is_secret_key(key.rpartition(".")[2]) and not is_placeholder(value):
            yield SecretText(f"{key} assignment", m.start(3), m.end(3), "high")
