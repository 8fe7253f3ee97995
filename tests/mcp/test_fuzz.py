"""Property-based fuzzing of every tool's arguments over stdio: arguments generated from the tool's own JSON
schema (valid ones) and arbitrary JSON objects (mostly invalid ones). The server must answer every call with a
result, an isError result for bad input carrying a typed error (never "internal"), within the deadline, and
keep serving."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from echotune.tools.registry import all_tools
from tests.mcp.conftest import Remote, remote, stdio_session, text_of

EXPECTED_CODES = {"invalid_input", "not_found", "conflict", "not_configured", "rate_limited", "premium_required",
                  "upstream_error"}  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values valid for a JSON schema as pydantic writes them (types, enums, bounds, lengths, patterns, anyOf,
    arrays, objects with required properties, $ref). hypothesis-jsonschema no longer runs on this Hypothesis."""
    defs = schema.get("$defs", {}) if defs is None else defs
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of([from_schema(alt, defs) for alt in schema.get("anyOf", schema.get("oneOf"))])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40))
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 5), 5))  # fmt: skip
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, defs) for k, v in props.items() if k in required},
            optional={k: from_schema(v, defs) for k, v in props.items() if k not in required},
        )
    return json_values


def arguments(name: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = all_tools()[name].input_schema()
    properties = list(schema.get("properties", {})) or ["x"]
    wrong = st.dictionaries(st.sampled_from([*properties, "unexpected"]), json_values, max_size=len(properties) + 1)
    return from_schema(schema) | wrong


@pytest.fixture(scope="module")
def stdio(mcp_data: Path) -> Iterator[Remote]:
    with (mcp_data / "fuzz-stderr.log").open("w") as errlog, remote(lambda: stdio_session(mcp_data, errlog)) as r:
        yield r


@pytest.mark.parametrize("name", list(all_tools()))
def test_fuzzed_arguments_only_ever_give_results(stdio: Remote, name: str) -> None:
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(args=arguments(name))
    def check(args: dict[str, Any]) -> None:
        result = stdio.call_tool(name, args)
        if result.is_error:
            code = text_of(result).split(":", 1)[0]
            assert code in EXPECTED_CODES, f"{name}({args!r}) -> {text_of(result)}"
        else:
            assert result.structured_content is not None

    check()
    stdio.ping()
