"""PAF404."""

from __future__ import annotations

from pafix.rules.metadata_base import GlobalGrantRule


class GlobalAccessToDesktopFlowModules(GlobalGrantRule):
    """A security role grants organisation-wide Read, Write, Share or Assign on the Desktop Flow Module table.

    ## What it does
    Reports each `<RolePrivilege>` of a role shipped in a solution export that grants
    `prvReaddesktopflowmodule`, `prvWritedesktopflowmodule`, `prvSharedesktopflowmodule` or
    `prvAssigndesktopflowmodule` at `Global` depth. Custom actions and UI element collections
    are rows of the Desktop Flow Module (`desktopflowmodule`) table.

    Connection references (`connectionreference`) are not checked: a connection reference
    names a connection but does not carry its sign-in, and Microsoft publishes no guidance on
    their depth.

    ## Why is this bad?
    A custom action is code that desktop flows run; Write on every module lets every holder
    of the role replace the code that other people's flows run, and Read lets them copy it.
    A UI element collection records the screens of the applications a flow drives.

    ## Example
    ```xml
    <RolePrivilege name="prvWritedesktopflowmodule" level="Global" />
    ```

    ## Use instead
    ```xml
    <RolePrivilege name="prvWritedesktopflowmodule" level="Basic" />
    ```
    Makers who publish custom actions keep Write on their own; the flows' users need only
    Read (Microsoft: "update the role to include read permission for the Desktop Flow Module
    table").

    ## Fix safety
    No automatic fix.
    """

    code = "PAF404"
    name = "global-access-to-desktop-flow-modules"
    severity = "warning"
    tables = ("desktopflowmodule",)

    def consequence(self, right: str, logical: str) -> str:
        what = {"Read": "read", "Write": "replace", "Share": "share", "Assign": "take over"}[right]
        return f"everyone holding this role can {what} every custom action and UI element collection in the environment"
