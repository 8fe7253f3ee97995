"""Eval reports: a terminal table, JSON (the full record, input to `eval compare`), JUnit XML for CI systems,
and one self-contained HTML page (no network needed to open it)."""

from __future__ import annotations

import html
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console
from rich.table import Table

from echotune.evals.runner import CaseResult, RunReport


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def print_report(report: RunReport, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"EchoTune evals · {report.target}", header_style="bold")
    for col in ("suite", "case", "result", "runs", "tools", "args", "steps", "latency", "why"):
        table.add_column(col, overflow="fold")
    for r in report.results:
        verdict = "[green]pass[/]" if r.passed else "[red]FAIL[/]"
        if r.flaky:
            verdict += " [yellow](flaky)[/]"
        why = "; ".join(f"{c.kind}: {c.message}" for c in r.checks if c.status == "fail")[:160]
        latency = sum(r.latency_ms) / len(r.latency_ms)
        table.add_row(
            r.suite,
            r.case,
            verdict,
            f"{r.passes}/{r.runs}",
            pct(r.tool_selection),
            pct(r.arguments),
            f"{r.steps:.1f}",
            f"{latency:.0f} ms",
            why,
        )
    console.print(table)
    s = report.summary
    console.print(
        f"[bold]{s.passed}/{s.cases} passed ({s.pass_rate:.1%})[/]  tool selection {pct(s.tool_selection_accuracy)}  "
        f"arguments {pct(s.argument_accuracy)}  steps {s.steps_mean:.1f}  latency p50 {s.latency_p50_ms:.0f} ms / "
        f"p95 {s.latency_p95_ms:.0f} ms  tokens {s.tokens_in}+{s.tokens_out}  cost ${s.cost_usd:.4f}  "
        f"flaky {s.flaky}  skipped checks {s.skipped_checks}  ({report.duration_s:.1f} s)"
    )


def write_json(report: RunReport, path: Path) -> None:
    path.write_text(report.model_dump_json(indent=2), encoding="utf-8")


def read_json(path: Path) -> RunReport:
    return RunReport.model_validate_json(path.read_text(encoding="utf-8"))


def junit_xml(report: RunReport) -> str:
    """JUnit XML as Ant/Jenkins define it: testsuites > testsuite (one per suite) > testcase."""
    root = ET.Element("testsuites")
    by_suite: dict[str, list[CaseResult]] = {}
    for r in report.results:
        by_suite.setdefault(r.suite, []).append(r)
    stamp = report.started_at.strftime("%Y-%m-%dT%H:%M:%S")
    for i, (name, results) in enumerate(by_suite.items()):
        failures = sum(not r.passed for r in results)
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": name,
                "package": "echotune.evals",
                "id": str(i),
                "timestamp": stamp,
                "hostname": socket.gethostname() or "localhost",
                "tests": str(len(results)),
                "failures": str(failures),
                "errors": "0",
                "skipped": "0",
                "time": f"{sum(sum(r.latency_ms) for r in results) / 1000:.3f}",
            },
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", {"name": "target", "value": report.target})
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "name": r.case,
                    "classname": f"echotune.evals.{name}",
                    "time": f"{sum(r.latency_ms) / 1000:.3f}",
                },
            )
            if not r.passed:
                failed = [c for c in r.checks if c.status == "fail"]
                failure = ET.SubElement(
                    case,
                    "failure",
                    {
                        "type": failed[0].kind if failed else "pass_rate",
                        "message": f"passed {r.passes}/{r.runs} (needs {r.threshold:.0%})",
                    },
                )
                failure.text = "\n".join(f"{c.kind}: {c.message}" for c in failed)
        ET.SubElement(suite, "system-out").text = ""
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: RunReport, path: Path) -> None:
    path.write_text(junit_xml(report), encoding="utf-8")


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.pass{color:#137333;font-weight:600}.fail{color:#c5221f;font-weight:600}.flaky{color:#b06000}
details{margin:.2rem 0}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem;border-radius:4px}
.summary span{display:inline-block;margin-right:1.5rem}
"""


def html_report(report: RunReport) -> str:
    s = report.summary
    esc = html.escape
    rows = []
    for r in report.results:
        verdict = f'<span class="{"pass" if r.passed else "fail"}">{"pass" if r.passed else "FAIL"}</span>'
        if r.flaky:
            verdict += ' <span class="flaky">flaky</span>'
        checks = "".join(f"<li>{esc(c.status)} · {esc(c.kind)}: {esc(c.message)}</li>" for c in r.checks)
        turns = "".join(
            f"<pre>user: {esc(t.user)}\n"
            + "".join(
                f"→ {esc(c.name)}({esc(str(c.args))}){' ✗ ' + esc(c.error) if c.error else ''}\n" for c in t.tool_calls
            )
            + f"answer: {esc(t.answer)}</pre>"
            for t in r.transcript.turns
        )
        rows.append(
            f"<tr><td>{esc(r.suite)}</td><td>{esc(r.case)}</td><td>{verdict}</td><td>{r.passes}/{r.runs}</td>"
            f"<td>{pct(r.tool_selection)}</td><td>{pct(r.arguments)}</td><td>{r.steps:.1f}</td>"
            f"<td><details><summary>{len(r.checks)} checks</summary><ul>{checks}</ul>{turns}</details></td></tr>"
        )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>EchoTune evals · {esc(report.target)}</title><style>{_CSS}</style></head><body>
<h1>EchoTune evals · {esc(report.target)}</h1>
<p class="summary"><span><b>{s.passed}/{s.cases}</b> passed ({s.pass_rate:.1%})</span>
<span>tool selection {pct(s.tool_selection_accuracy)}</span><span>arguments {pct(s.argument_accuracy)}</span>
<span>latency p50 {s.latency_p50_ms:.0f} ms · p95 {s.latency_p95_ms:.0f} ms</span>
<span>tokens {s.tokens_in}+{s.tokens_out} · ${s.cost_usd:.4f}</span><span>{report.started_at:%Y-%m-%d %H:%M} UTC</span></p>
<table><thead><tr><th>suite</th><th>case</th><th>result</th><th>runs</th><th>tools</th><th>args</th><th>steps</th>
<th>details</th></tr></thead><tbody>{"".join(rows)}</tbody></table></body></html>
"""


def write_html(report: RunReport, path: Path) -> None:
    path.write_text(html_report(report), encoding="utf-8")


def compare(before: RunReport, after: RunReport) -> list[dict[str, object]]:
    """Cases whose verdict or pass rate changed between two runs (and cases only one run has)."""
    a = {(r.suite, r.case): r for r in before.results}
    b = {(r.suite, r.case): r for r in after.results}
    changes: list[dict[str, object]] = []
    for key in sorted(a.keys() | b.keys()):
        old, new = a.get(key), b.get(key)
        if old and new and (old.passed, old.pass_rate) == (new.passed, new.pass_rate):
            continue
        change = (
            "added"
            if old is None
            else "removed"
            if new is None
            else "fixed"
            if new.passed and not old.passed
            else "broke"
            if old.passed and not new.passed
            else "rate changed"
        )
        changes.append(
            {
                "suite": key[0],
                "case": key[1],
                "change": change,
                "before": None if old is None else f"{old.passes}/{old.runs}",
                "after": None if new is None else f"{new.passes}/{new.runs}",
            }
        )
    return changes
