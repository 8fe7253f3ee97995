"""What the offline model knows about each tool it was given: read from the bound tools themselves (name,
description, JSON schema of the input, the registry's example utterances, effect), so tools added to the
registry later are understood without touching the model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["str", "int", "float", "bool", "enum", "list", "object", "any"]


@dataclass(frozen=True)
class FieldSpec:
    """One input field as the extractors see it."""

    name: str
    kind: Kind
    required: bool
    default: Any = None
    description: str = ""
    enum: tuple[Any, ...] = ()
    item_kind: Kind | None = None  # for lists
    item_enum: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_items: int | None = None
    examples: tuple[Any, ...] = ()
    nullable: bool = False

    def clamp(self, value: float) -> float:
        if self.minimum is not None and value < self.minimum:
            value = self.minimum
        if self.maximum is not None and value > self.maximum:
            value = self.maximum
        return value


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    effect: str = "read"
    examples: tuple[str, ...] = ()
    fields: dict[str, FieldSpec] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The first sentence of the description: how the model names the tool to a person."""
        first = self.description.strip().split("\n")[0]
        return first.split(". ")[0].rstrip(".")

    @property
    def required(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.required]


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {})
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _kind(schema: dict[str, Any], root: dict[str, Any]) -> tuple[Kind, dict[str, Any], bool]:
    """(kind, the schema that decided it, nullable)."""
    schema = _resolve(schema, root)
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        options = [_resolve(o, root) for o in options]
        real = [o for o in options if o.get("type") != "null"]
        nullable = len(real) < len(options)
        if len(real) == 1:
            kind, decided, _ = _kind(real[0], root)
            return kind, {**schema, **decided}, nullable
        return "any", schema, nullable
    if "enum" in schema:
        return "enum", schema, None in schema["enum"]
    if "const" in schema:
        return "enum", {**schema, "enum": [schema["const"]]}, False
    kind = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list"}.get(
        str(schema.get("type")), "object" if schema.get("type") == "object" else "any"
    )
    return kind, schema, False  # type: ignore[return-value]


def field_specs(schema: dict[str, Any]) -> dict[str, FieldSpec]:
    """FieldSpecs from a JSON schema of an object (pydantic's or an OpenAI tool's `parameters`)."""
    out: dict[str, FieldSpec] = {}
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        kind, decided, nullable = _kind(prop, schema)
        item_kind: Kind | None = None
        item_enum: tuple[Any, ...] = ()
        if kind == "list":
            item_kind, item_schema, _ = _kind(decided.get("items") or {}, schema)
            item_enum = tuple(item_schema.get("enum", ()))
        out[name] = FieldSpec(
            name=name,
            kind=kind,
            required=name in required,
            default=prop.get("default"),
            description=str(prop.get("description") or decided.get("description") or ""),
            enum=tuple(decided.get("enum", ())),
            item_kind=item_kind,
            item_enum=item_enum,
            minimum=decided.get("minimum", decided.get("exclusiveMinimum")),
            maximum=decided.get("maximum", decided.get("exclusiveMaximum")),
            max_items=decided.get("maxItems"),
            examples=tuple(prop.get("examples") or decided.get("examples") or ()),
            nullable=nullable,
        )
    return out


def tool_info(tool: Any) -> ToolInfo:
    """A ToolInfo from whatever bind_tools received: a LangChain tool, an OpenAI tool dict, or a pydantic class."""
    from echotune.tools.registry import all_tools

    metadata: dict[str, Any] = {}
    if isinstance(tool, dict):
        fn = tool.get("function", tool)
        name, description, schema = fn["name"], fn.get("description", ""), fn.get("parameters") or {}
    elif hasattr(tool, "args_schema") and hasattr(tool, "name"):
        name, description = tool.name, tool.description or ""
        args_schema = tool.args_schema
        schema = args_schema if isinstance(args_schema, dict) else args_schema.model_json_schema()
        metadata = dict(tool.metadata or {})
    elif isinstance(tool, type) and hasattr(tool, "model_json_schema"):
        name, description, schema = tool.__name__, tool.__doc__ or "", tool.model_json_schema()
    else:
        raise TypeError(f"the offline model cannot use a tool of type {type(tool).__name__}")
    spec = all_tools().get(name)  # the registry is the source of examples when the tool came as a plain dict
    examples = tuple(metadata.get("examples") or (spec.examples if spec else ()))
    effect = str(metadata.get("effect") or (spec.effect if spec else "read"))
    return ToolInfo(name=name, description=description, effect=effect, examples=examples, fields=field_specs(schema))


def tool_infos(tools: Sequence[Any]) -> dict[str, ToolInfo]:
    infos = [tool_info(t) for t in tools]
    return {i.name: i for i in infos}
