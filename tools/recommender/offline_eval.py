"""Offline evaluation of recommenders on interaction files (HetRec format: `userID<TAB>itemID<TAB>weight` with
a header line), the protocol behind `echotune eval recommender`.

Fit on all of --train. For each user of --test with at least MIN_ITEMS items, hide a seeded random share of
their items and give the rest as the profile (fold-in: models are not refitted per user). Only items of --train
can be recommended; the profile's items are never recommended back. Metrics at k, exactly:
- recall@k = hits in the top k / number of hidden items (hidden items absent from --train stay counted);
- NDCG@k with binary relevance, the ideal DCG taken over min(k, hidden) positions;
- MAP@k = sum over hits of precision@rank / min(k, hidden);
- coverage = distinct recommended items / items in --train.
Hyper-parameters are tuned on a validation split carved from --train users only, never on --test.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

MIN_ITEMS = 5

Interactions = dict[str, dict[str, float]]
"""user -> item -> weight (play count)."""


def _open(path: Path, what: str):
    try:
        return path.open(newline="", encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"No {what} file {path}", hint="give the path of an existing file") from None
    except OSError as exc:
        raise InvalidInputError(f"Cannot read the {what} file {path}: {exc.strerror}") from None


def read_table(path: Path, what: str, columns: int) -> list[list[str]]:
    """Rows of a tab-separated file with a header line; a row with fewer than `columns` fields is an error."""
    with _open(path, what) as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            header = next(reader, None)
            if header is None:
                raise InvalidInputError(f"The {what} file {path} is empty", hint="it needs a header line and rows")
            rows = []
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < columns:
                    raise InvalidInputError(
                        f"{path}:{reader.line_num}: expected {columns} tab-separated columns, found {len(row)}",
                        hint=f"the {what} file must be tab-separated with a header line",
                    )
                rows.append(row)
        except UnicodeDecodeError:
            raise InvalidInputError(f"The {what} file {path} is not UTF-8 text") from None
    return rows


def read_interactions(path: Path) -> Interactions:
    """A HetRec interaction file: `userID itemID weight`, tab-separated, one header line."""
    out: Interactions = {}
    for n, row in enumerate(read_table(path, "interaction", 3), start=2):
        user, item, weight = row[0].strip(), row[1].strip(), row[2].strip()
        try:
            w = float(weight)
        except ValueError:
            raise InvalidInputError(
                f"{path}: row {n}: the weight {weight!r} is not a number",
                hint="rows are userID<TAB>itemID<TAB>weight after one header line",
            ) from None
        if not user or not item or not math.isfinite(w) or w < 0:
            raise InvalidInputError(
                f"{path}: row {n}: needs a user, an item and a weight >= 0",
                hint="rows are userID<TAB>itemID<TAB>weight",
            )
        out.setdefault(user, {})[item] = out.get(user, {}).get(item, 0.0) + w
    if not out:
        raise InvalidInputError(f"{path} has no interactions", hint="it needs rows after the header line")
    return out


def read_names(path: Path) -> dict[str, str]:
    """HetRec artists.dat: id, name, ... (further columns ignored)."""
    return {r[0].strip(): r[1].strip() for r in read_table(path, "item names", 2)}


def read_tags(path: Path, tag_names: Path | None, users: set[str] | None) -> dict[str, dict[str, int]]:
    """HetRec user_taggedartists.dat (userID, artistID, tagID, ...) joined with tags.dat (tagID, tagValue):
    item -> tag -> how many users gave it. Only tags given by `users` count (pass the --train users, so no
    test user's tagging leaks into the model)."""
    names_path = tag_names or path.with_name("tags.dat")
    names = {r[0].strip(): r[1].strip() for r in read_table(names_path, "tag names", 2)}
    out: dict[str, dict[str, int]] = {}
    for row in read_table(path, "item tags", 3):
        user, item, tag = row[0].strip(), row[1].strip(), row[2].strip()
        if users is not None and user not in users:
            continue
        name = names.get(tag)
        if name:
            tags = out.setdefault(item, {})
            tags[name] = tags.get(name, 0) + 1
    return out


@dataclass
class SideInfo:
    """Content side information about items: names and tags."""

    names: dict[str, str] = field(default_factory=dict)
    tags: dict[str, dict[str, int]] = field(default_factory=dict)

    def text(self, item: str, max_tags: int = 12) -> str | None:
        """`Name. tag, tag, ...` (most given tags first), or None when nothing is known."""
        name = self.names.get(item, "")
        tags = sorted(self.tags.get(item, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:max_tags]
        if not name and not tags:
            return None
        return f"{name}. {', '.join(t for t, _ in tags)}".strip(". ")


@dataclass
class Dataset:
    """Training interactions as a users x items matrix over the items of --train."""

    users: list[str]
    items: list[str]
    X: sparse.csr_matrix
    side: SideInfo

    @classmethod
    def of(cls, train: Interactions, side: SideInfo | None = None) -> Dataset:
        import numpy as np
        from scipy import sparse

        users = sorted(train)
        items = sorted({i for its in train.values() for i in its})
        col = {item: j for j, item in enumerate(items)}
        rows, cols, vals = [], [], []
        for u, user in enumerate(users):
            for item, w in train[user].items():
                rows.append(u)
                cols.append(col[item])
                vals.append(w)
        X = sparse.csr_matrix(
            (np.array(vals, np.float32), (np.array(rows), np.array(cols))), shape=(len(users), len(items))
        )
        return cls(users=users, items=items, X=X, side=side or SideInfo())

    @property
    def col(self) -> dict[str, int]:
        if not hasattr(self, "_col"):
            self._col = {item: j for j, item in enumerate(self.items)}
        return self._col


@dataclass
class Case:
    """One held-out user: the profile given to the model and the hidden items it should find."""

    user: str
    profile: dict[str, float]
    hidden: list[str]


def make_cases(test: Interactions, holdout: float, seed: int) -> tuple[list[Case], int]:
    """(cases, users skipped for having fewer than MIN_ITEMS items). Each user's hidden share is drawn by a
    random generator seeded with (seed, user), so it does not depend on file order."""
    cases, skipped = [], 0
    for user in sorted(test):
        items = sorted(test[user])
        if len(items) < MIN_ITEMS:
            skipped += 1
            continue
        rng = random.Random(f"{seed}:{user}")
        n_hidden = min(len(items) - 1, max(1, round(holdout * len(items))))
        hidden = set(rng.sample(items, n_hidden))
        cases.append(
            Case(user=user, profile={i: test[user][i] for i in items if i not in hidden}, hidden=sorted(hidden))
        )
    return cases, skipped


def profile_matrix(data: Dataset, cases: Sequence[Case]) -> sparse.csr_matrix:
    """The cases' profiles as rows over --train's items (profile items --train lacks cannot be columns)."""
    import numpy as np
    from scipy import sparse

    rows, cols, vals = [], [], []
    for r, case in enumerate(cases):
        for item, w in case.profile.items():
            j = data.col.get(item)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(w)
    return sparse.csr_matrix(
        (np.array(vals, np.float32), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(cases), len(data.items)),
    )


def ranking_metrics(ranked: Sequence[str], hidden: Sequence[str], k: int) -> tuple[float, float, float]:
    """(recall@k, NDCG@k, MAP@k) of one ranked list against the hidden items, exactly as the module says."""
    relevant = set(hidden)
    if not relevant:
        return 0.0, 0.0, 0.0
    hits, dcg, precision_sum = 0, 0.0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            dcg += 1.0 / math.log2(i + 1)
            precision_sum += hits / i
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(k, len(relevant)) + 1))
    return hits / len(relevant), dcg / ideal, precision_sum / min(k, len(relevant))


