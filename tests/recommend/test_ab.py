"""A/B variants: a deterministic, evenly spread assignment (or the one settings name), exposures recorded with
every list, outcomes from feedback and plays, and rates with Wilson 95% intervals."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest

from echotune.cli import main
from echotune.tools.context import Context
from echotune.tools.recommender.ab import VARIANTS, assign, wilson
from echotune.tools.registry import call_tool
from echotune.tools.settings import update_setting

from .conftest import add_plays, play

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"


def test_assignment_is_deterministic_and_spread() -> None:
    users = [f"user-{i}" for i in range(3000)]
    first = [assign(u) for u in users]
    assert first == [assign(u) for u in users]
    counts = Counter(first)
    assert set(counts) == set(VARIANTS) and min(counts.values()) > 900
    assert assign("alice") == assign("alice", "recommend-v1")
    assert sum(assign(u) != assign(u, "another-experiment") for u in users) > 1500


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson(10, 100)
    assert (round(lo, 4), round(hi, 4)) == (0.0552, 0.1744)
    assert wilson(0, 20)[0] < 1e-12 and 0.16 < wilson(0, 20)[1] < 0.17
    assert wilson(0, 0) == (0.0, 1.0)


def test_settings_override_the_hash(rctx: Context) -> None:
    for variant in VARIANTS:
        update_setting(rctx, "recommendation.variant", variant)
        assert call_tool(rctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 3}).variant == variant
    update_setting(rctx, "recommendation.variant", "auto")
    assert call_tool(rctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 3}).variant == assign(rctx.user)


def test_exposures_outcomes_and_report(rctx: Context, clock) -> None:
    alice, bob = rctx.for_user("alice"), rctx.for_user("bob")
    update_setting(alice, "recommendation.variant", "content")
    update_setting(bob, "recommendation.variant", "hybrid_mmr")
    shown_a = call_tool(alice, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 10}).tracks
    shown_b = call_tool(bob, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 10}).tracks
    clock.advance(minutes=5)
    assert call_tool(alice, "recommend_feedback", {"track": shown_a[0].id, "kind": "like"}).variant_outcome == "content"
    call_tool(alice, "recommend_feedback", {"track": shown_a[1].id, "kind": "skip"})
    # plays of shown tracks after the exposure count as "played"; plays long after do not
    alice.store.plays.add(
        [play(alice, t.id, clock.now + timedelta(minutes=i)) for i, t in enumerate(shown_a[2:5])]
        + [play(alice, shown_a[5].id, clock.now + timedelta(days=3))]
    )
    add_plays(bob, [shown_b[0].id], start=clock.now)

    report = call_tool(alice, "analytics_ab", {})
    by = {v.variant: v for v in report.variants}
    assert report.your_variant == "content" and set(by) == {"content", "hybrid_mmr"}
    a = by["content"]
    assert (a.users, a.lists, a.exposures) == (1, 1, 10)
    assert {k: r.count for k, r in a.outcomes.items()} == {"played": 3, "skipped": 1, "liked": 1, "disliked": 0}
    assert a.outcomes["played"].rate == 0.3
    lo, hi = wilson(3, 10)
    assert a.outcomes["played"].ci_low == round(lo, 4) and a.outcomes["played"].ci_high == round(hi, 4)
    assert by["hybrid_mmr"].outcomes["played"].count == 1
    # reporting again records nothing twice
    again = {v.variant: v for v in call_tool(alice, "analytics_ab", {}).variants}
    assert again["content"].outcomes["played"].count == 3


def test_analytics_ab_cli(capsys, rctx: Context) -> None:
    call_tool(rctx, "recommend_tracks", {"seed_tracks": [HEY_JUDE], "limit": 4})
    assert main(["analytics", "ab", "--json"]) == 0
    data = json.loads(capsys.readouterr()[0])
    assert data["variants"][0]["exposures"] == 4 and data["variants"][0]["outcomes"]["played"]["ci_high"] > 0
    assert main(["analytics", "ab"]) == 0
    assert "exposures" in capsys.readouterr()[0]


@pytest.mark.parametrize("experiment", ["nope"])
def test_unknown_experiment(rctx: Context, experiment: str) -> None:
    from echotune.tools.errors import NotFoundError

    with pytest.raises(NotFoundError, match="No exposures"):
        call_tool(rctx, "analytics_ab", {"experiment": experiment})
