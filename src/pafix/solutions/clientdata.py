"""v1 desktop flows: the script is not in ``<Definition>`` but in a base64 zip ("package") inside
the ``clientdata`` JSON. Read-only: pafix reads these scripts but never rewrites them.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import json
import zipfile
import zlib
from typing import Any

from pafix.solutions.guards import _check_zip_infos, _read_zip_member
from pafix.solutions.model import SolutionError, _json_error, _Limits


def _decode_v1_script(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        text = data.decode("utf-16")
    elif data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8")
    elif len(data) >= 2 and data[1::2].count(0) > len(data) // 4:
        text = data.decode("utf-16-le", errors="replace")
    elif len(data) >= 2 and data[0::2].count(0) > len(data) // 4:
        text = data.decode("utf-16-be", errors="replace")
    else:
        text = data.replace(b"\x00", b"").decode("utf-8")
    return text.replace("\x00", "")


def _script_from_clientdata(
    cd_text: str, where: str, limits: _Limits
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None] | None:
    try:
        cd = json.loads(cd_text)
    except (ValueError, RecursionError) as exc:
        raise SolutionError(f"{where}: clientdata is not valid JSON ({_json_error(exc)})") from None
    props = cd.get("properties") if isinstance(cd, dict) else None
    definition = props.get("definition") if isinstance(props, dict) else None
    package = definition.get("package") if isinstance(definition, dict) else None
    if not isinstance(package, str) or not package.strip():
        return None
    if len(package) > limits.max_member_size * 2:
        raise SolutionError(f"{where}: clientdata package is larger than the limit")
    try:
        blob = base64.b64decode("".join(package.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SolutionError(f"{where}: clientdata package is not valid base64") from None
    pwhere = f"{where}: clientdata package"
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            infos = _check_zip_infos(zf, pwhere, limits)
            files = [i for i in infos if not i.is_dir()]
            if not files:
                raise SolutionError(f"{pwhere}: the package zip is empty")
            data = _read_zip_member(zf, files[0], pwhere, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise SolutionError(f"{pwhere}: not a valid zip archive ({type(exc).__name__})") from None
    try:
        script = _decode_v1_script(data)
    except UnicodeDecodeError:
        raise SolutionError(f"{pwhere}: the script is not UTF-8 or UTF-16 text") from None
    inputs = props.get("inputs") if isinstance(props, dict) else None
    outputs = props.get("outputs") if isinstance(props, dict) else None
    return (
        script,
        inputs if isinstance(inputs, dict) else None,
        outputs if isinstance(outputs, dict) else None,
    )

