"""The desktop flows of a Dataverse environment: their ``workflow`` rows, the Robin script in
each, and :class:`~pafix.units.Unit` values for ``pafix scan dataverse://HOST``.

``definition`` holds the script (as a JSON string literal, like a solution's ``<Definition>``,
or as plain text); a v1 flow keeps it in ``clientdata`` (a base64 zip, read as in solution
exports). ``inputs`` / ``outputs`` are the same JSON as a solution's ``<Inputs>`` /
``<Outputs>`` (sensitive inputs, declared names).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pafix.access.dataverse import DataverseClient
from pafix.access.environment import address, guid
from pafix.units import Unit

FLOW_COLUMNS = "workflowid,name,_ownerid_value,definition,clientdata,inputs,outputs,connectionreferences"


def flow_address(host: str, flow_id: str) -> str:
    return address(host, f"workflows({guid(flow_id)})")


# ---- flows ----------------------------------------------------------------------------------


def desktop_flow_rows(client: DataverseClient, columns: str = FLOW_COLUMNS) -> list[dict[str, Any]]:
    """The ``workflow`` rows of category 6 (desktop flows), every page."""
    return list(client.get_all("workflows", {"$select": columns, "$filter": "category eq 6"}))


def _json_column(row: dict[str, Any], column: str) -> Any:
    value = row.get(column)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def flow_script(row: dict[str, Any], where: str) -> tuple[str | None, Any, Any, str | None]:
    """(script, inputs, outputs, error) of a ``workflow`` row: ``definition`` holds the Robin
    script — as a JSON string literal, as in a solution's ``<Definition>``, or as the plain
    text — and a v1 flow keeps it in ``clientdata`` (a base64 zip, read as in solution exports)."""
    from pafix.solutions.clientdata import _script_from_clientdata
    from pafix.solutions.model import SolutionError, _Limits

    inputs, outputs = _json_column(row, "inputs"), _json_column(row, "outputs")
    definition = row.get("definition")
    if isinstance(definition, str) and definition.strip():
        text = definition
        if definition.lstrip().startswith('"'):
            try:
                decoded = json.loads(definition)
            except (ValueError, RecursionError):
                return None, inputs, outputs, "definition is not valid JSON"
            if not isinstance(decoded, str):
                return None, inputs, outputs, "definition is not a JSON string"
            text = decoded
        return text, inputs, outputs, None
    clientdata = row.get("clientdata")
    if isinstance(clientdata, str) and clientdata.strip():
        try:
            found = _script_from_clientdata(clientdata, where, _Limits())
        except SolutionError as exc:
            message = str(exc)
            return None, inputs, outputs, message[len(where) + 2:] if message.startswith(where + ": ") else message
        if found is not None:
            script, cd_in, cd_out = found
            return script, inputs if inputs is not None else cd_in, outputs if outputs is not None else cd_out, None
    return None, inputs, outputs, "the flow has no definition and no clientdata package"


def flow_units(client: DataverseClient) -> Iterator[Unit]:
    """One :class:`~pafix.units.Unit` per desktop flow of the environment, at
    ``dataverse://HOST/workflows(ID)`` with the flow's name, for ``pafix scan``."""
    from pafix.solutions.schema import password_vars, schema_names

    host = client.environment.host
    for row in desktop_flow_rows(client, "workflowid,name,definition,clientdata,inputs,outputs"):
        ident = row.get("workflowid")
        if not isinstance(ident, str):
            continue
        path = flow_address(host, ident)
        name = row.get("name") if isinstance(row.get("name"), str) else guid(ident)
        script, inputs, outputs, error = flow_script(row, path)
        if script is None:
            yield Unit(path, None, error, name, workflow_id=guid(ident))
            continue
        yield Unit(path, script, None, name, password_io=password_vars(inputs, outputs), workflow_id=guid(ident),
                   io_names=schema_names(inputs, outputs))
