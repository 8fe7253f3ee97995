"""The eval suite format: YAML files of cases, each a conversation plus what must (not) happen.

The pydantic models below are the format's single definition: `evals/schema.json` is generated from them
(`python -m echotune.evals.suite > evals/schema.json`) and a test keeps the two identical.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from echotune.tools.errors import InvalidInputError, NotFoundError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Matcher(_Strict):
    """How one argument (or value) must look. Give exactly one of these."""

    equals: Any = Field(None, description="Equal value (strings compare case-insensitively).")
    regex: str | None = Field(None, description="Python regex searched in the value's text.")
    min: float | None = Field(None, description="Numeric lower bound, inclusive.")
    max: float | None = Field(None, description="Numeric upper bound, inclusive.")
    contains: Any = Field(None, description="Substring (strings, case-insensitive) or element (lists).")
    one_of: list[Any] | None = Field(None, description="Any of these values.")
    absent: bool | None = Field(None, description="true: the argument must not be given.")

    @model_validator(mode="after")
    def _one_kind(self) -> Matcher:
        given = [k for k in ("equals", "regex", "contains", "one_of", "absent") if getattr(self, k) is not None]
        if self.min is not None or self.max is not None:
            given.append("range")
        if len(given) != 1:
            raise ValueError(f"a matcher needs exactly one of equals/regex/min+max/contains/one_of/absent, got {given}")
        return self


ArgValue = Matcher | str | int | float | bool | list[Any] | None


class ExpectedCall(_Strict):
    """A tool that must be called; `args` is a subset: only the named arguments are checked."""

    name: str = Field(description="Tool name, as in the registry.")
    args: dict[str, ArgValue] = Field(default_factory=dict, description="Argument name -> value or matcher.")


class JsonPathCheck(_Strict):
    """A JSON path into the answer (parsed as JSON) or into a tool's result."""

    path: str = Field(description="JSONPath, e.g. $.tracks[0].title")
    on: str = Field("answer", description="'answer', or 'tool:<name>' for that tool's last result.")
    expect: ArgValue = Field(description="Value or matcher the found value must satisfy.")


class AnswerExpect(_Strict):
    contains: list[str] = Field(default_factory=list, description="Substrings that must appear (case-insensitive).")
    not_contains: list[str] = Field(default_factory=list, description="Substrings that must not appear.")
    regex: list[str] = Field(default_factory=list, description="Regexes that must match.")
    json_path: list[JsonPathCheck] = Field(default_factory=list)


class Expect(_Strict):
    """What a conversation (or one turn of it) must do."""

    tools_called: list[ExpectedCall] = Field(default_factory=list)
    order: Literal["any", "exact", "in_order"] = Field(
        "any", description="any: each expected call appears; in_order: as a subsequence; exact: exactly these calls."
    )
    tools_not_called: list[str] = Field(default_factory=list)
    no_tools: bool = Field(False, description="true: no tool may be called.")
    max_steps: int | None = Field(None, ge=1, description="At most this many model steps.")
    answer: AnswerExpect | None = None
    rubric: str | None = Field(None, description="llm-rubric: a judge model grades the answer against this.")


class TurnSpec(_Strict):
    user: str = Field(min_length=1)
    expect: Expect | None = Field(None, description="Checked against this turn alone.")


class PlayerFixture(_Strict):
    """The local player's state, set through the player tools (tracks named as a person would name them)."""

    now_playing: str | None = Field(None, description="A track to start, e.g. 'hey jude by the beatles'.")
    queue: list[str] = Field(default_factory=list, description="Tracks to queue after it, in order.")
    paused: bool = Field(False, description="Pause after starting.")
    volume: int | None = Field(None, ge=0, le=100, description="Volume percent.")
    shuffle: bool | None = Field(None, description="Shuffle on or off.")
    repeat: Literal["off", "track", "context"] | None = Field(None, description="Repeat mode.")


class TrackFixture(_Strict):
    """A track learnt into the catalog before the conversation (as an import would learn it)."""

    title: str = Field(min_length=1)
    artist: str = Field(min_length=1)
    year: int | None = Field(None, ge=1900, le=2100)
    genres: list[str] = Field(default_factory=list)


class Fixtures(_Strict):
    """State set up before the conversation."""

    settings: dict[str, Any] = Field(
        default_factory=dict, description="Dotted setting key -> value, applied in order with settings_update."
    )
    history: str | None = Field(
        None, description="'sample' for a small generated Spotify export (2023 to mid-June 2025), or a path to import."
    )
    player: PlayerFixture = Field(default_factory=PlayerFixture)
    tracks: list[TrackFixture] = Field(default_factory=list, description="Learnt tracks added to the catalog.")
    export_file: str | None = Field(
        None,
        pattern=r"^[\w][\w .-]*\.zip$",
        description="Put the sample Spotify download (a zip) in the person's folder under this name; file paths in "
        "requests resolve in that folder.",
    )


class Case(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Unique within its suite.")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    turns: list[TurnSpec] = Field(min_length=1, description="User turns; a plain string is a turn without checks.")
    fixtures: Fixtures = Field(default_factory=Fixtures)
    expect: Expect = Field(default_factory=Expect, description="Checked against the whole conversation.")
    approve: bool = Field(
        True, description="The person's answer when the agent asks before a tool that acts or deletes."
    )
    repeat: int | None = Field(None, ge=1, le=100)
    threshold: float | None = Field(None, ge=0, le=1, description="Pass rate over repeats needed to pass.")

    @field_validator("turns", mode="before")
    @classmethod
    def _plain_turns(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"user": t} if isinstance(t, str) else t for t in value]
        return value


class Defaults(_Strict):
    repeat: int = Field(1, ge=1, le=100)
    threshold: float = Field(1.0, ge=0, le=1)
    max_steps: int | None = Field(None, ge=1)


class Suite(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    defaults: Defaults = Field(default_factory=Defaults)
    cases: list[Case] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        ids = [c.id for c in self.cases]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate case ids: {dup}")
        return self


def load_suite(path: Path) -> Suite:
    """Read and validate one suite file; errors name the file and the field."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"No suite file {path}", hint="give a YAML file or a folder of them") from None
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path} is not valid YAML: {exc}") from None
    try:
        return Suite.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise InvalidInputError(f"{path}: {problems}", hint="see evals/schema.json for the format") from None


def load_suites(paths: list[Path]) -> list[Suite]:
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    if not files:
        raise NotFoundError(f"No suite files in {', '.join(map(str, paths))}")
    return [load_suite(f) for f in files]


def json_schema() -> dict[str, Any]:
    schema = Suite.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "EchoTune eval suite"
    return schema


if __name__ == "__main__":
    json.dump(json_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
