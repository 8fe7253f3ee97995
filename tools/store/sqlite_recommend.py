"""SQLite side of the recommender's repository: A/B exposures and outcomes (migration 0005)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from echotune.tools.recommender.records import OUTCOMES, Exposure, OutcomeKind, VariantCounts
from echotune.tools.store.sqlite import epoch_ms, from_epoch_ms

if TYPE_CHECKING:
    from echotune.tools.store.sqlite import SqliteStore

_COLS = "id, user, experiment, variant, request_id, track_id, position, at"


def _exposure(row: tuple) -> Exposure:
    id_, user, experiment, variant, request_id, track_id, position, at = row
    return Exposure(
        id=id_,
        user=user,
        experiment=experiment,
        variant=variant,
        request_id=request_id,
        track_id=track_id,
        position=position,
        at=from_epoch_ms(at),
    )


class SqliteAB:
    def __init__(self, store: SqliteStore):
        self.s = store

    def expose(self, exposures: Sequence[Exposure]) -> None:
        rows = [
            (e.user, e.experiment, e.variant, e.request_id, e.track_id, e.position, epoch_ms(e.at)) for e in exposures
        ]
        with self.s.tx() as conn:
            conn.executemany(
                "INSERT INTO ab_exposures (user, experiment, variant, request_id, track_id, position, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def latest_exposure(self, user: str, track_id: str, *, since: datetime) -> Exposure | None:
        row = (
            self.s.conn()
            .execute(
                f"SELECT {_COLS} FROM ab_exposures WHERE user = ? AND track_id = ? AND at >= ? ORDER BY at DESC, id DESC"
                " LIMIT 1",
                (user, track_id, epoch_ms(since)),
            )
            .fetchone()
        )
        return _exposure(row) if row else None

    def record_outcome(self, exposure_id: int, kind: OutcomeKind, at: datetime) -> bool:
        with self.s.tx() as conn:
            return (
                conn.execute(
                    "INSERT OR IGNORE INTO ab_outcomes (exposure_id, kind, at) VALUES (?, ?, ?)",
                    (exposure_id, kind, epoch_ms(at)),
                ).rowcount
                == 1
            )

    def exposed_users(self, experiment: str) -> list[tuple[str, datetime]]:
        rows = self.s.conn().execute(
            "SELECT user, min(at) FROM ab_exposures WHERE experiment = ? GROUP BY user ORDER BY user", (experiment,)
        )
        return [(user, from_epoch_ms(at)) for user, at in rows]

    def counts(self, experiment: str) -> list[VariantCounts]:
        conn = self.s.conn()
        base = conn.execute(
            "SELECT variant, count(DISTINCT user), count(DISTINCT request_id), count(*) FROM ab_exposures"
            " WHERE experiment = ? GROUP BY variant ORDER BY variant",
            (experiment,),
        ).fetchall()
        outcomes: dict[tuple[str, str], int] = {}
        for variant, kind, n in conn.execute(
            "SELECT e.variant, o.kind, count(*) FROM ab_outcomes o JOIN ab_exposures e ON e.id = o.exposure_id"
            " WHERE e.experiment = ? GROUP BY e.variant, o.kind",
            (experiment,),
        ):
            outcomes[(variant, kind)] = n
        return [
            VariantCounts(
                variant=variant,
                users=users,
                lists=lists,
                exposures=exposures,
                outcomes={k: outcomes.get((variant, k), 0) for k in OUTCOMES},
            )
            for variant, users, lists, exposures in base
        ]

    def delete_user(self, user: str) -> int:
        with self.s.tx() as conn:
            conn.execute(
                "DELETE FROM ab_outcomes WHERE exposure_id IN (SELECT id FROM ab_exposures WHERE user = ?)", (user,)
            )
            return conn.execute("DELETE FROM ab_exposures WHERE user = ?", (user,)).rowcount

    def listeners(self) -> list[str]:
        return [row[0] for row in self.s.conn().execute("SELECT DISTINCT user FROM plays ORDER BY user")]
