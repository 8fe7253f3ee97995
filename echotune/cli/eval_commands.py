"""`echotune eval ...`: evaluations, hand-written because they are about EchoTune, not a listener's music (no
registry tools). `eval run` scores the agent on prompt-eval suites (evals/), `eval compare` diffs two runs,
`eval recommender` compares EchoTune's recommender with standard baselines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from echotune.cli.app import app, state_of

eval_app = typer.Typer(
    help="Evaluate EchoTune: the agent on prompt-eval suites, and the recommender offline.", no_args_is_help=True
)
app.add_typer(eval_app, name="eval")


@eval_app.command("recommender")
def eval_recommender(
    ctx: typer.Context,
    train: Annotated[Path, typer.Option(help="Training interactions: HetRec userID<TAB>itemID<TAB>weight, header.")],
    test: Annotated[Path, typer.Option(help="Held-out users' interactions, same format.")],
    k: Annotated[int, typer.Option(help="Cut-off of the metrics (1-100).")] = 10,
    holdout: Annotated[float, typer.Option(help="Share of each test user's items hidden (0-1).")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the hidden items and the validation split.")] = 0,
    item_tags: Annotated[
        Path | None, typer.Option(help="HetRec user_taggedartists.dat (tags by --train users only are used).")
    ] = None,
    tag_names: Annotated[Path | None, typer.Option(help="HetRec tags.dat (default: beside --item-tags).")] = None,
    item_names: Annotated[Path | None, typer.Option(help="HetRec artists.dat: item id and name.")] = None,
    models: Annotated[
        str, typer.Option(help="Comma-separated: popularity,itemknn,als,bpr,ease,echotune.")
    ] = "popularity,itemknn,als,bpr,ease,echotune",
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recall@k, NDCG@k, MAP@k and coverage of EchoTune's recommender beside popularity, item-kNN, ALS, BPR and
    EASE, every model tuned on a validation split of the training users and scored on held-out users."""
    from echotune.cli.progress import progress_callback
    from echotune.cli.render import to_json
    from echotune.tools.recommender.eval_run import run

    state = state_of(ctx)
    state.json = json_out
    report = run(
        train,
        test,
        k=k,
        holdout=holdout,
        seed=seed,
        item_tags=item_tags,
        tag_names=tag_names,
        item_names=item_names,
        models=[m.strip() for m in models.split(",") if m.strip()],
        cache_dir=state.config().data_dir / "eval-cache",
        progress=progress_callback(),
    )
    if json_out:
        print(to_json(report))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{report.test_users} held-out users ({report.skipped_users} skipped), k={report.k}, "
        f"{report.train_users} training users, {report.train_items} items",
        header_style="bold",
    )
    for col in ("model", f"recall@{k}", f"NDCG@{k}", f"MAP@{k}", "coverage", "val NDCG", "params"):
        table.add_column(col)
    for r in report.rows:
        params = ", ".join(f"{key}={v}" for key, v in r.params.items())
        table.add_row(r.model, f"{r.recall:.4f}", f"{r.ndcg:.4f}", f"{r.map:.4f}", f"{r.coverage:.3f}",
                      f"{r.validation_ndcg:.4f}" if r.validation_ndcg is not None else "", params)  # fmt: skip
    Console(width=160).print(table)


@eval_app.command("split-users")
def split_users(
    source: Annotated[Path, typer.Argument(help="Interaction file to split (e.g. HetRec user_artists.dat).")],
    out: Annotated[Path, typer.Option(help="Folder for train.tsv and test.tsv.")],
    test_share: Annotated[float, typer.Option(help="Share of users that go to the test file.")] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
) -> None:
    """Split an interaction file by user into train.tsv and test.tsv (for `eval recommender`)."""
    from echotune.tools.recommender.offline_eval import split_users as split

    train, test = split(source, out, test_share, seed)
    print(f"{train}\n{test}")


EVAL_BELOW_MIN_PASS = 9
"""Exit code of `eval run` when the pass rate is below --min-pass (errors keep their own codes)."""


