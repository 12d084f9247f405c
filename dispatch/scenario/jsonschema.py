"""Scenario-format documentation generated from the pydantic models.

``dispatch schema --out docs`` writes ``scenario.schema.json`` (JSON Schema),
``scenario-reference.md`` (a field-by-field table) and ``sweep.schema.json`` (JSON
Schema of sweep files); tests check that the copies in the repository match, so the
docs cannot drift from the code.
"""

from __future__ import annotations

import json
import re
import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dispatch.core.errors import ScenarioError
from dispatch.core.files import write_file_atomic
from dispatch.scenario.schema import Scenario
from dispatch.scenario.sweep import SweepFile

SCHEMA_FILE = "scenario.schema.json"
REFERENCE_FILE = "scenario-reference.md"
SWEEP_SCHEMA_FILE = "sweep.schema.json"
MAX_GENERATED_BYTES = 2**22
"""Size above which a file is not taken for one ``write_docs`` generated [B]."""


def json_schema(model: type[BaseModel] = Scenario, title: str = "dispatch scenario") -> str:
    """The JSON Schema of scenario files (or of ``model``'s files), as text."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return json.dumps(schema, indent=2) + "\n"


def sweep_json_schema() -> str:
    """The JSON Schema of sweep files, as text."""
    return json_schema(SweepFile, "dispatch sweep")


def _unit(description: str) -> tuple[str, str]:
    match = re.search(r"\s*\[([^\]]+)\]\.?\s*$", description)
    if not match:
        return description, ""
    return description[: match.start()].rstrip() + ".", match.group(1)


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in typing.get_args(annotation)]
        if names[:2] == ["number", "string"]:
            names[:2] = ["series"]
        return " or ".join(dict.fromkeys(names))
    if origin is dict:
        return f"mapping of name to {_type_name(typing.get_args(annotation)[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return {
        float: "number",
        int: "integer",
        str: "string",
        type(None): "none",
        bool: "boolean",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows, nested = [], []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        text, unit = _unit(" ".join((field.description or "").split()))
        rows.append(
            f"| `{path}` | {_type_name(field.annotation)} | {unit} | {_default(field)} | {text} |"
        )
        for arg in _alternatives(field.annotation):
            if typing.get_origin(arg) is dict:
                inner, child = typing.get_args(arg)[1], f"{path}.{_KEYS.get(name, 'NAME')}."
            elif typing.get_origin(arg) is list:  # an item's fields, as the list's
                inner, child = typing.get_args(arg)[0], f"{path}."
            else:
                inner, child = arg, f"{path}."
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                nested.extend(_rows(inner, child))
    return rows + nested


_KEYS = {"sites": "SITE", "grid_regions": "REGION", "series": "SERIES", "variants": "VARIANT"}
"""Placeholder of a mapping's key in the reference, by the mapping's field name."""


def _alternatives(annotation: object) -> list[object]:
    """The types a field may hold: the members of a union (``X | None``), else itself."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _alternatives(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def _default(field: FieldInfo) -> str:
    """A field's default as the reference shows it: ``required``, or its value (that of
    its default factory too, e.g. ``{}`` for an empty mapping or a block's defaults)."""
    if field.is_required():
        return "required"
    default = field.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        return "defaults below"
    return f"`{default!r}`"


def reference() -> str:
    """The field-by-field reference of scenario files, as Markdown."""
    header = [
        "# Scenario file reference",
        "",
        "Generated from `dispatch/scenario/schema.py` by `dispatch schema --out docs`:",
        "do not edit.",
        "",
        'A *series* is a constant or `"FILE.csv:COLUMN"` / `"FILE.nc:VARIABLE"`: a',
        "time series in the study folder (CSV: first column `time`, ISO 8601 with UTC",
        "offset; netCDF: coordinate `time` in UTC), one value per snapshot. A netCDF",
        "variable with a `units` attribute (any UDUNITS-2 spelling of the field's unit,",
        "prices with a `currency` attribute) is converted to the field's unit.",
        "",
        "| field | type | unit | default | meaning |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(header + _rows(Scenario, "")) + "\n"


def write_docs(folder: str | Path) -> list[Path]:
    """Write the JSON Schemas and the Markdown reference into ``folder``.

    Each file is written through a temporary beside it and a rename; a file already
    there is replaced only if dispatch generated it (recognised by its title), and
    never through a symbolic link.

    Raises
    ------
    ScenarioError
        One of the files is a link, a folder or a file dispatch did not generate;
        nothing is written then.
    """
    folder = Path(folder)
    files = {
        folder / SCHEMA_FILE: json_schema(),
        folder / REFERENCE_FILE: reference(),
        folder / SWEEP_SCHEMA_FILE: sweep_json_schema(),
    }
    for path, text in files.items():
        if path.is_symlink():
            raise ScenarioError(str(path), "", "is a symbolic link: not written through links")
        if path.exists() and not _generated(path, text):
            raise ScenarioError(
                str(path), "", "exists and was not generated by dispatch schema: not replaced"
            )
    for path, text in files.items():
        write_file_atomic(path, lambda temporary, t=text: temporary.write_text(t, encoding="utf-8"))
    return list(files)


def _generated(path: Path, text: str) -> bool:
    """Whether the file at ``path`` is a version of ``text``: same first three lines
    (the reference) or same ``title`` (the schemas). Large files are not."""
    if not path.is_file() or path.stat().st_size > MAX_GENERATED_BYTES:
        return False
    existing = path.read_bytes()
    if path.suffix == ".md":
        return existing.split(b"\n", 3)[:3] == text.encode().split(b"\n", 3)[:3]
    try:
        document = json.loads(existing)
    except (ValueError, RecursionError):
        return False
    return isinstance(document, dict) and document.get("title") == json.loads(text)["title"]