class Model:
    """A recommender under evaluation: fit on a Dataset, then score profiles (rows) against every item."""

    name = "model"

    def fit(self, data: Dataset) -> None:
        raise NotImplementedError

    def scores(self, data: Dataset, profiles: sparse.csr_matrix, cases: Sequence[Case]) -> np.ndarray:
        raise NotImplementedError


@dataclass
class Result:
    model: str
    params: dict[str, Any]
    recall: float
    ndcg: float
    map: float
    coverage: float
    users: int
    seconds: float = 0.0
    validation_ndcg: float | None = None


def top_k(scores: np.ndarray, exclude: sparse.csr_matrix, k: int) -> np.ndarray:
    """Indices of the k best items per row, best first, never an item of the row's profile."""
    import numpy as np

    s = np.array(scores, dtype=np.float32, copy=True)
    s[np.isnan(s)] = -np.inf
    rows, cols = exclude.nonzero()
    s[rows, cols] = -np.inf
    k = min(k, s.shape[1])
    part = np.argpartition(-s, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def evaluate(model: Model, data: Dataset, cases: Sequence[Case], k: int, batch: int = 256) -> Result:
    """Metrics of a fitted model over the cases (averaged over users) and its catalog coverage."""
    import time

    start = time.perf_counter()
    recall = ndcg = ap = 0.0
    recommended: set[int] = set()
    for lo in range(0, len(cases), batch):
        chunk = cases[lo : lo + batch]
        profiles = profile_matrix(data, chunk)
        tops = top_k(model.scores(data, profiles, chunk), profiles, k)
        for case, top in zip(chunk, tops, strict=True):
            recommended.update(top.tolist())
            r, n, m = ranking_metrics([data.items[j] for j in top], case.hidden, k)
            recall, ndcg, ap = recall + r, ndcg + n, ap + m
    users = max(len(cases), 1)
    return Result(
        model=model.name,
        params={},
        recall=recall / users,
        ndcg=ndcg / users,
        map=ap / users,
        coverage=len(recommended) / max(len(data.items), 1),
        users=len(cases),
        seconds=time.perf_counter() - start,
    )


def validation_split(train: Interactions, share: float, seed: int, holdout: float) -> tuple[Interactions, list[Case]]:
    """Carve validation users out of --train: (the remaining training users, the validation cases)."""
    users = sorted(train)
    rng = random.Random(f"validation:{seed}")
    chosen = set(rng.sample(users, max(1, round(share * len(users)))))
    rest = {u: its for u, its in train.items() if u not in chosen}
    cases, _ = make_cases({u: train[u] for u in chosen}, holdout, seed)
    return rest, cases


def tune(
    build: Callable[[dict[str, Any]], Model],
    grid: Sequence[dict[str, Any]],
    data: Dataset,
    cases: Sequence[Case],
    k: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Any], float]:
    """The grid point with the best validation NDCG@k, and that NDCG."""
    best, best_ndcg = dict(grid[0]), -1.0
    for i, params in enumerate(grid):
        model = build(params)
        model.fit(data)
        ndcg = evaluate(model, data, cases, k).ndcg
        if ndcg > best_ndcg:
            best, best_ndcg = dict(params), ndcg
        if progress:
            progress(i + 1, len(grid))
    return best, best_ndcg


def split_users(source: Path, out_dir: Path, test_share: float = 0.2, seed: int = 0) -> tuple[Path, Path]:
    """Split an interaction file by user (a seeded random `test_share` of users to the test file), keeping its
    header and rows verbatim; returns (train file, test file)."""
    if not 0 < test_share < 1:
        raise InvalidInputError(f"test share must be between 0 and 1, exclusive (got {test_share})")
    with _open(source, "interaction") as fh:
        header = fh.readline()
        rows = [line for line in fh if line.strip()]
    users = sorted({line.split("\t", 1)[0] for line in rows})
    if len(users) < 2:
        raise InvalidInputError(f"{source} has fewer than two users: nothing to split")
    rng = random.Random(f"split:{seed}")
    test_users = set(rng.sample(users, max(1, round(test_share * len(users)))))
    out_dir.mkdir(parents=True, exist_ok=True)
    train_path, test_path = out_dir / "train.tsv", out_dir / "test.tsv"
    with train_path.open("w", encoding="utf-8") as tr, test_path.open("w", encoding="utf-8") as te:
        tr.write(header)
        te.write(header)
        for line in rows:
            (te if line.split("\t", 1)[0] in test_users else tr).write(line if line.endswith("\n") else line + "\n")
    return train_path, test_path