@eval_app.command("run")
def eval_run(
    ctx: typer.Context,
    suites: Annotated[
        list[Path] | None, typer.Argument(help="Suite YAML files or folders of them (default: the bundled suites).")
    ] = None,
    provider: Annotated[
        str, typer.Option(help="offline, openai, gemini, openrouter or openai-compatible.")
    ] = "offline",
    model: Annotated[str | None, typer.Option(help="The provider's model (default: its default).")] = None,
    repeat: Annotated[
        int | None, typer.Option(min=1, max=100, help="Run every case N times (default: the suite's).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only cases with this tag (repeatable).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Cases run at once.")] = 1,
    record: Annotated[Path | None, typer.Option(help="Record the model's responses into this JSON file.")] = None,
    replay: Annotated[
        Path | None, typer.Option(help="Answer from responses recorded in this file (no network; a miss fails).")
    ] = None,
    judge_provider: Annotated[
        str | None, typer.Option(help="Provider grading llm-rubric checks (default: --provider unless offline).")
    ] = None,
    judge_model: Annotated[str | None, typer.Option(help="The judge's model (default: the provider's).")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Write the full report as JSON here.")] = None,
    junit: Annotated[Path | None, typer.Option(help="Write JUnit XML here (for CI).")] = None,
    html: Annotated[Path | None, typer.Option(help="Write a self-contained HTML report here.")] = None,
    min_pass: Annotated[
        float | None, typer.Option(min=0, max=1, help=f"Exit with code {EVAL_BELOW_MIN_PASS} below this pass rate.")
    ] = None,
) -> None:
    """Run prompt-eval suites through the agent: a row per case, then pass rate, tool-selection and argument
    accuracy, steps, latency p50/p95, tokens and cost."""
    import sys

    from rich.console import Console

    from echotune.evals import report as reports
    from echotune.evals.evaluate import bundled_suites, evaluate

    if record is not None and replay is not None:
        raise typer.BadParameter("give --record or --replay, not both")
    state = state_of(ctx)
    result = evaluate(
        suites or [bundled_suites()],
        config=state.config(),
        provider=provider,
        model=model,
        repeat=repeat,
        tags=tag or [],
        concurrency=concurrency,
        record=record,
        replay=replay,
        judge_provider=judge_provider,
        judge_model=judge_model,
        progress=_progress(),
    )
    reports.print_report(result, Console(width=None if sys.stdout.isatty() else 200))
    for path, write in ((json_file, reports.write_json), (junit, reports.write_junit), (html, reports.write_html)):
        if path is not None:
            write(result, path)
    if min_pass is not None and result.summary.pass_rate < min_pass:
        print(
            f"pass rate {result.summary.pass_rate:.1%} is below --min-pass {min_pass:.1%}",
            file=sys.stderr,
        )
        raise typer.Exit(EVAL_BELOW_MIN_PASS)


def _progress() -> Callable[[int, int], None]:
    from echotune.cli.progress import progress_callback

    report = progress_callback()
    return lambda done, total: report("eval cases", done, total)


@eval_app.command("compare")
def eval_compare(
    ctx: typer.Context,
    before: Annotated[Path, typer.Argument(help="The earlier run's --json report.")],
    after: Annotated[Path, typer.Argument(help="The later run's --json report.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """List the cases whose verdict or pass rate changed between two runs (and the summaries side by side)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    from echotune.cli.render import to_json
    from echotune.evals import report as reports

    state_of(ctx).json = json_out
    old, new = reports.read_json(before), reports.read_json(after)
    changes = reports.compare(old, new)
    if json_out:
        print(to_json({"before": old.target, "after": new.target, "changes": changes}))
        return
    console = Console(width=None if sys.stdout.isatty() else 160)
    if not changes:
        console.print(f"no case changed ({len(new.results)} cases)")
    else:
        table = Table(title=f"{old.target} → {new.target}", header_style="bold")
        for col in ("suite", "case", "change", "before", "after"):
            table.add_column(col)
        for c in changes:
            table.add_row(*(str(c[k] or "—") for k in ("suite", "case", "change", "before", "after")))
        console.print(table)
    for name, a, b in (
        ("pass rate", old.summary.pass_rate, new.summary.pass_rate),
        ("tool selection", old.summary.tool_selection_accuracy, new.summary.tool_selection_accuracy),
        ("arguments", old.summary.argument_accuracy, new.summary.argument_accuracy),
    ):
        console.print(f"{name}: {reports.pct(a)} → {reports.pct(b)}")
