"""PAF405."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pafix.rules.metadata_base import MetadataRule, Placed

if TYPE_CHECKING:
    from pafix.access.roles import SolutionMetadata


class AutomationTableNotAudited(MetadataRule):
    """A solution ships the definition of an automation table with auditing turned off.

    ## What it does
    Reports a table definition in a solution export (`Entities/*/Entity.xml` of an unpacked
    solution, `<Entities>` of `customizations.xml` in a packed one) for one of the tables
    desktop flows live in or use — `workflow`, `flowsession`, `workqueue`, `workqueueitem`,
    `credential`, `desktopflowmodule`, `desktopflowbinary`, `connectionreference` — whose
    entity-level `<IsAuditEnabled>` is `0`. A definition without `<IsAuditEnabled>` does not
    say (it does not change the setting) and is not reported; neither are the column-level
    flags.

    ## Why is this bad?
    Dataverse auditing logs changes (and, with access auditing, reads) only for tables where
    it is turned on, besides being on for the environment. Importing this solution turns it
    off for the table: who changed a desktop flow, a credential or a work queue item is no
    longer recorded.

    ## Example
    ```xml
    <entity Name="workqueueitem">
      …
      <IsAuditEnabled>0</IsAuditEnabled>
    ```

    ## Use instead
    ```xml
      <IsAuditEnabled>1</IsAuditEnabled>
    ```
    or leave the table out of the solution, and turn auditing on for the environment (Power
    Platform admin centre, Settings > Audit and logs).

    ## Fix safety
    No automatic fix.
    """

    code = "PAF405"
    name = "automation-table-not-audited"
    severity = "warning"

    def check_metadata(self, meta: SolutionMetadata) -> Iterable[Placed]:
        from pafix.access.privileges import BY_LOGICAL  # (see metadata_base: only solutions need it)

        for t in meta.tables:
            known = BY_LOGICAL.get(t.logical)
            if known is not None and t.audit is False:
                yield self.at(
                    t.where,
                    f"table {known.display} ({known.logical}) is shipped with IsAuditEnabled 0: importing this "
                    f"solution turns off auditing of {known.holds}",
                    t.logical,
                )
