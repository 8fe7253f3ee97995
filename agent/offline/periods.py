"""Periods of time in a request ("last month", "this week", "in 2023", "the past 90 days", "letzte Woche",
"el mes pasado", "since March") as a start and end date, for history and insight tools.

Common phrases in English, Spanish, German and French are matched directly; anything else that names a date
goes through dateparser (many languages), which is imported only then.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

UNITS = {
    "day": 1, "days": 1, "dia": 1, "dias": 1, "tag": 1, "tage": 1, "tagen": 1, "jour": 1, "jours": 1,
    "week": 7, "weeks": 7, "settimana": 7, "settimane": 7, "semana": 7, "semanas": 7, "woche": 7, "wochen": 7, "semaine": 7, "semaines": 7,
    "month": 30, "months": 30, "mes": 30, "meses": 30, "monat": 30, "monate": 30, "monaten": 30, "mois": 30, "mese": 30, "mesi": 30,
    "year": 365, "years": 365, "ano": 365, "anos": 365, "jahr": 365, "jahre": 365, "jahren": 365, "an": 365,
    "ans": 365, "annee": 365, "annees": 365, "anno": 365, "anni": 365,
}  # fmt: skip
HOURS = {"hour", "hours", "horas", "stunden", "heures"}
MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})


@dataclass(frozen=True)
class Period:
    """start <= day < end (end exclusive); either may be open. unit: day/week/month/year/all, for enum fields."""

    start: date | None
    end: date | None
    unit: str
    phrase: str
    canonical: str = ""  # how tools read it: "last month", "this year", "2023", "2024-05", "last 30 days", ...

    @property
    def days(self) -> int | None:
        if self.start and self.end:
            return (self.end - self.start).days
        return None


def _month_start(d: date, back: int = 0) -> date:
    y, m = d.year, d.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


_THIS = r"(this|current|este|esta|diese[nrs]?|ce|cette|questo|questa|quest|neste|nesta)"
_LAST = r"(last|past|previous|pasad[oa]|passad[oa]|scors[oa]|letzte[nrs]?|vergangene[nrs]?|derniere?|ultim[oa])"
_UNIT = r"(week|month|year|semana|mes|mese|ano|anno|settimana|woche|monat|jahr|semaine|mois|annee|an)"
_PATTERNS = [
    (re.compile(rf"\b{_THIS} {_UNIT}\b|\b(quest)(anno|settimana|mese)\b"), "this"),  # quest'anno
    (re.compile(rf"\b{_LAST} {_UNIT}\b|\b{_UNIT} {_LAST}\b"), "last"),
    (
        re.compile(
            r"\b(?:last|past|the last|the past|ultimos|ultimas|letzten|derniers|dernieres)\s+(\d+|\w+)\s+"
            r"(hours?|days?|weeks?|months?|years?|horas|stunden|heures|dias|semanas|meses|anos|tage|tagen|wochen|"
            r"monate|monaten|jahre|jours|semaines|mois|ans)\b"
        ),
        "span",
    ),
    (re.compile(r"\b(today|hoy|heute|aujourdhui)\b"), "today"),
    (re.compile(r"\b(yesterday|ayer|gestern|hier)\b"), "yesterday"),
    (re.compile(r"\b(all time|of all time|alltime|forever|todos los tiempos|aller zeiten|de tous les temps)\b"), "all"),
    (re.compile(r"\b(?:in|during|for|en|im|during the year)?\s*((?:19|20)\d\d)\b"), "year"),
]


def _unit_word(word: str) -> str:
    days = UNITS.get(word, 30)
    return {1: "day", 7: "week", 30: "month", 365: "year"}[days]


def find_period(text: str, today: date, *, use_dateparser: bool = True) -> Period | None:
    """The first period named in normalised text, relative to `today`."""
    from echotune.agent.offline.lexicon import NUMBER_WORDS

    day = _day(text)
    if day is not None:
        return day
    for pattern, kind in _PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        phrase = m.group(0).strip()
        if kind == "this":
            unit = _unit_word(next(w for w in m.groups() if w and w in UNITS))
            start = {"week": today - timedelta(days=today.weekday()), "month": today.replace(day=1),
                     "year": date(today.year, 1, 1)}[unit]  # fmt: skip
            return Period(start, today + timedelta(days=1), unit, phrase, f"this {unit}")
        if kind == "last":
            unit = _unit_word(next(w for w in m.groups() if w and w in UNITS))
            if unit == "week":
                this_week = today - timedelta(days=today.weekday())
                return Period(this_week - timedelta(days=7), this_week, unit, phrase, "last week")
            if unit == "month":
                return Period(_month_start(today, 1), _month_start(today), unit, phrase, "last month")
            return Period(date(today.year - 1, 1, 1), date(today.year, 1, 1), "year", phrase, "last year")
        if kind == "span":
            count_word, unit_word = m.group(1), m.group(2)
            count = int(count_word) if count_word.isdigit() else NUMBER_WORDS.get(count_word)
            if not count:
                continue
            if unit_word in HOURS:  # "the last 24 hours": whole days, at least today
                count, unit_word = max(1, round(count / 24)), "days"
            days = count * UNITS.get(unit_word, 1)
            unit = _unit_word(unit_word)
            canonical = f"last {unit}" if count == 1 else f"last {count} {unit}s"
            return Period(today - timedelta(days=days) + timedelta(days=1), today + timedelta(days=1),
                          unit if count == 1 else "day", phrase, canonical)  # fmt: skip
        if kind == "today":
            return Period(today, today + timedelta(days=1), "day", phrase, "today")
        if kind == "yesterday":
            return Period(today - timedelta(days=1), today, "day", phrase, "yesterday")
        if kind == "all":
            return Period(None, None, "all", phrase, "all")
        if kind == "year":
            year = int(m.group(1))
            if 1950 <= year <= today.year:
                return Period(date(year, 1, 1), date(year + 1, 1, 1), "year", phrase, str(year))
    for name, month in MONTHS.items():
        m = re.search(rf"\b(in |since |during )?{name}\b( ((?:19|20)\d\d))?", text)
        if m and len(name) > 2:
            year = int(m.group(3)) if m.group(3) else (today.year if month <= today.month else today.year - 1)
            start = date(year, month, 1)
            if (m.group(1) or "").strip() == "since":
                return Period(start, today + timedelta(days=1), "month", m.group(0).strip(), f"since {start}")
            end = _month_start(date(year + (month == 12), month % 12 + 1, 1))
            return Period(start, end, "month", m.group(0).strip(), f"{year}-{month:02d}")
    if use_dateparser and re.search(r"\b(since|seit|desde|depuis|ago|hace|vor|il y a)\b", text):
        return _dateparser_period(text, today)
    return None


def _day(text: str) -> Period | None:
    """One day named in full: "june 1st 2023", "1 june 2023", "the 1st of june, 2023"."""
    months = "|".join(sorted(MONTHS, key=len, reverse=True))
    m = re.search(rf"\b({months}) (\d{{1,2}})(?:st|nd|rd|th)? ((?:19|20)\d\d)\b", text) or re.search(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({months}) ((?:19|20)\d\d)\b", text
    )
    if m is None:
        return None
    month_word, day_word = (m.group(1), m.group(2)) if not m.group(1).isdigit() else (m.group(2), m.group(1))
    try:
        start = date(int(m.group(3)), MONTHS[month_word], int(day_word))
    except ValueError:
        return None
    return Period(start, start + timedelta(days=1), "day", m.group(0), start.isoformat())


def _dateparser_period(text: str, today: date) -> Period | None:
    from dateparser.search import search_dates

    base = datetime(today.year, today.month, today.day, 12, 0)
    found = search_dates(text, settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"})
    if not found:
        return None
    phrase, when = found[0]
    start = when.date()
    if start > today:
        return None
    return Period(start, today + timedelta(days=1), "day", phrase, f"since {start}")
