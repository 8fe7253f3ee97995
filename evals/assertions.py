"""Checking a transcript against a case's expectations. Each check returns a result with a readable reason.

Kinds: tools called (name, argument subset with matchers, order any | in_order | exact), tools not called,
no tools, max steps, answer contains / not contains / regex / JSON path, and the llm-rubric (graded by a judge
when one is given, otherwise skipped with the reason).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from echotune.evals.suite import ArgValue, Expect, ExpectedCall, JsonPathCheck, Matcher
from echotune.evals.transcript import ToolCall, Transcript

Judge = Callable[[str, Transcript], tuple[bool, str]]
"""judge(rubric, transcript) -> (passed, reason): an LLM grading the answer."""


class Check(BaseModel):
    kind: str
    status: Literal["pass", "fail", "skip"]
    message: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def matches(expected: ArgValue, value: Any, present: bool = True) -> bool:
    """Does `value` satisfy a literal or a Matcher? Strings compare case-insensitively."""
    if not isinstance(expected, Matcher):
        if not present:
            return False
        if isinstance(expected, str) and isinstance(value, str):
            return expected.casefold() == value.casefold()
        return expected == value
    m = expected
    if m.absent is not None:
        return (not present) == m.absent
    if not present:
        return False
    if m.equals is not None:
        return matches(m.equals, value)
    if m.regex is not None:
        return re.search(m.regex, _text(value), re.IGNORECASE) is not None
    if m.contains is not None:
        if isinstance(value, list):
            return any(matches(m.contains, v) for v in value)
        return _text(m.contains).casefold() in _text(value).casefold()
    if m.one_of is not None:
        return any(matches(v, value) for v in m.one_of)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return (m.min is None or number >= m.min) and (m.max is None or number <= m.max)


def call_matches(expected: ExpectedCall, call: ToolCall) -> bool:
    return expected.name == call.name and all(
        matches(v, call.args.get(k), k in call.args) for k, v in expected.args.items()
    )


def _describe(call: ToolCall) -> str:
    return f"{call.name}({', '.join(f'{k}={v!r}' for k, v in call.args.items())})"


def check_tools(expect: Expect, calls: list[ToolCall]) -> list[Check]:
    out: list[Check] = []
    seen = ", ".join(_describe(c) for c in calls) or "no tool calls"
    if expect.tools_called:
        if expect.order == "exact":
            ok = len(calls) == len(expect.tools_called) and all(
                call_matches(e, c) for e, c in zip(expect.tools_called, calls, strict=True)
            )
        elif expect.order == "in_order":
            it = iter(calls)
            ok = all(any(call_matches(e, c) for c in it) for e in expect.tools_called)
        else:
            ok = all(any(call_matches(e, c) for c in calls) for e in expect.tools_called)
        wanted = ", ".join(f"{e.name}{e.args or ''}" for e in expect.tools_called)
        out.append(
            Check(
                kind=f"tools_called[{expect.order}]",
                status="pass" if ok else "fail",
                message=f"expected {wanted}; saw {seen}",
            )
        )
    for name in expect.tools_not_called:
        bad = [c for c in calls if c.name == name]
        out.append(
            Check(
                kind="tools_not_called",
                status="fail" if bad else "pass",
                message=f"{name} must not be called; saw {seen}",
            )
        )
    if expect.no_tools:
        out.append(Check(kind="no_tools", status="fail" if calls else "pass", message=f"no tools expected; saw {seen}"))
    return out


def _json_path(check: JsonPathCheck, transcript: Transcript) -> Check:
    from jsonpath_ng.ext import parse

    kind = f"json_path[{check.on}]{check.path}"
    if check.on == "answer":
        try:
            doc = json.loads(transcript.answer)
        except json.JSONDecodeError:
            return Check(kind=kind, status="fail", message="the answer is not JSON")
    else:
        name = check.on.removeprefix("tool:")
        results = [c.result for c in transcript.tool_calls if c.name == name and c.error is None]
        if not results:
            return Check(kind=kind, status="fail", message=f"no successful {name} result")
        doc = results[-1]
    found = [m.value for m in parse(check.path).find(doc)]
    ok = bool(found) and matches(check.expect, found[0] if len(found) == 1 else found)
    return Check(kind=kind, status="pass" if ok else "fail", message=f"found {found!r:.200}")


def check_answer(expect: Expect, transcript: Transcript, answer: str, judge: Judge | None) -> list[Check]:
    out: list[Check] = []
    spec = expect.answer
    folded = answer.casefold()
    if spec:
        for text in spec.contains:
            out.append(
                Check(
                    kind="answer_contains",
                    status="pass" if text.casefold() in folded else "fail",
                    message=f"{text!r} in answer {answer!r:.200}",
                )
            )
        for text in spec.not_contains:
            out.append(
                Check(
                    kind="answer_not_contains",
                    status="fail" if text.casefold() in folded else "pass",
                    message=f"{text!r} not in answer {answer!r:.200}",
                )
            )
        for pattern in spec.regex:
            ok = re.search(pattern, answer, re.IGNORECASE | re.DOTALL) is not None
            out.append(
                Check(
                    kind="answer_regex",
                    status="pass" if ok else "fail",
                    message=f"/{pattern}/ on answer {answer!r:.200}",
                )
            )
        out.extend(_json_path(c, transcript) for c in spec.json_path)
    if expect.rubric:
        if judge is None:
            out.append(Check(kind="llm_rubric", status="skip", message="no judge provider (only the offline one)"))
        else:
            ok, reason = judge(expect.rubric, transcript)
            out.append(Check(kind="llm_rubric", status="pass" if ok else "fail", message=reason))
    return out


def check(
    expect: Expect, transcript: Transcript, *, turn: int | None = None, judge: Judge | None = None
) -> list[Check]:
    """All checks of `expect` against the whole transcript, or against one turn of it."""
    if transcript.error:
        return [Check(kind="run", status="fail", message=f"the run failed: {transcript.error}")]
    if turn is None:
        calls, answer, steps = transcript.tool_calls, transcript.answer, transcript.steps
    else:
        t = transcript.turns[turn]
        calls, answer, steps = t.tool_calls, t.answer, t.steps
    out = check_tools(expect, calls)
    if expect.max_steps is not None:
        out.append(
            Check(
                kind="max_steps",
                status="pass" if steps <= expect.max_steps else "fail",
                message=f"{steps} steps, at most {expect.max_steps}",
            )
        )
    out.extend(check_answer(expect, transcript, answer, judge))
    return out
