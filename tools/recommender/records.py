"""What the recommender stores: A/B exposures and their outcomes (the stores hold these records)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

OutcomeKind = Literal["played", "skipped", "liked", "disliked"]
OUTCOMES: tuple[OutcomeKind, ...] = ("played", "skipped", "liked", "disliked")


class Exposure(BaseModel):
    """One track shown to a user by one A/B variant, at one position of one recommendation list."""

    id: int | None = Field(None, description="Set by the store.")
    user: str
    experiment: str
    variant: str
    request_id: str
    track_id: str
    position: int = Field(ge=0)
    at: datetime


class VariantCounts(BaseModel):
    """Exposures of one variant and how many of them led to each outcome."""

    variant: str
    users: int
    lists: int
    exposures: int
    outcomes: dict[OutcomeKind, int]
