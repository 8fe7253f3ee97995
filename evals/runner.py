"""Running suites against a target (the agent with some provider, or anything that returns transcripts),
repeating cases, and scoring them: pass rate, tool-selection and argument accuracy, steps, latency, cost."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

from pydantic import BaseModel, Field

from echotune.evals.assertions import Check, Judge, call_matches, check
from echotune.evals.suite import Case, Expect, Suite
from echotune.evals.transcript import Transcript


class Target(Protocol):
    """Runs one case's conversation from fresh state and returns what happened."""

    name: str

    def run(self, case: Case, suite: Suite) -> Transcript: ...


class RunScore(BaseModel):
    passed: bool
    checks: list[Check]
    tool_selection: float | None = Field(None, description="1 when the right tools (and no forbidden ones) ran.")
    arguments: float | None = Field(None, description="Share of expected calls whose arguments matched.")


class CaseResult(BaseModel):
    suite: str
    case: str
    tags: list[str]
    runs: int
    passes: int
    threshold: float
    passed: bool
    flaky: bool = Field(description="Passed in some repeats and failed in others.")
    checks: list[Check] = Field(description="The checks of the last failing run (else the last run).")
    tool_selection: float | None
    arguments: float | None
    steps: float
    latency_ms: list[float]
    tokens_in: int
    tokens_out: int
    cost_usd: float
    transcript: Transcript

    @property
    def pass_rate(self) -> float:
        return self.passes / self.runs


class Summary(BaseModel):
    cases: int
    passed: int
    pass_rate: float
    flaky: int
    tool_selection_accuracy: float | None
    argument_accuracy: float | None
    steps_mean: float
    latency_p50_ms: float
    latency_p95_ms: float
    tokens_in: int
    tokens_out: int
    cost_usd: float
    skipped_checks: int


class RunReport(BaseModel):
    target: str
    started_at: datetime
    duration_s: float
    results: list[CaseResult]
    summary: Summary


def _expectations(case: Case, defaults_max_steps: int | None) -> list[tuple[Expect, int | None]]:
    whole = case.expect
    if whole.max_steps is None and defaults_max_steps is not None:
        whole = whole.model_copy(update={"max_steps": defaults_max_steps})
    return [(whole, None)] + [(t.expect, i) for i, t in enumerate(case.turns) if t.expect is not None]


def score(case: Case, transcript: Transcript, judge: Judge | None, max_steps: int | None = None) -> RunScore:
    checks: list[Check] = []
    selections: list[float] = []
    arguments: list[float] = []
    for expect, turn in _expectations(case, max_steps):
        checks.extend(check(expect, transcript, turn=turn, judge=judge))
        calls = transcript.tool_calls if turn is None else transcript.turns[turn].tool_calls
        names = {c.name for c in calls}
        if expect.tools_called or expect.tools_not_called or expect.no_tools:
            wanted = {e.name for e in expect.tools_called}
            forbidden = set(expect.tools_not_called) | (names if expect.no_tools else set())
            selections.append(float(wanted <= names and not (forbidden & names)))
        named = [e for e in expect.tools_called if e.name in names and e.args]
        if named:
            arguments.append(sum(any(call_matches(e, c) for c in calls) for e in named) / len(named))
    return RunScore(
        passed=all(c.status != "fail" for c in checks),
        checks=checks,
        tool_selection=statistics.fmean(selections) if selections else None,
        arguments=statistics.fmean(arguments) if arguments else None,
    )


def _run_once(target: Target, suite: Suite, case: Case) -> Transcript:
    started = time.perf_counter()
    try:
        transcript = target.run(case, suite)
    except Exception as exc:  # a crashed run is a failed case, never a crashed eval
        transcript = Transcript(error=f"{type(exc).__name__}: {exc}")
    if transcript.turns and not any(t.latency_ms for t in transcript.turns):
        transcript.turns[-1].latency_ms = (time.perf_counter() - started) * 1000
    return transcript


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def run(
    suites: Sequence[Suite],
    target: Target,
    *,
    repeat: int | None = None,
    tags: Sequence[str] = (),
    concurrency: int = 1,
    judge: Judge | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Run every selected case `repeat` times (else the case's or suite's repeat) and score it."""
    started_at, started = datetime.now(UTC), time.perf_counter()
    jobs: list[tuple[Suite, Case, int]] = []
    for suite in suites:
        for case in suite.cases:
            if tags and not set(tags) & set(case.tags):
                continue
            n = repeat or case.repeat or suite.defaults.repeat
            jobs.extend((suite, case, i) for i in range(n))
    done = 0
    transcripts: dict[tuple[str, str], list[Transcript]] = {}

    def one(job: tuple[Suite, Case, int]) -> tuple[tuple[str, str], Transcript]:
        suite, case, _ = job
        return (suite.name, case.id), _run_once(target, suite, case)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for key, transcript in pool.map(one, jobs):
            transcripts.setdefault(key, []).append(transcript)
            done += 1
            if progress:
                progress(done, len(jobs))

    results: list[CaseResult] = []
    for suite in suites:
        for case in suite.cases:
            runs = transcripts.get((suite.name, case.id))
            if not runs:
                continue
            scores = [score(case, t, judge, suite.defaults.max_steps) for t in runs]
            passes = sum(s.passed for s in scores)
            threshold = case.threshold if case.threshold is not None else suite.defaults.threshold
            shown = next((s for s in reversed(scores) if not s.passed), scores[-1])
            shown_transcript = runs[scores.index(shown)]
            turns = [t for tr in runs for t in tr.turns]
            results.append(
                CaseResult(
                    suite=suite.name,
                    case=case.id,
                    tags=case.tags,
                    runs=len(runs),
                    passes=passes,
                    threshold=threshold,
                    passed=passes / len(runs) >= threshold,
                    flaky=0 < passes < len(runs),
                    checks=shown.checks,
                    tool_selection=_mean([s.tool_selection for s in scores]),
                    arguments=_mean([s.arguments for s in scores]),
                    steps=statistics.fmean([tr.steps for tr in runs]),
                    latency_ms=[sum(t.latency_ms for t in tr.turns) for tr in runs],
                    tokens_in=sum(t.tokens_in for t in turns),
                    tokens_out=sum(t.tokens_out for t in turns),
                    cost_usd=round(sum(t.cost_usd for t in turns), 6),
                    transcript=shown_transcript,
                )
            )
    return RunReport(
        target=target.name,
        started_at=started_at,
        duration_s=round(time.perf_counter() - started, 3),
        results=results,
        summary=summarize(results),
    )


def summarize(results: Sequence[CaseResult]) -> Summary:
    latencies = sorted(x for r in results for x in r.latency_ms)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] if latencies else 0.0
    passed = sum(r.passed for r in results)
    return Summary(
        cases=len(results),
        passed=passed,
        pass_rate=passed / len(results) if results else 0.0,
        flaky=sum(r.flaky for r in results),
        tool_selection_accuracy=_mean([r.tool_selection for r in results]),
        argument_accuracy=_mean([r.arguments for r in results]),
        steps_mean=statistics.fmean([r.steps for r in results]) if results else 0.0,
        latency_p50_ms=statistics.median(latencies) if latencies else 0.0,
        latency_p95_ms=p95,
        tokens_in=sum(r.tokens_in for r in results),
        tokens_out=sum(r.tokens_out for r in results),
        cost_usd=round(sum(r.cost_usd for r in results), 6),
        skipped_checks=sum(c.status == "skip" for r in results for c in r.checks),
    )
