"""Rules that read a solution's metadata (security roles, table definitions), not Robin.

They are registered with the others (``pafix rule``, SARIF's rule list, ``docs/rules.md``,
``--select``/``--ignore``, severity overrides) but never run on a flow: the core skips them,
and :mod:`pafix.solutions.metadata_check` runs them once per solution export on its
:class:`~pafix.access.roles.SolutionMetadata`. Their findings point at the role or table file
(the line of the ``<RolePrivilege>`` / ``<IsAuditEnabled>`` element). Suppression comments do
not exist in XML; use ``--ignore`` or ``[tool.pafix] ignore`` instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pafix.findings import Finding, Severity
from pafix.rules.base import Context, Rule, fingerprint

if TYPE_CHECKING:  # the access modules are imported by the checks: a scan of flows alone never runs them
    from pafix.access.roles import SolutionMetadata, Where


@dataclass(frozen=True, slots=True)
class Placed:
    """A metadata finding and the file it is in (a finding itself carries only a position)."""

    where: Where
    finding: Finding


class MetadataRule(Rule):
    """Base class of the solution-metadata rules: implement :meth:`check_metadata`."""

    def check(self, ctx: Context) -> Iterable[Finding]:
        return ()  # nothing to find in Robin text

    def check_metadata(self, meta: SolutionMetadata) -> Iterable[Placed]:
        raise NotImplementedError

    def at(self, where: Where, message: str, key: str, *, severity: Severity | None = None) -> Placed:
        """A finding at ``where``; ``key`` names what it is about (role and privilege, or
        table), for a fingerprint that survives line moves."""
        return Placed(where, Finding(
            rule=self.code, name=self.name, severity=severity or self.severity, message=message,
            line=where.line, column=where.column, end_line=where.line, end_column=where.column,
            fingerprint=fingerprint(self.code, "Main", None, key),
        ))


class GlobalGrantRule(MetadataRule):
    """A role granting a broad right (Read, Write, Share, Assign) at Global depth on one of
    :attr:`tables`; subclasses set the tables and say what that hands out."""

    tables: tuple[str, ...] = ()

    def consequence(self, right: str, logical: str) -> str:
        raise NotImplementedError

    def check_metadata(self, meta: SolutionMetadata) -> Iterable[Placed]:
        from pafix.access.privileges import BROAD_RIGHTS, table
        from pafix.access.roles import automation_grants

        for role in meta.roles:
            for element, right, logical in automation_grants(role):
                if logical in self.tables and right in BROAD_RIGHTS and element.depth == "Global":
                    shown = table(logical).display
                    yield self.at(
                        element.where,
                        f"role {role.name!r} grants {element.name} at Global (organisation) depth on "
                        f"{shown} ({logical}): {self.consequence(right, logical)}",
                        f"{role.name}\x1f{element.name.lower()}",
                    )
