"""The Dataverse tables that hold desktop flows and what they use, and their privileges.

Pure data and small lookups, no I/O: the offline rules (PAF401-PAF405), ``pafix access`` and
the online client (``pafix env``) share it.

**Privilege names.** Dataverse names a table privilege ``prv<Right><SchemaName>``: the access
right (``Create``, ``Read``, ``Write``, ``Delete``, ``Append``, ``AppendTo``, ``Assign``,
``Share``) followed by the table's *schema* name, so ``prvReadWorkflow`` (schema ``Workflow``)
but ``prvReadworkqueue`` (schema ``workqueue``). The names below are spelled as Dataverse
spells them; sources:

* ``prvReadWorkflow``, ``prvReadflowsession``, ``prvReadworkqueue``, ``prvReadworkqueueitem``:
  Power Automate docs, "Explore Power Automate's automation center", *Required permissions*
  (MicrosoftDocs/power-automate-docs).
* ``prvReaddesktopflowmodule``: Power Automate docs on custom actions and UI element
  collections ("If you use custom security roles … read permission for the Desktop Flow
  Module table (``prvReaddesktopflowmodule``)").
* ``prvReaddesktopflowbinary``, ``prvReaddesktopflowmodule``, ``prvReadflowsession``: a real
  exported role (fixtures/access/real, Apollo Admin.xml).
* ``prvReadconnectionreference``, ``prvReadcredential``: the ``prv<Right><schema>`` rule with
  the tables' schema names; ``prvReadconnectionreference`` is also the name in Dataverse's
  "missing privilege" errors quoted in public repositories. Not in a Microsoft page here.

Matching is on the whole name, without case: ``prvReadWorkflowSession``,
``prvReadworkflowbinary`` and ``prvReadWorkflowMetadata`` are other tables and never match
``workflow``; a custom table such as the CoE kit's ``admin_Flow`` (``prvReadadmin_Flow``) is
not an automation table.

**Depths.** A role grants each privilege at a depth: ``Basic`` (the user's own records and
those shared with them), ``Local`` (the user's business unit), ``Deep`` (the unit and its
child units) or ``Global`` (the whole organisation). Role XML in solution exports spells them
so (``<RolePrivilege name="prvReadWorkflow" level="Global" />``); the admin centre calls them
User, Business Unit, Parent: Child Business Units and Organization; the SDK's
``PrivilegeDepth`` numbers them 0-3. :func:`parse_depth` reads all three spellings.

**Who co-owns every flow.** "Users of an environment with a Dataverse security role that
provides them Read access to all the records of the Process Dataverse table are co-owners of
all desktop flows created in this environment and can't be removed" (Power Automate docs,
"Manage desktop flows", *Manage desktop flows access*).

**What a runner needs** (:data:`RUNNER_NEEDS`): a user who runs a shared desktop flow needs
access to what it references. Read on each component's table is the documented floor; Write
on Work Queue Item (processing items changes their state) is pafix's assumption, marked
``documented=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Depth = Literal["Basic", "Local", "Deep", "Global"]
DEPTHS: tuple[Depth, ...] = ("Basic", "Local", "Deep", "Global")

#: every spelling of a depth (lower case) -> the role-XML name
_DEPTH_SPELLINGS: dict[str, Depth] = {
    "basic": "Basic", "user": "Basic", "0": "Basic",
    "local": "Local", "business unit": "Local", "businessunit": "Local", "1": "Local",
    "deep": "Deep", "parent: child business units": "Deep", "parentchildbusinessunits": "Deep", "2": "Deep",
    "global": "Global", "organization": "Global", "organisation": "Global", "3": "Global",
}

#: the access rights of a table privilege, as they appear in its name
RIGHTS: tuple[str, ...] = ("Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share")
#: rights that, at Global depth, hand every holder the records of others (PAF401-PAF404)
BROAD_RIGHTS: tuple[str, ...] = ("Read", "Write", "Share", "Assign")


@dataclass(frozen=True, slots=True)
class AutomationTable:
    """A Dataverse table that holds desktop flows or something they use."""

    logical: str  #: logical name, as in the Web API and ``<entity Name=…>`` (lower case)
    schema: str  #: schema name: the suffix of its privilege names
    display: str  #: display name in the maker portal
    holds: str  #: what its rows are


AUTOMATION_TABLES: tuple[AutomationTable, ...] = (
    AutomationTable("workflow", "Workflow", "Process", "desktop flows (category 6) and solution-aware cloud flows"),
    AutomationTable("flowsession", "flowsession", "Flow Session", "desktop flow runs"),
    AutomationTable("workqueue", "workqueue", "Work Queue", "work queues"),
    AutomationTable("workqueueitem", "workqueueitem", "Work Queue Item", "the items of work queues"),
    AutomationTable("credential", "credential", "Credential", "credentials (references to Azure Key Vault or CyberArk secrets)"),
    AutomationTable("desktopflowmodule", "desktopflowmodule", "Desktop Flow Module",
                    "custom actions and UI element collections"),
    AutomationTable("desktopflowbinary", "desktopflowbinary", "Desktop Flow Binary",
                    "a flow's own UI elements and images"),
    AutomationTable("connectionreference", "connectionreference", "Connection Reference",
                    "connection references used by cloud connector actions"),
)
BY_LOGICAL: dict[str, AutomationTable] = {t.logical: t for t in AUTOMATION_TABLES}

#: privilege name (lower case) -> (right, table)
_PRIVILEGES: dict[str, tuple[str, AutomationTable]] = {
    f"prv{right}{table.schema}".lower(): (right, table) for table in AUTOMATION_TABLES for right in RIGHTS
}


def table(logical: str) -> AutomationTable:
    """The automation table with this logical name (``KeyError`` if it is not one)."""
    return BY_LOGICAL[logical.lower()]


def privilege_name(logical: str, right: str) -> str:
    """``prvReadWorkflow`` for (``workflow``, ``Read``), spelled as Dataverse spells it."""
    if right not in RIGHTS:
        raise ValueError(f"unknown access right {right!r}")
    return f"prv{right}{table(logical).schema}"


def parse_privilege(name: str) -> tuple[str, AutomationTable] | None:
    """(right, table) when ``name`` is a privilege on an automation table, else None."""
    return _PRIVILEGES.get(name.strip().lower())


def parse_depth(level: str | int) -> Depth | None:
    """The depth a role-XML ``level`` (or an admin-centre name, or ``PrivilegeDepth`` 0-3)
    stands for; None for anything else."""
    return _DEPTH_SPELLINGS.get(str(level).strip().lower())


def depth_rank(depth: Depth) -> int:
    return DEPTHS.index(depth)


@dataclass(frozen=True, slots=True)
class Need:
    """A privilege the runner of a flow needs on a component's table."""

    table: str  #: logical name
    right: str
    documented: bool = True  #: False: pafix's assumption, not a published requirement

    @property
    def privilege(self) -> str:
        return privilege_name(self.table, self.right)


#: inventory component kind (:mod:`pafix.access.inventory`) -> what its runner needs
RUNNER_NEEDS: dict[str, tuple[Need, ...]] = {
    "desktop-flow": (Need("workflow", "Read"),),
    "work-queue": (Need("workqueue", "Read"), Need("workqueueitem", "Read"),
                   Need("workqueueitem", "Write", documented=False)),
    "credential": (Need("credential", "Read"),),
    "ui-element-repository": (Need("desktopflowbinary", "Read"),),
    "ui-element-collection": (Need("desktopflowmodule", "Read"),),
    "custom-action": (Need("desktopflowmodule", "Read"),),
    "connection-reference": (Need("connectionreference", "Read"),),
}
