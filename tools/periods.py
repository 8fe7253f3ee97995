"""Periods people name ("last month", "2023", "letzte Woche", "since March 2024", "the last 90 days") turned
into a [since, until) time range in their time zone.

Plain forms are read here; everything else goes to dateparser, which knows relative dates in many languages
and says whether a text names a day, a week, a month or a year: the period is that whole calendar span.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from echotune.tools.errors import InvalidInputError

ALL = ("", "all", "all time", "ever", "always", "everything", "any")
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_LAST_N = re.compile(r"^(?:the\s+)?(?:last|past|previous)\s+(\d{1,4})\s+(day|week|month|year)s?$")
_RANGE = re.compile(r"^(?:from\s+|between\s+)?(.+?)\s+(?:to|until|till|and|-|–|—|\.\.)\s+(.+)$")
_SINCE = re.compile(r"^(?:since|after|from)\s+(.+)$")
_BEFORE = re.compile(r"^(?:before|until|till|up to)\s+(.+)$")
_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """[since, until) in UTC; None means unbounded. `label` says it back to the person."""

    since: datetime | None
    until: datetime | None
    label: str

    def contains(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


def local_zone_name() -> str:
    """The machine's time zone (TZ, else the system setting), else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # no zone configured: UTC is an honest default
        return "UTC"


@cache
def zone(name: str | None) -> tzinfo:
    """A time zone by IANA name (None: the machine's)."""
    name = name or local_zone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(
            f"Unknown time zone {name!r}", hint="use an IANA name such as Europe/Berlin, America/New_York or UTC"
        ) from None


def _start(d: date, tz: tzinfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)


def _span(d: date, unit: str) -> tuple[date, date]:
    """The calendar day, week (Monday first), month or year containing d."""
    if unit == "week":
        first = d - timedelta(days=d.weekday())
        return first, first + timedelta(days=7)
    if unit == "month":
        first = d.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1)
    if unit == "year":
        return date(d.year, 1, 1), date(d.year + 1, 1, 1)
    return d, d + timedelta(days=1)


def _point(text: str, now: datetime, tz: tzinfo) -> tuple[date, date]:
    """A calendar span [first, after) named by one expression."""
    if m := _YEAR.match(text):
        return _span(date(int(m[1]), 1, 1), "year")
    try:
        if m := _MONTH.match(text):
            return _span(date(int(m[1]), int(m[2]), 1), "month")
        if m := _DAY.match(text):
            return _span(date(int(m[1]), int(m[2]), int(m[3])), "day")
    except ValueError as exc:
        raise InvalidInputError(f"{text!r} is not a date: {exc}") from None
    local_now = now.astimezone(tz)
    if text in ("this week", "this month", "this year"):
        return _span(local_now.date(), text.split()[1])
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        settings={
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
            "RETURN_TIME_AS_PERIOD": True,
        }
    )
    found = parser.get_date_data(text)
    if found.date_obj is None:
        raise InvalidInputError(
            f"Could not read {text!r} as a period",
            hint="try e.g. 'last month', '2023', '2024-05', 'last 30 days', 'since 2022-01-01', "
            "'2023-01-01 to 2023-06-30', or 'all'",
        )
    unit = found.period if found.period in ("day", "week", "month", "year") else "day"
    return _span(found.date_obj.date(), unit)


def parse_period(text: str | None, now: datetime, tz: tzinfo) -> Period:
    """The [since, until) range a person means; `now` anchors relative forms, `tz` draws calendar lines."""
    raw = " ".join((text or "").split())
    t = raw.casefold()
    if t in ALL:
        return Period(None, None, "all time")
    if m := _LAST_N.match(t):
        days = int(m[1]) * _UNITS[m[2]]
        return Period(now - timedelta(days=days), None, f"the last {m[1]} {m[2]}{'s' if m[1] != '1' else ''}")
    if m := _SINCE.match(t):
        first, _ = _point(m[1], now, tz)
        return Period(_start(first, tz), None, f"since {first.isoformat()}")
    if m := _BEFORE.match(t):
        first, _ = _point(m[1], now, tz)
        return Period(None, _start(first, tz), f"before {first.isoformat()}")
    if (m := _RANGE.match(t)) and not _DAY.match(t) and not _MONTH.match(t):
        a, _ = _point(m[1], now, tz)
        _, b = _point(m[2], now, tz)
        if b <= a:
            raise InvalidInputError(f"{raw!r}: the period ends before it starts")
        return Period(_start(a, tz), _start(b, tz), f"{a.isoformat()} to {(b - timedelta(days=1)).isoformat()}")
    first, after = _point(t, now, tz)
    days = (after - first).days
    label = (
        first.isoformat()
        if days == 1
        else f"{first:%B %Y}"
        if days in (28, 29, 30, 31)
        else str(first.year)
        if days in (365, 366)
        else f"week of {first.isoformat()}"
    )
    return Period(_start(first, tz), _start(after, tz), label)
