"""PAF402."""

from __future__ import annotations

from pafix.rules.metadata_base import GlobalGrantRule


class GlobalAccessToCredentials(GlobalGrantRule):
    """A security role grants organisation-wide Read, Write, Share or Assign on the Credential table.

    ## What it does
    Reports each `<RolePrivilege>` of a role shipped in a solution export that grants
    `prvReadcredential`, `prvWritecredential`, `prvSharecredential` or `prvAssigncredential`
    at `Global` depth. Desktop flow credentials (the Get credential action) are rows of the
    Credential (`credential`) table; each names a secret in Azure Key Vault or CyberArk.

    ## Why is this bad?
    A credential is how a desktop flow signs in to a system without a password in the
    script. Read on all of them lets every holder of the role use every credential of the
    environment in their own flows; Write lets them point a credential at another secret;
    Share and Assign hand them on. Credentials should reach only the flows and people that
    need them.

    ## Example
    ```xml
    <RolePrivilege name="prvReadcredential" level="Global" />
    ```

    ## Use instead
    ```xml
    <RolePrivilege name="prvReadcredential" level="Basic" />
    ```
    and share each credential with the users of the flows that use it (`pafix access`
    lists them).

    ## Fix safety
    No automatic fix.
    """

    code = "PAF402"
    name = "global-access-to-credentials"
    severity = "warning"
    tables = ("credential",)

    def consequence(self, right: str, logical: str) -> str:
        what = {"Read": "use", "Write": "change", "Share": "share", "Assign": "take over"}[right]
        return f"everyone holding this role can {what} every credential in the environment"
