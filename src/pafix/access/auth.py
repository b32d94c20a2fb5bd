"""Choosing an Azure credential for the Dataverse Web API (``azure-identity``, the ``online`` extra).

Secrets never come from the command line: ``--auth environment`` reads a service principal from
the environment (``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID`` and ``AZURE_CLIENT_SECRET``, or
``AZURE_CLIENT_CERTIFICATE_PATH``: azure-identity's EnvironmentCredential), ``cli`` uses the
Azure CLI's login (``az login``), ``device-code`` prints a code to enter at
https://microsoft.com/devicelogin, and ``default`` is azure-identity's DefaultAzureCredential
(environment, workload and managed identity, Azure CLI … in its documented order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pafix.access.dataverse import DataverseError, TokenCredential

if TYPE_CHECKING:
    from pafix.access.dataverse import DataverseClient

AUTH_METHODS = ("default", "cli", "device-code", "environment")
AUTH_ENV = "PAFIX_DATAVERSE_AUTH"


def credential_for(method: str) -> TokenCredential:
    """The credential for ``method`` (one of :data:`AUTH_METHODS`); :class:`DataverseError`
    when azure-identity is not installed."""
    try:
        import azure.identity as identity
    except ImportError:
        raise DataverseError("the online commands need azure-identity and httpx: pip install 'pafix[online]'") from None
    # (typed here: without the online extra installed mypy sees azure.identity as Any)
    credential: TokenCredential
    if method == "cli":
        credential = identity.AzureCliCredential()
    elif method == "device-code":
        credential = identity.DeviceCodeCredential()
    elif method == "environment":
        credential = identity.EnvironmentCredential()
    elif method == "default":
        credential = identity.DefaultAzureCredential()
    else:
        raise DataverseError(f"unknown authentication method {method!r} (one of: {', '.join(AUTH_METHODS)})")
    return credential


def connect(url: str, method: str, **options: float | int) -> DataverseClient:
    """A read-only client for the environment at ``url``, authenticated by ``method``."""
    from pafix.access.dataverse import DataverseClient, environment_of

    environment = environment_of(url)
    if method not in AUTH_METHODS:
        raise DataverseError(f"unknown authentication method {method!r} (one of: {', '.join(AUTH_METHODS)})")
    return DataverseClient(environment, credential_for(method), **options)  # type: ignore[arg-type]
