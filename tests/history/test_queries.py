"""History queries answer what a brute-force count over the generated entries says, in the asked time zone
and period; sessions split at the gap; empty answers say what to do."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.models import Play
from echotune.tools.periods import parse_period, zone
from echotune.tools.registry import call_tool
from echotune.tools.spotify_export import load_catalog_rows
from echotune.tools.text import match_key, normalize
from tests.history.conftest import Export

BERLIN = "Europe/Berlin"
TZ = ZoneInfo(BERLIN)


@pytest.fixture
def history(ctx: Context, export: Export) -> Export:
    call_tool(ctx, "history_import", {"paths": [str(export.extended_dir)]})
    return export


def local(p: dict) -> datetime:
    return datetime.fromisoformat(p["ts"]).astimezone(TZ)


def music(plays: list[dict]) -> list[dict]:
    return [p for p in plays if p["master_metadata_track_name"]]


def song(p: dict, uris: set[str]) -> str:
    uri = p["spotify_track_uri"]
    return uri if uri in uris else match_key(p["master_metadata_track_name"], p["master_metadata_album_artist_name"])


def test_totals_match_a_brute_force_count(ctx: Context, history: Export) -> None:
    plays = history.plays
    uris = {r["uri"] for r in load_catalog_rows()}
    m = music(plays)
    t = call_tool(ctx, "history_totals", {"timezone": BERLIN})
    assert (t.plays, t.music_plays) == (len(plays), len(m))
    assert t.podcast_plays == sum(1 for p in plays if p["episode_name"])
    assert t.audiobook_plays == sum(1 for p in plays if p["audiobook_title"])
    assert t.hours == round(sum(p["ms_played"] for p in plays) / 3_600_000, 1)
    assert t.distinct_tracks == len({song(p, uris) for p in m})
    assert t.distinct_artists == len({normalize(p["master_metadata_album_artist_name"]) for p in m})
    skips = sum(1 for p in m if p["ms_played"] < 30_000 or p["skipped"])
    assert (t.skips, t.skip_rate) == (skips, round(skips / len(m), 4))
    assert t.active_days == len({local(p).date() for p in plays})
    assert t.first_play == datetime.fromisoformat(plays[0]["ts"])


def test_top_artists_and_tracks_in_a_period(ctx: Context, history: Export) -> None:
    in_2023 = [p for p in music(history.plays) if local(p).year == 2023]
    expected = Counter(normalize(p["master_metadata_album_artist_name"]) for p in in_2023).most_common(5)
    top = call_tool(ctx, "history_top", {"what": "artists", "period": "2023", "timezone": BERLIN, "limit": 5})
    assert top.period == "2023" and top.plays_in_period == len(in_2023)
    assert [e.plays for e in top.entries] == [c for _, c in expected]
    assert normalize(top.entries[0].name) == expected[0][0]
    uris = {r["uri"] for r in load_catalog_rows()}
    expected_tracks = Counter(song(p, uris) for p in in_2023).most_common(3)
    tracks = call_tool(ctx, "history_top", {"what": "tracks", "period": "2023", "timezone": BERLIN, "limit": 3})
    assert [e.plays for e in tracks.entries] == [c for _, c in expected_tracks]
    assert tracks.entries[0].track_id and tracks.entries[0].by
    by_time = call_tool(ctx, "history_top", {"what": "tracks", "by": "time", "timezone": BERLIN, "limit": 1})
    longest = Counter()
    for p in music(history.plays):
        longest[song(p, uris)] += p["ms_played"]
    assert by_time.entries[0].minutes == round(longest.most_common(1)[0][1] / 60000, 1)


def test_top_genres_and_shows(ctx: Context, history: Export) -> None:
    genres = call_tool(ctx, "history_top", {"what": "genres", "limit": 5})
    assert len(genres.entries) == 5 and genres.entries[0].plays >= genres.entries[-1].plays > 0
    shows = call_tool(ctx, "history_top", {"what": "shows", "limit": 3})
    expected = Counter(p["episode_show_name"] for p in history.plays if p["episode_name"]).most_common(3)
    assert [(e.name, e.plays) for e in shows.entries] == expected


def test_skips_can_be_left_out(ctx: Context, history: Export) -> None:
    without = call_tool(ctx, "history_top", {"what": "artists", "include_skips": False, "limit": 1})
    kept = [p for p in music(history.plays) if not (p["ms_played"] < 30_000 or p["skipped"])]
    assert without.plays_in_period == len(kept)


def test_listening_clock_in_the_asked_time_zone(ctx: Context, history: Export) -> None:
    clock = call_tool(ctx, "history_clock", {"timezone": BERLIN})
    hours = Counter(local(p).hour for p in history.plays)
    days = Counter(local(p).weekday() for p in history.plays)
    assert clock.by_hour == [hours[h] for h in range(24)]
    assert clock.by_weekday == [days[d] for d in range(7)]
    assert sum(map(sum, clock.matrix)) == len(history.plays) and clock.timezone == BERLIN
    utc = call_tool(ctx, "history_clock", {"timezone": "UTC"})
    assert utc.by_hour != clock.by_hour, "hours move with the zone"
    with pytest.raises(InvalidInputError, match="Unknown time zone"):
        call_tool(ctx, "history_clock", {"timezone": "Mars/Olympus"})


def test_recent_plays_newest_first_and_by_kind(ctx: Context, history: Export) -> None:
    recent = call_tool(ctx, "history_recent", {"limit": 5}).plays
    newest = history.plays[-5:][::-1]
    assert [r.played_at for r in recent] == [datetime.fromisoformat(p["ts"]) for p in newest]
    podcasts = call_tool(ctx, "history_recent", {"limit": 3, "kind": "podcast"}).plays
    assert [p.kind for p in podcasts] == ["podcast"] * 3
    last_podcast = next(p for p in reversed(history.plays) if p["episode_name"])
    assert podcasts[0].title == last_podcast["episode_name"]


def test_search_in_history_tolerates_typos(ctx: Context, history: Export) -> None:
    favourite = Counter(
        (p["master_metadata_track_name"], p["master_metadata_album_artist_name"]) for p in music(history.plays)
    ).most_common(1)[0]
    (title, artist), plays = favourite
    typo = title[:3] + title[4:] if len(title) > 6 else title
    hits = call_tool(ctx, "history_search", {"query": f"{typo} {artist}"}).hits
    assert hits[0].title == title and hits[0].plays == plays
    assert hits[0].first_played <= hits[0].last_played


def test_sessions_split_at_the_gap(ctx: Context) -> None:
    t0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    ends, at = [], t0
    for gap in (0, 2, 29, 31, 1, 90, 5):  # minutes of silence before each 3-minute play
        at = at + timedelta(minutes=gap + 3)
        ends.append(at)
    ctx.store.plays.add(
        [
            Play(user="default", played_at=e, ms_played=180_000, title=f"Song {i}", artist="Band")
            for i, e in enumerate(ends)
        ]
    )
    s = call_tool(ctx, "history_sessions", {"period": "all"})
    assert s.sessions == 3 and [r.plays for r in s.recent] == [2, 2, 3]
    assert s.longest.plays == 3 and s.longest.start == t0 and s.longest.minutes == 3 + 2 + 3 + 29 + 3
    assert call_tool(ctx, "history_sessions", {"gap_minutes": 100}).sessions == 1


def test_discoveries_per_month(ctx: Context) -> None:
    base = datetime(2024, 1, 10, 12, tzinfo=UTC)
    plays = [
        ("A", "X", base),
        ("A", "X", base + timedelta(days=1)),
        ("B", "X", base + timedelta(days=2)),
        ("A", "X", base + timedelta(days=31)),
        ("C", "Y", base + timedelta(days=32)),
        ("D", "Z", base + timedelta(days=60)),
    ]
    ctx.store.plays.add(
        [Play(user="default", played_at=at, ms_played=200_000, title=t, artist=a) for t, a, at in plays]
    )
    d = call_tool(ctx, "history_discoveries", {"timezone": "UTC"})
    assert [(m.month, m.plays, m.new_tracks, m.new_artists) for m in d.months] == [
        ("2024-01", 3, 2, 1),
        ("2024-02", 2, 1, 1),
        ("2024-03", 1, 1, 1),
    ]
    assert d.months[1].discovery_rate == 0.5 and (d.new_tracks, d.new_artists) == (4, 3)
    only_feb = call_tool(ctx, "history_discoveries", {"period": "2024-02", "timezone": "UTC"})
    assert [m.month for m in only_feb.months] == ["2024-02"]


def test_empty_history_says_how_to_fill_it(ctx: Context) -> None:
    for name in ("history_totals", "history_top", "history_clock", "history_sessions", "history_discoveries"):
        with pytest.raises(NotFoundError) as err:
            call_tool(ctx, name, {})
        assert "echotune history import" in (err.value.hint or ""), name


def test_a_period_without_plays(ctx: Context, history: Export) -> None:
    with pytest.raises(NotFoundError, match="No plays in 2019") as err:
        call_tool(ctx, "history_top", {"period": "2019"})
    assert "longer period" in err.value.hint


@pytest.mark.parametrize(
    ("text", "since", "until", "label"),
    [
        ("all", None, None, "all time"),
        ("last month", "2026-10-01", "2026-11-01", "October 2026"),
        ("2023", "2023-01-01", "2024-01-01", "2023"),
        ("2024-05", "2024-05-01", "2024-06-01", "May 2024"),
        ("letzte Woche", "2026-10-19", "2026-10-26", "week of 2026-10-19"),
        ("since 2022-03-01", "2022-03-01", None, "since 2022-03-01"),
        ("2023-01-01 to 2023-06-30", "2023-01-01", "2023-07-01", "2023-01-01 to 2023-06-30"),
        ("march 2024", "2024-03-01", "2024-04-01", "March 2024"),
    ],
)
def test_periods_people_name(text: str, since: str | None, until: str | None, label: str) -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    tz = zone(BERLIN)

    def at(day: str | None) -> datetime | None:
        return None if day is None else datetime.fromisoformat(day).replace(tzinfo=tz).astimezone(UTC)

    period = parse_period(text, now, tz)
    assert (period.since, period.until, period.label) == (at(since), at(until), label)


def test_rolling_periods_and_nonsense() -> None:
    now = datetime(2026, 11, 1, 12, tzinfo=UTC)
    p = parse_period("last 30 days", now, zone("UTC"))
    assert p.since == now - timedelta(days=30) and p.until is None
    with pytest.raises(InvalidInputError, match="Could not read"):
        parse_period("the colour blue", now, zone("UTC"))
    with pytest.raises(InvalidInputError, match="ends before it starts"):
        parse_period("2024-05-01 to 2023-01-01", now, zone("UTC"))
