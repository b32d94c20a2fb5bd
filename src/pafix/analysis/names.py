"""Name heuristics: which variable, property and parameter names denote secrets.

Modelled on CodeQL's sensitive-data lists: a name is secret when one of its words is a secret
word, unless a word marks it as metadata about a secret (its URL, path, length, expiry, a UI
label...) or the name's type prefix says it holds a number or a boolean. A false positive costs
users as much as a miss, so the exclusions are as important as the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

SECRET_WORDS = frozenset(
    {
        "password", "passwords", "passwort", "passwd", "pwd", "pass", "passcode", "passphrase", "secret",
        "secrets", "token", "apikey", "accesskey", "secretkey", "privatekey", "clientsecret",
        "accountkey", "encryptionkey", "decryptionkey", "sas", "credential", "credentials",
        "connectionstring", "connstring", "connstr", "pin", "otp", "totp", "bearer",
        "sharedaccesssignature", "sharedaccesskey", "signingkey",
    }
)
# multi-word secrets, matched on the joined lower-case words
SECRET_PHRASES = (
    "apikey", "accesskey", "secretkey", "privatekey", "clientsecret", "accountkey",
    "encryptionkey", "decryptionkey", "connectionstring", "sharedaccesssignature",
    "sharedaccesskey", "signingkey", "accesstoken", "refreshtoken", "authtoken",
)
NON_SECRET_WORDS = frozenset(
    {
        "url", "uri", "path", "file", "filename", "folder", "dir", "directory", "policy",
        "length", "len", "count", "hint", "hints", "expiry", "expires", "expiration", "expire",
        "date", "time", "timestamp", "age", "field", "label", "prompt", "type", "mode", "format",
        "required", "enabled", "enable", "disabled", "changed", "change", "reset", "min", "max",
        "rule", "rules", "regex", "pattern", "selector", "control", "button", "textbox", "box",
        "is", "has", "should", "valid", "validity", "strength", "complexity", "history",
        "prefix", "suffix", "tokens", "header", "column", "index", "idx", "id", "guid",
        "name", "names", "title", "description", "message", "status", "manager",
        "store", "provider", "endpoint", "server", "host", "port", "timeout", "retry",
        "retries", "attempts", "lifetime", "window", "screen", "element", "step", "mask",
        "masked", "protected", "encrypted", "hash", "hashed", "salt", "schema", "reference",
        "error", "errors", "exception", "question",
    }
)
# words that name what is neither a credential nor sensitive data, even when the author marked
# it sensitive (issue 14: "a file path, a log message ... are neither"): an error or log text,
# a status, a path
NEITHER_WORDS = frozenset(
    {"error", "errors", "exception", "log", "logs", "status", "path", "file", "filename", "folder",
     "directory", "dir"}
)
# words that name a status, result or error text (``Output_Message`` 'Successfully closed ...',
# ``ErrorMessage``, ``Output_Status``): authors mark these sensitive by habit (a framework's
# every output), so the mark is weak evidence -- sensitive data at low confidence
STATUS_WORDS = frozenset(
    {"message", "messages", "msg", "status", "result", "results", "response", "error", "errors",
     "exception", "log", "logs"}
)
# ... unless the name says it is the content of a mail or text message, which is real data
# (``Input_EmailMessage``, ``MailBody``, ``EmailSubject``, ``Recipient``)
MAIL_WORDS = frozenset(
    {"email", "emails", "mail", "mails", "e", "sms", "body", "subject", "recipient", "recipients",
     "cc", "bcc", "sender", "html"}
)
# type prefixes in common PAD naming conventions that say "not a text value"
NON_SECRET_PREFIXES = frozenset({"num", "int", "bool", "b", "dt", "datetime", "dbl", "dec"})

#: the words of an identifier, read over the whole name: ASCII, so that a character outside
#: ``A-Za-z0-9`` (a separator: ``_``, ``-``, ``é``, ``١``) is in no word and ends an upper-case
#: run as the end of the name does (``\b``; ``_``, a word character, is named)
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|[A-Z]+|\d+", re.ASCII)
#: a memo's size past which it starts again (names are few, but a fleet of flows has many)
_MEMO_MAX = 65_536


def words(name: str) -> list[str]:
    """Split an identifier into lower-case words: ``strCoStarUser_Password`` → str co star user
    password. One ``findall`` over the whole name (see ``_WORD_RE``): the name policy asks this
    of every name it has not seen, thousands a scan."""
    return [w.lower() for w in _WORD_RE.findall(name)]


@dataclass(frozen=True, slots=True)
class NamePolicy:
    """Secret-name heuristics with the user's extra secret and non-secret names."""

    extra_secret: frozenset[str] = frozenset()
    extra_non_secret: frozenset[str] = frozenset()
    #: name -> :meth:`is_secret`: the analysis, the rules and the fixes ask it of the same
    #: names again and again (a pure function of the name and the two sets above)
    _secret: dict[str, bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def is_secret(self, name: str) -> bool:
        memo = self._secret
        hit = memo.get(name)
        if hit is None:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            hit = memo[name] = self._is_secret(name)
        return hit

    def _is_secret(self, name: str) -> bool:
        lowered = name.lower()
        if lowered in self.extra_non_secret:
            return False
        if lowered in self.extra_secret:
            return True
        ws = words(name)
        if not ws:
            return False
        if ws[0] in NON_SECRET_PREFIXES and len(ws) > 1:
            return False
        if not NON_SECRET_WORDS.isdisjoint(ws) or not self.extra_non_secret.isdisjoint(ws):
            return False
        if not SECRET_WORDS.isdisjoint(ws) or not self.extra_secret.isdisjoint(ws):
            return True
        joined = "".join(ws)
        return any(p in joined for p in SECRET_PHRASES)

    def is_neither(self, name: str) -> bool:
        """A name that says the value is an error/log text, a status or a path (``ErrorMessage``,
        ``Log_Message``, ``Input_FilePath``): marking it sensitive is weak evidence of a secret."""
        return not self.is_secret(name) and (any(w in NEITHER_WORDS for w in words(name)) or self.is_status_text(name))

    def is_status_text(self, name: str) -> bool:
        """A name that reads as status, result, error or log text (``Output_Message``,
        ``Output_ErrorMessageList``), not as mail content (``Input_EmailMessage``)."""
        ws = words(name)
        return any(w in STATUS_WORDS for w in ws) and not any(w in MAIL_WORDS for w in ws)

    def is_secret_key(self, key: str) -> bool:
        """A property or dictionary key (``obj['Password']``, ``Cred.Password``)."""
        return self.is_secret(key)


def make_policy(extra_secret: Iterable[str] = (), extra_non_secret: Iterable[str] = ()) -> NamePolicy:
    return NamePolicy(
        frozenset(s.lower() for s in extra_secret), frozenset(s.lower() for s in extra_non_secret)
    )


DEFAULT_POLICY = NamePolicy()
