"""`echotune eval ...`: offline evaluations, hand-written because they are about EchoTune, not a listener's
music (no registry tools). `eval recommender` compares EchoTune's recommender with standard baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from echotune.cli.app import app, state_of

eval_app = typer.Typer(help="Evaluate EchoTune offline (recommender quality).", no_args_is_help=True)
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
