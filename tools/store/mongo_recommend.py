"""MongoDB side of the recommender's repository: A/B exposures and outcomes.

Exposure ids stay small integers, as on SQLite, drawn in blocks from a counter document; outcomes carry
their exposure's user, experiment and variant so counting and forgetting need no join.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.recommender.records import OUTCOMES, Exposure, OutcomeKind, VariantCounts
from echotune.tools.store.sqlite import epoch_ms, from_epoch_ms

if TYPE_CHECKING:
    from echotune.tools.store.mongo import MongoStore

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "ab_exposures": [([("user", 1), ("track_id", 1), ("at", -1)], {}), ([("experiment", 1), ("variant", 1)], {})],
    "ab_outcomes": [([("exposure_id", 1), ("kind", 1)], {"unique": True}), ([("user", 1)], {})],
}


def _exposure(doc: dict[str, Any]) -> Exposure:
    return Exposure(
        id=doc["_id"],
        user=doc["user"],
        experiment=doc["experiment"],
        variant=doc["variant"],
        request_id=doc["request_id"],
        track_id=doc["track_id"],
        position=doc["position"],
        at=from_epoch_ms(doc["at"]),
    )


class MongoAB:
    def __init__(self, store: MongoStore):
        self.store = store
        self.exposures = store.db["ab_exposures"]
        self.outcomes = store.db["ab_outcomes"]
        self.counters = store.db["counters"]

    def expose(self, exposures: Sequence[Exposure]) -> None:
        from pymongo import ReturnDocument

        if not exposures:
            return
        last = self.counters.find_one_and_update(
            {"_id": "ab_exposures"},
            {"$inc": {"seq": len(exposures)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )["seq"]
        first = last - len(exposures) + 1
        docs = [
            {**e.model_dump(exclude={"id"}), "_id": first + i, "at": epoch_ms(e.at)} for i, e in enumerate(exposures)
        ]
        self.exposures.insert_many(docs)

    def latest_exposure(self, user: str, track_id: str, *, since: datetime) -> Exposure | None:
        docs = list(
            self.exposures.find({"user": user, "track_id": track_id, "at": {"$gte": epoch_ms(since)}})
            .sort([("at", -1), ("_id", -1)])
            .limit(1)
        )
        return _exposure(docs[0]) if docs else None

    def record_outcome(self, exposure_id: int, kind: OutcomeKind, at: datetime) -> bool:
        from pymongo.errors import DuplicateKeyError

        exposure = self.exposures.find_one({"_id": exposure_id})
        if exposure is None:
            return False
        try:
            self.outcomes.insert_one(
                {
                    "exposure_id": exposure_id,
                    "kind": kind,
                    "at": epoch_ms(at),
                    "user": exposure["user"],
                    "experiment": exposure["experiment"],
                    "variant": exposure["variant"],
                }
            )
        except DuplicateKeyError:
            return False
        return True

    def exposed_users(self, experiment: str) -> list[tuple[str, datetime]]:
        rows = self.exposures.aggregate(
            [
                {"$match": {"experiment": experiment}},
                {"$group": {"_id": "$user", "first": {"$min": "$at"}}},
                {"$sort": {"_id": 1}},
            ]
        )
        return [(r["_id"], from_epoch_ms(r["first"])) for r in rows]

    def counts(self, experiment: str) -> list[VariantCounts]:
        base = self.exposures.aggregate(
            [
                {"$match": {"experiment": experiment}},
                {
                    "$group": {
                        "_id": "$variant",
                        "users": {"$addToSet": "$user"},
                        "lists": {"$addToSet": "$request_id"},
                        "exposures": {"$sum": 1},
                    }
                },
                {"$sort": {"_id": 1}},
            ]
        )
        outcomes = {
            (r["_id"]["variant"], r["_id"]["kind"]): r["n"]
            for r in self.outcomes.aggregate(
                [
                    {"$match": {"experiment": experiment}},
                    {"$group": {"_id": {"variant": "$variant", "kind": "$kind"}, "n": {"$sum": 1}}},
                ]
            )
        }
        return [
            VariantCounts(
                variant=r["_id"],
                users=len(r["users"]),
                lists=len(r["lists"]),
                exposures=r["exposures"],
                outcomes={k: outcomes.get((r["_id"], k), 0) for k in OUTCOMES},
            )
            for r in base
        ]

    def delete_user(self, user: str) -> int:
        with self.store.transaction() as session:
            self.outcomes.delete_many({"user": user}, session=session)
            return self.exposures.delete_many({"user": user}, session=session).deleted_count

    def listeners(self) -> list[str]:
        return sorted(self.store.db["plays"].distinct("user"))
