"""PAF401."""

from __future__ import annotations

from pafix.rules.metadata_base import GlobalGrantRule


class GlobalAccessToDesktopFlows(GlobalGrantRule):
    """A security role grants organisation-wide Read, Write, Share or Assign on the Process table.

    ## What it does
    Reports each `<RolePrivilege>` of a role shipped in a solution export (`Roles/*.xml` of an
    unpacked solution, `<Roles>` of `customizations.xml` in a packed one) that grants
    `prvReadWorkflow`, `prvWriteWorkflow`, `prvShareWorkflow` or `prvAssignWorkflow` at
    `Global` (organisation) depth. Desktop flows are rows of the Process (`workflow`) table.
    Other tables whose names start the same way (`prvReadWorkflowSession`,
    `prvReadworkflowbinary`) and custom tables such as `admin_Flow` do not count.

    ## Why is this bad?
    Microsoft's "Manage desktop flows" page: users with a security role that gives them Read
    access to all the records of the Process table are co-owners of all desktop flows created
    in the environment, and cannot be removed. So everyone holding this role co-owns every
    desktop flow: they can open and edit the scripts, share them, and (with Write) change what
    they do. Write, Share and Assign at this depth go further: change, share or take over any
    flow.

    ## Example
    ```xml
    <RolePrivilege name="prvReadWorkflow" level="Global" />
    ```

    ## Use instead
    Grant `Basic` (the user's own flows and those shared with them), and share each desktop
    flow with the people who run it (User access) instead:
    ```xml
    <RolePrivilege name="prvReadWorkflow" level="Basic" />
    ```
    Keep Global on the Process table to the administrators' roles, which the environment
    already has.

    ## Fix safety
    No automatic fix: narrowing a role changes who can do their job.
    """

    code = "PAF401"
    name = "global-access-to-desktop-flows"
    severity = "error"
    tables = ("workflow",)

    def consequence(self, right: str, logical: str) -> str:
        if right == "Read":
            return "everyone holding this role is a co-owner of every desktop flow in the environment"
        return f"everyone holding this role can {right.lower()} every desktop flow in the environment"
