"""PAF403."""

from __future__ import annotations

from pafix.rules.metadata_base import GlobalGrantRule


class GlobalAccessToWorkQueues(GlobalGrantRule):
    """A security role grants organisation-wide Read, Write, Share or Assign on the Work Queue or Work Queue Item table.

    ## What it does
    Reports each `<RolePrivilege>` of a role shipped in a solution export that grants Read,
    Write, Share or Assign on `workqueue` or `workqueueitem` (`prvReadworkqueue`,
    `prvWriteworkqueueitem`, …) at `Global` depth.

    ## Why is this bad?
    Work queue items carry the data a flow processes (often customer data, sometimes
    credentials passed between flows). Read on all of them shows every item of every queue
    to every holder of the role; Write lets them change or complete items they do not own.

    ## Example
    ```xml
    <RolePrivilege name="prvReadworkqueueitem" level="Global" />
    ```

    ## Use instead
    ```xml
    <RolePrivilege name="prvReadworkqueueitem" level="Basic" />
    ```
    and share each queue with the people and flows that process it.

    ## Fix safety
    No automatic fix.
    """

    code = "PAF403"
    name = "global-access-to-work-queues"
    severity = "warning"
    tables = ("workqueue", "workqueueitem")

    def consequence(self, right: str, logical: str) -> str:
        rows = "work queue item" if logical == "workqueueitem" else "work queue"
        what = {"Read": "read", "Write": "change", "Share": "share", "Assign": "take over"}[right]
        return f"everyone holding this role can {what} every {rows} in the environment"
