"""The runner's scores over a scripted target, suite loading, and the JSON / JUnit / HTML reports."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from echotune.evals import report as reports
from echotune.evals.runner import run
from echotune.evals.suite import Case, Suite, json_schema, load_suites
from echotune.evals.transcript import ToolCall, Transcript, Turn
from echotune.tools.errors import InvalidInputError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]

SUITE = Suite.model_validate(
    {
        "name": "demo",
        "cases": [
            {
                "id": "search",
                "tags": ["search"],
                "turns": ["find hey jude"],
                "expect": {
                    "tools_called": [{"name": "catalog_search", "args": {"query": {"regex": "hey jude"}}}],
                    "answer": {"contains": ["Hey Jude"]},
                },
            },
            {
                "id": "wrong-args",
                "turns": ["find yesterday"],
                "expect": {"tools_called": [{"name": "catalog_search", "args": {"query": "yesterday"}}]},
            },
            {"id": "flaky", "repeat": 4, "threshold": 0.5, "turns": ["hello"], "expect": {"no_tools": True}},
            {"id": "crash", "tags": ["search"], "turns": ["boom"], "expect": {"no_tools": True}},
        ],
    }
)


class ScriptedTarget:
    """Answers from a script: what a model would do for each case (a unit-test stand-in for the agent)."""

    name = "scripted/test"

    def __init__(self) -> None:
        self.flips = itertools.cycle([True, False])

    def run(self, case: Case, suite: Suite) -> Transcript:
        user = case.turns[0].user
        if case.id == "crash":
            raise RuntimeError("provider down")
        if case.id == "flaky":
            calls = [] if next(self.flips) else [ToolCall(name="catalog_search", args={"query": "hello"})]
            return Transcript(turns=[Turn(user=user, answer="hi", tool_calls=calls, steps=1, latency_ms=10)])
        query = user.removeprefix("find ")
        call = ToolCall(name="catalog_search", args={"query": "yesterdays" if "yesterday" in query else query})
        return Transcript(
            turns=[
                Turn(
                    user=user,
                    answer="Found Hey Jude",
                    tool_calls=[call],
                    steps=2,
                    latency_ms=20,
                    tokens_in=100,
                    tokens_out=20,
                    cost_usd=0.001,
                )
            ]
        )


def test_scores_and_summary() -> None:
    result = run([SUITE], ScriptedTarget())
    by_id = {r.case: r for r in result.results}
    assert by_id["search"].passed and by_id["search"].tool_selection == 1 and by_id["search"].arguments == 1
    assert not by_id["wrong-args"].passed and by_id["wrong-args"].tool_selection == 1
    assert by_id["wrong-args"].arguments == 0
    assert by_id["flaky"].runs == 4 and by_id["flaky"].passes == 2 and by_id["flaky"].flaky and by_id["flaky"].passed
    assert not by_id["crash"].passed and "provider down" in by_id["crash"].checks[0].message
    s = result.summary
    assert (s.cases, s.passed, s.flaky) == (4, 2, 1)
    assert s.tool_selection_accuracy == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    assert s.argument_accuracy == pytest.approx(0.5)
    assert s.tokens_in == 200 and s.cost_usd == pytest.approx(0.002)


def test_tag_filter_and_repeat_override() -> None:
    result = run([SUITE], ScriptedTarget(), tags=["search"], repeat=2)
    assert [(r.case, r.runs) for r in result.results] == [("search", 2), ("crash", 2)]


def test_concurrency_gives_the_same_verdicts() -> None:
    serial = run([SUITE], ScriptedTarget(), repeat=1)
    parallel = run([SUITE], ScriptedTarget(), repeat=1, concurrency=4)
    assert [(r.case, r.passed) for r in serial.results if r.case != "flaky"] == [
        (r.case, r.passed) for r in parallel.results if r.case != "flaky"
    ]


def test_junit_validates_against_the_schema(tmp_path: Path) -> None:
    import xmlschema

    path = tmp_path / "junit.xml"
    reports.write_junit(run([SUITE], ScriptedTarget()), path)
    xmlschema.XMLSchema(ROOT / "tests" / "fixtures" / "junit.xsd").validate(path)
    text = path.read_text()
    assert 'tests="4"' in text and 'failures="2"' in text and "provider down" in text


def test_junit_schema_rejects_a_broken_report(tmp_path: Path) -> None:
    import xmlschema

    broken = reports.junit_xml(run([SUITE], ScriptedTarget())).replace(' classname="echotune.evals.demo"', "")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(ROOT / "tests" / "fixtures" / "junit.xsd").validate(broken)


def test_html_is_self_contained(tmp_path: Path) -> None:
    page = reports.html_report(run([SUITE], ScriptedTarget()))
    assert "<table>" in page and "FAIL" in page and "2/4" in page
    assert "http://" not in page and "https://" not in page and "<script src" not in page


def test_json_round_trip_and_compare(tmp_path: Path) -> None:
    before = run([SUITE], ScriptedTarget())
    reports.write_json(before, tmp_path / "a.json")
    loaded = reports.read_json(tmp_path / "a.json")
    assert loaded.summary == before.summary
    after = loaded.model_copy(deep=True)
    after.results[1].passed, after.results[1].passes = True, 1
    after.results = [r for r in after.results if r.case != "crash"]
    assert reports.compare(loaded, after) == [
        {"suite": "demo", "case": "crash", "change": "removed", "before": "0/1", "after": None},
        {"suite": "demo", "case": "wrong-args", "change": "fixed", "before": "0/1", "after": "1/1"},
    ]


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "evals" / "schema.json").read_text())
    assert committed == json_schema(), "regenerate: python -m echotune.evals.suite > evals/schema.json"


def test_suite_loading_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        load_suites([tmp_path / "missing.yaml"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncases: [{id: a, turns: []}]\n")
    with pytest.raises(InvalidInputError, match=r"bad.yaml: cases.0.turns"):
        load_suites([bad])
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InvalidInputError, match="not valid YAML"):
        load_suites([bad])
    dup = tmp_path / "dup.yaml"
    dup.write_text("name: x\ncases:\n  - {id: a, turns: [hi]}\n  - {id: a, turns: [ho]}\n")
    with pytest.raises(InvalidInputError, match="duplicate case ids"):
        load_suites([tmp_path / "dup.yaml"])
