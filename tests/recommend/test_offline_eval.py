"""The offline evaluation: metrics on hand-checked toy cases, the protocol (hidden share, skipped users,
profile exclusion, items missing from --train, coverage), the content side of EchoTune's hybrid, malformed
files, and a run on real HetRec users (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from echotune.cli import main
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.recommender import baselines as bl
from echotune.tools.recommender.offline_eval import (
    Case,
    Dataset,
    Model,
    SideInfo,
    evaluate,
    make_cases,
    ranking_metrics,
    read_interactions,
    split_users,
)

from .conftest import HETREC


def test_metrics_hand_checked() -> None:
    # hits at ranks 2 and 4 of 5, three hidden items (one never recommendable)
    recall, ndcg, ap = ranking_metrics(["a", "b", "c", "d", "e"], ["b", "d", "zz"], k=5)
    assert recall == pytest.approx(2 / 3)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg == pytest.approx(dcg / idcg)
    assert ap == pytest.approx((1 / 2 + 2 / 4) / 3)
    # k smaller than the hidden set: ideal DCG and MAP over min(k, hidden) positions
    recall, ndcg, ap = ranking_metrics(["x", "y"], ["x", "y", "z", "w"], k=2)
    assert (recall, ndcg, ap) == (pytest.approx(0.5), pytest.approx(1.0), pytest.approx(1.0))
    assert ranking_metrics(["a"], ["b"], k=1) == (0.0, 0.0, 0.0)


def test_cases_hide_a_seeded_share_and_skip_small_users() -> None:
    test = {
        "u1": {f"i{j}": 1.0 for j in range(10)},
        "u2": {"i1": 1.0, "i2": 1.0},
        "u3": {f"i{j}": 2.0 for j in range(5)},
    }
    cases, skipped = make_cases(test, 0.2, seed=3)
    assert skipped == 1 and [c.user for c in cases] == ["u1", "u3"]
    assert [len(c.hidden) for c in cases] == [2, 1] and len(cases[0].profile) == 8
    again, _ = make_cases(dict(reversed(list(test.items()))), 0.2, seed=3)
    assert [c.hidden for c in again] == [c.hidden for c in cases]
    assert [c.hidden for c in make_cases(test, 0.2, seed=4)[0]] != [c.hidden for c in cases]


class Scripted(Model):
    """Scores items by a fixed order: a unit test of the protocol, not of a recommender."""

    name = "scripted"

    def __init__(self, order: list[str]):
        self.order = order

    def fit(self, data: Dataset) -> None:
        pass

    def scores(self, data, profiles, cases):
        s = np.array([len(self.order) - self.order.index(i) if i in self.order else 0 for i in data.items], float)
        return np.tile(s, (profiles.shape[0], 1))


def test_evaluate_excludes_profile_items_and_counts_unknown_hidden_items() -> None:
    data = Dataset.of({"t1": {"a": 1, "b": 1, "c": 1}, "t2": {"c": 1, "d": 1, "e": 1}})
    case = Case(user="x", profile={"a": 1.0, "q": 1.0}, hidden=["b", "zz"])  # zz never occurs in --train
    result = evaluate(Scripted(["a", "b", "c", "d", "e"]), data, [case], k=2)
    # "a" is in the profile, so the top 2 are b, c: one hit of two hidden items
    assert result.recall == pytest.approx(0.5)
    assert result.ndcg == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert result.map == pytest.approx(0.5)
    assert result.coverage == pytest.approx(2 / 5)


def test_echotune_hybrid_uses_content_for_items_outside_training() -> None:
    """A listener whose profile holds only items --train never saw still gets items with the same tags."""
    train = {f"u{i}": {"j1": 1, "j2": 1, "m1": 1, "m2": 1} if i % 2 else {"m1": 1, "m2": 1, "j1": 1} for i in range(6)}
    side = SideInfo(
        names={"j1": "Miles Davis", "j2": "John Coltrane", "m1": "Metallica", "m2": "Slayer", "jx": "Bill Evans"},
        tags={"j1": {"jazz": 5, "bebop": 2}, "j2": {"jazz": 4, "saxophone": 1}, "m1": {"thrash metal": 5},
              "m2": {"thrash metal": 4, "metal": 3}, "jx": {"jazz": 3, "piano": 2}},
    )  # fmt: skip
    data = Dataset.of(train, side)
    model = bl.EchoTune(lam=1.0, content=1.0, collaborative=0.0, popularity=0.0, neighbours=0)
    model.fit(data)
    case = Case(user="new", profile={"jx": 3.0}, hidden=["j1", "j2"])
    from echotune.tools.recommender.offline_eval import profile_matrix

    scores = model.scores(data, profile_matrix(data, [case]), [case])[0]
    ranked = [data.items[i] for i in np.argsort(-scores)]
    assert set(ranked[:2]) == {"j1", "j2"}
    assert evaluate(model, data, [case], k=2).recall == 1.0


def test_baselines_fit_and_rank_a_block_structure() -> None:
    """Two taste blocks: every baseline should find the hidden item of a block from the rest of it."""
    rng = np.random.default_rng(0)
    train = {}
    for u in range(60):
        block = [f"a{i}" for i in range(8)] if u % 2 else [f"b{i}" for i in range(8)]
        train[f"u{u}"] = {i: float(rng.integers(1, 50)) for i in block if rng.random() < 0.8}
    data = Dataset.of(train)
    case = Case(user="x", profile={f"a{i}": 5.0 for i in range(1, 6)}, hidden=["a0"])
    models = [bl.ItemKNN(K=20), bl.ALS(factors=8, iterations=10), bl.BPR(factors=8, iterations=50), bl.EASE(lam=10)]
    models.append(bl.EchoTune(lam=10, content=0.0, popularity=0.0))
    for model in models:
        model.fit(data)
        assert evaluate(model, data, [case], k=3).recall == 1.0, model.name


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("userID\titemID\tweight\n1\t2\n", "expected 3 tab-separated columns"),
        ("userID\titemID\tweight\n1\t2\tlots\n", "is not a number"),
        ("userID\titemID\tweight\n1\t2\t-4\n", "weight >= 0"),
        ("userID\titemID\tweight\n", "has no interactions"),
        ("", "is empty"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        read_interactions(_write(tmp_path / "bad.tsv", content))


def test_cli_bad_input_exit_codes(capsys, tmp_path: Path) -> None:
    good = _write(tmp_path / "good.tsv", "userID\titemID\tweight\n" + "".join(f"1\t{i}\t3\n" for i in range(6)))
    bad = _write(tmp_path / "bad.tsv", "userID\titemID\tweight\n1\t2\n")
    cases = [
        (["--train", str(bad), "--test", str(good)], 2, "expected 3 tab-separated columns"),
        (["--train", str(tmp_path / "absent.tsv"), "--test", str(good)], 3, "No interaction file"),
        (["--train", str(good), "--test", str(good), "--k", "0"], 2, "k must be between 1 and 100"),
        (["--train", str(good), "--test", str(good), "--holdout", "1.5"], 2, "holdout must be between"),
        (["--train", str(good), "--test", str(good), "--models", "magic"], 2, "Unknown model"),
    ]
    for args, code, message in cases:
        assert main(["eval", "recommender", *args]) == code
        _, err = capsys.readouterr()
        assert message in err and "Traceback" not in err


def test_split_users(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "ua.dat",
        "userID\tartistID\tweight\n" + "".join(f"{u}\t{i}\t1\n" for u in range(10) for i in range(3)),
    )
    train, test = split_users(src, tmp_path / "out", 0.3, seed=1)
    tr, te = read_interactions(train), read_interactions(test)
    assert len(te) == 3 and len(tr) == 7 and not set(tr) & set(te)
    with pytest.raises(NotFoundError):
        split_users(tmp_path / "nothing.dat", tmp_path / "out")


@pytest.mark.skipif(not HETREC.exists(), reason=f"HetRec Last.fm data not found at {HETREC}")
def test_hetrec_run_on_real_users(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small real run: 240 HetRec users split by user, every baseline tuned on validation users and scored
    (over two-point grids, to keep the suite quick; the README's table uses the full grids)."""
    from echotune.tools.recommender import eval_run

    small = {"itemknn": [{"K": 100, "weighting": "log"}, {"K": 400, "weighting": "log"}],
             "als": [{"factors": 32, "regularization": 0.01, "alpha": 1.0}, {"factors": 64, "regularization": 0.1, "alpha": 1.0}],
             "bpr": [{"factors": 32, "learning_rate": 0.01}, {"factors": 32, "learning_rate": 0.05}],
             "ease": [{"lam": 50.0}, {"lam": 200.0}]}  # fmt: skip
    monkeypatch.setattr(eval_run, "GRIDS", {**eval_run.GRIDS, **small})
    lines = (HETREC / "user_artists.dat").read_text(encoding="utf-8").splitlines()
    users = sorted({ln.split("\t")[0] for ln in lines[1:]}, key=int)[:240]
    keep = set(users)
    subset = _write(
        tmp_path / "subset.dat", "\n".join([lines[0], *[ln for ln in lines[1:] if ln.split("\t")[0] in keep]]) + "\n"
    )
    train, test = split_users(subset, tmp_path / "split", 0.25, seed=0)
    code = main(["eval", "recommender", "--train", str(train), "--test", str(test), "--json",
                 "--models", "popularity,itemknn,als,bpr,ease"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    report = json.loads(out)
    assert report["test_users"] + report["skipped_users"] == 60 and report["test_users"] >= 55
    rows = {r["model"]: r for r in report["rows"]}
    assert set(rows) == {"popularity", "item-kNN (cosine)", "ALS (implicit)", "BPR (implicit)", "EASE"}
    for r in rows.values():
        assert 0 <= r["recall"] <= 1 and 0 <= r["ndcg"] <= 1 and 0 < r["coverage"] <= 1
    assert rows["EASE"]["ndcg"] > rows["popularity"]["ndcg"]
