"""PAF406."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pafix.rules.metadata_base import MetadataRule, Placed

if TYPE_CHECKING:
    from pafix.access.roles import SolutionMetadata


class SharedFlowAccessGap(MetadataRule):
    """A shared desktop flow references a component some of its users cannot read (online only).

    ## What it does
    Reported by `pafix env` (it needs the environment: solution exports do not say who a flow
    is shared with). For each desktop flow shared with users or teams
    (`RetrieveSharedPrincipalsAndAccess`), pafix lists what its script references (child
    desktop flows, work queues, connection references: the components whose record it can find
    exactly) and asks Dataverse, for each sharee, `RetrievePrincipalAccess` on that record. A
    sharee without Read on it is reported, at the flow (`dataverse://HOST/workflows(ID)`).
    Credentials, custom actions and UI element collections are named by a name pafix cannot
    map to one record for certain: `pafix env` lists them as unknown instead.

    ## Why is this bad?
    Microsoft's "Manage desktop flows" guidance: when a flow is shared, the people who run it
    also need access to what it references. A user who can start the flow but not read its
    child flow or work queue gets a failed run partway through — and the usual quick fix,
    a broad role, hands out far more than the one record.

    ## Example
    Flow `Invoices` runs `WorkQueues.ProcessWorkQueueItem WorkQueue: '<id>'` and is shared with
    `Ana`, who has no access to that work queue.

    ## Use instead
    Share the work queue (and each component `pafix access` lists) with the same users or team,
    or give them a role that grants Read on the table at `Basic` depth plus a share of the
    record.

    ## Fix safety
    No automatic fix: pafix never writes to the environment.
    """

    code = "PAF406"
    name = "shared-flow-access-gap"
    severity = "warning"

    def check_metadata(self, meta: SolutionMetadata) -> Iterable[Placed]:
        return ()  # a solution export does not say who a flow is shared with: see pafix.access.env_check
