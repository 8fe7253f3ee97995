"""`echotune eval recommender`: read the files, tune every model on a validation split of the training users,
refit on all of --train and report the held-out metrics side by side."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from echotune.tools.errors import InvalidInputError
from echotune.tools.recommender import baselines as bl
from echotune.tools.recommender.offline_eval import (
    Dataset,
    Model,
    SideInfo,
    evaluate,
    make_cases,
    read_interactions,
    read_names,
    read_tags,
    tune,
    validation_split,
)

VALIDATION_SHARE = 0.2

MODELS = ("popularity", "itemknn", "als", "bpr", "ease", "echotune")


def _grid(**axes: Sequence[Any]) -> list[dict[str, Any]]:
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


GRIDS: dict[str, list[dict[str, Any]]] = {
    "popularity": [{}],
    "itemknn": _grid(K=[50, 100, 200, 400, 800], weighting=["log", "binary"]),
    "als": _grid(factors=[64, 128, 256], regularization=[0.01, 0.1], alpha=[0.5, 1.0, 5.0]),
    "bpr": _grid(factors=[64, 128], learning_rate=[0.005, 0.01, 0.05]),
    "ease": _grid(lam=[50.0, 100.0, 200.0, 400.0, 800.0, 1600.0]),
}
ECHOTUNE_COLLAB = _grid(lam=[100.0, 150.0, 250.0], alpha=[0.0, 0.2, 0.4], beta=[0.0, 10.0, 30.0])
ECHOTUNE_BLEND = _grid(content=[0.0, 0.1, 0.25], popularity=[0.0, 0.05])
"""EchoTune is tuned in two stages: its collaborative part (ridge lam, tag weight alpha, embedding weight beta)
with the blend off, then the blend weights of content neighbours and popularity."""


class ModelRow(BaseModel):
    model: str
    recall: float = Field(description="recall@k on held-out users")
    ndcg: float = Field(description="NDCG@k on held-out users")
    map: float = Field(description="MAP@k on held-out users")
    coverage: float = Field(description="distinct recommended items / items in --train")
    validation_ndcg: float | None = Field(None, description="NDCG@k on the validation split, for the chosen parameters")
    params: dict[str, Any]
    seconds: float = Field(description="fit + evaluation time on the test users")


class EvalReport(BaseModel):
    k: int
    holdout: float
    seed: int
    train_users: int
    train_items: int
    train_interactions: int
    test_users: int = Field(description="test users evaluated")
    skipped_users: int = Field(description="test users with fewer than 5 items, skipped")
    validation_users: int
    side_info: dict[str, int]
    rows: list[ModelRow]
    best: str = Field(description="model with the highest NDCG@k")


def run(
    train_path: Path,
    test_path: Path,
    *,
    k: int = 10,
    holdout: float = 0.2,
    seed: int = 0,
    item_tags: Path | None = None,
    tag_names: Path | None = None,
    item_names: Path | None = None,
    models: Sequence[str] = MODELS,
    cache_dir: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    if not 1 <= k <= 100:
        raise InvalidInputError(f"k must be between 1 and 100 (got {k})")
    if not 0 < holdout < 1:
        raise InvalidInputError(f"holdout must be between 0 and 1, exclusive (got {holdout})")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise InvalidInputError(f"Unknown model(s) {', '.join(unknown)}", hint=f"choose from {', '.join(MODELS)}")
    report = progress or (lambda task, done, total: None)
    train = read_interactions(train_path)
    test = read_interactions(test_path)
    side = SideInfo()
    if item_names:
        side.names = read_names(item_names)
    if item_tags:
        side.tags = read_tags(item_tags, tag_names, users=set(train))
    cases, skipped = make_cases(test, holdout, seed)
    if not cases:
        raise InvalidInputError(f"No user of {test_path} has 5 or more items to evaluate on")
    full = Dataset.of(train, side)
    rest, val_cases = validation_split(train, VALIDATION_SHARE, seed, holdout)
    if not rest or not val_cases:
        raise InvalidInputError("--train needs enough users (5 or more, with 5+ items) to carve a validation split")
    val = Dataset.of(rest, side)
    embeddings = bl.ItemEmbeddings(
        cache_dir=cache_dir, progress=lambda done, total: report("Encoding item descriptions", done, total)
    )

    def build(name: str, params: dict[str, Any]) -> Model:
        if name == "popularity":
            return bl.Popularity()
        if name == "itemknn":
            return bl.ItemKNN(**params)
        if name == "als":
            return bl.ALS(**params)
        if name == "bpr":
            return bl.BPR(**params)
        if name == "ease":
            return bl.EASE(**params)
        return bl.EchoTune(embeddings=embeddings, **params)

    rows: list[ModelRow] = []
    order = [m for m in MODELS if m in models]
    for name in order:
        params, val_ndcg = tune(
            lambda p, name=name: build(name, p),
            ECHOTUNE_COLLAB if name == "echotune" else GRIDS[name],
            val,
            val_cases,
            k,
            progress=lambda d, n, name=name: report(f"Tuning {name}", d, n),
        )
        if name == "echotune":
            params, val_ndcg = tune(
                lambda p: build("echotune", p),
                [{**params, **w} for w in ECHOTUNE_BLEND],
                val,
                val_cases,
                k,
                progress=lambda d, n: report("Tuning echotune's blend", d, n),
            )
        started = time.perf_counter()
        model = build(name, params)
        model.fit(full)
        result = evaluate(model, full, cases, k)
        rows.append(
            ModelRow(
                model=model.name,
                recall=round(result.recall, 4),
                ndcg=round(result.ndcg, 4),
                map=round(result.map, 4),
                coverage=round(result.coverage, 4),
                validation_ndcg=round(val_ndcg, 4),
                params=params,
                seconds=round(time.perf_counter() - started, 2),
            )
        )
        report("Evaluating", len(rows), len(models))
    return EvalReport(
        k=k,
        holdout=holdout,
        seed=seed,
        train_users=len(full.users),
        train_items=len(full.items),
        train_interactions=int(full.X.nnz),
        test_users=len(cases),
        skipped_users=skipped,
        validation_users=len(val_cases),
        side_info={"names": len(side.names), "tagged_items": len(side.tags)},
        rows=rows,
        best=max(rows, key=lambda r: r.ndcg).model,
    )
