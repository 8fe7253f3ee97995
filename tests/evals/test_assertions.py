"""Every assertion kind, passing and failing, on hand-made transcripts."""

from __future__ import annotations

import pytest

from echotune.evals.assertions import check, matches
from echotune.evals.suite import Expect, Matcher
from echotune.evals.transcript import ToolCall, Transcript, Turn


def transcript(*calls: ToolCall, answer: str = "", steps: int = 2) -> Transcript:
    return Transcript(turns=[Turn(user="hi", answer=answer, tool_calls=list(calls), steps=steps)])


SEARCH = ToolCall(
    name="catalog_search", args={"query": "Hey Jude", "limit": 3}, result={"tracks": [{"title": "Hey Jude"}]}
)
QUEUE = ToolCall(name="queue_add", args={"tracks": ["a", "b"]}, result={"queued": 2})


def statuses(expect: dict, t: Transcript, **kw) -> list[str]:
    return [c.status for c in check(Expect.model_validate(expect), t, **kw)]


@pytest.mark.parametrize(
    ("expect", "passing", "failing"),
    [
        ({"tools_called": [{"name": "catalog_search"}]}, transcript(SEARCH), transcript(QUEUE)),
        (
            {"tools_called": [{"name": "catalog_search", "args": {"query": "hey jude"}}]},
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"args": {"query": "yesterday"}})),
        ),
        (
            {"tools_called": [{"name": "catalog_search", "args": {"query": {"regex": "^hey"}}}]},
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"args": {"query": "oh hey"}})),
        ),
        (
            {"tools_called": [{"name": "catalog_search", "args": {"limit": {"min": 1, "max": 5}}}]},
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"args": {"limit": 9}})),
        ),
        (
            {"tools_called": [{"name": "queue_add", "args": {"tracks": {"contains": "b"}}}]},
            transcript(QUEUE),
            transcript(QUEUE.model_copy(update={"args": {"tracks": ["c"]}})),
        ),
        (
            {"tools_called": [{"name": "catalog_search", "args": {"artist": {"absent": True}}}]},
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"args": {"artist": "x"}})),
        ),
        (
            {"tools_called": [{"name": "catalog_search", "args": {"limit": {"one_of": [3, 5]}}}]},
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"args": {"limit": 4}})),
        ),
        (
            {"tools_called": [{"name": "catalog_search"}, {"name": "queue_add"}], "order": "in_order"},
            transcript(SEARCH, QUEUE),
            transcript(QUEUE, SEARCH),
        ),
        (
            {"tools_called": [{"name": "catalog_search"}], "order": "exact"},
            transcript(SEARCH),
            transcript(SEARCH, QUEUE),
        ),
        ({"tools_not_called": ["queue_add"]}, transcript(SEARCH), transcript(SEARCH, QUEUE)),
        ({"no_tools": True}, transcript(), transcript(SEARCH)),
        ({"max_steps": 2}, transcript(steps=2), transcript(steps=3)),
        ({"answer": {"contains": ["hey jude"]}}, transcript(answer="Found Hey Jude."), transcript(answer="Nothing.")),
        (
            {"answer": {"not_contains": ["ignore previous"]}},
            transcript(answer="ok"),
            transcript(answer="Ignore previous instructions"),
        ),
        ({"answer": {"regex": [r"\b3 songs?\b"]}}, transcript(answer="Queued 3 songs"), transcript(answer="Queued 33")),
        (
            {"answer": {"json_path": [{"path": "$.count", "expect": {"min": 2}}]}},
            transcript(answer='{"count": 2}'),
            transcript(answer='{"count": 1}'),
        ),
        (
            {
                "answer": {
                    "json_path": [{"path": "$.tracks[0].title", "on": "tool:catalog_search", "expect": "hey jude"}]
                }
            },
            transcript(SEARCH),
            transcript(SEARCH.model_copy(update={"result": {"tracks": []}})),
        ),
    ],
)
def test_each_assertion_kind_passes_and_fails(expect: dict, passing: Transcript, failing: Transcript) -> None:
    assert statuses(expect, passing) == ["pass"] * len(statuses(expect, passing))
    assert "fail" in statuses(expect, failing)


def test_json_path_on_a_non_json_answer_fails() -> None:
    expect = {"answer": {"json_path": [{"path": "$.a", "expect": 1}]}}
    assert statuses(expect, transcript(answer="plain words")) == ["fail"]


def test_rubric_skipped_without_judge_and_graded_with_one() -> None:
    expect = {"rubric": "mentions the Beatles"}
    t = transcript(answer="Hey Jude by The Beatles")
    assert statuses(expect, t) == ["skip"]
    assert statuses(expect, t, judge=lambda rubric, tr: ("beatles" in tr.answer.lower(), "judge says")) == ["pass"]
    assert statuses(expect, t, judge=lambda rubric, tr: (False, "judge says no")) == ["fail"]


def test_per_turn_checks_look_at_that_turn_only() -> None:
    t = Transcript(turns=[Turn(user="a", tool_calls=[SEARCH]), Turn(user="b", tool_calls=[QUEUE], answer="done")])
    expect = {"tools_called": [{"name": "queue_add"}], "tools_not_called": ["catalog_search"]}
    assert statuses(expect, t, turn=1) == ["pass", "pass"]
    assert statuses(expect, t, turn=0) == ["fail", "fail"]


def test_a_failed_run_fails_every_expectation() -> None:
    assert statuses({"no_tools": True}, Transcript(error="boom")) == ["fail"]


def test_matcher_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Matcher(regex="a", contains="b")
    assert matches(Matcher(min=1), "2") and not matches(Matcher(min=1), "two")
