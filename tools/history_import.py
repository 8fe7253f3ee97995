"""Import Spotify's listening-history downloads, as they come, fast, and without ever counting a play twice.

Takes `my_spotify_data.zip`, a folder, or single files, in either layout (see tools/spotify_export.py). Each
file is one transaction: an interruption leaves nothing of that file and the next import picks it up. Every
record read is accounted for: imported, a duplicate of a stored play, or invalid with file, index and reason
(imported + duplicates + invalid = read). Nothing valid is filtered: short plays are kept and flagged as skips.

A play is identified by user, end time and track (uri, else normalised title + artist). Account data gives the
end time to the minute and no uri, so its plays are matched against extended ones by title + artist with an end
time inside that minute; a precise play arriving later replaces the minute-precise copy of itself.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import threading
import zipfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from echotune.tools.errors import NotConfiguredError, UpstreamError
from echotune.tools.history_read import (
    MINUTE,
    Bad,
    Candidate,
    Layout,
    Prepared,
    Source,
    digest_of,
    find_sources,
    layout_from_name,
    prepare,
)
from echotune.tools.models import ArtistRef, BatchItem, BatchPlay, ImportedFile, PlayBatch, Track
from echotune.tools.text import match_key, song_name

if TYPE_CHECKING:
    from echotune.tools.context import Context

FileStatus = Literal["imported", "salvaged", "empty", "skipped-video", "not-history", "not-json", "unreadable"]

MAX_PROBLEMS = 1000


# -- the report ---------------------------------------------------------------------------------------------


class FileReport(BaseModel):
    """What happened to one file of the download."""

    table_columns: ClassVar[tuple[str, ...]] = (
        "file", "layout", "status", "read", "imported", "duplicates", "invalid", "note",
    )  # fmt: skip

    file: str = Field(description="Path of the file (inside the zip, when it came from one).")
    layout: Layout | None = Field(None, description="Which Spotify layout it holds, when it is listening history.")
    status: FileStatus
    read: int = Field(0, description="Records read from the file.")
    imported: int = Field(0, description="New plays stored.")
    duplicates: int = Field(0, description="Plays already stored (from this or an earlier import, either layout).")
    invalid: int = Field(0, description="Records that are not a valid play (listed in problems).")
    merged: int = Field(0, description="Duplicates that replaced a minute-precise copy with the exact play.")
    videos: int = Field(0, description="Video plays counted and not imported.")
    note: str = Field("", description="Why the file was skipped, salvaged, or what it duplicates.")


class Problem(BaseModel):
    """One record that could not be imported, and why."""

    table_columns: ClassVar[tuple[str, ...]] = ("file", "index", "reason")

    file: str
    index: int | None = Field(description="Position of the record in the file's array (0-based), if any.")
    reason: str


class ImportReport(BaseModel):
    """The outcome of one import: totals (imported + duplicates + invalid = read) and one line per file."""

    read: int = Field(description="Records read, over every history file.")
    imported: int = Field(description="New plays stored.")
    duplicates: int = Field(description="Records that were plays already stored: nothing is counted twice.")
    invalid: int = Field(description="Records that are not valid plays, each listed in problems.")
    merged: int = Field(0, description="Duplicates that upgraded a minute-precise play to the exact one.")
    skips: int = Field(0, description="Imported music plays flagged as skips (played under 30 s or skipped).")
    learnt_tracks: int = Field(0, description="Tracks the catalog lacked, added as learnt tracks.")
    videos_skipped: int = Field(0, description="Video plays counted and not imported.")
    stored_total: int = Field(0, description="Plays the user has stored after this import.")
    files: list[FileReport]
    problems: list[Problem] = Field(description=f"Invalid records and unreadable files (the first {MAX_PROBLEMS}).")
    problems_not_listed: int = Field(0, description="Problems beyond the listed ones.")


# -- linking to the catalog ----------------------------------------------------------------------------------


class Linker:
    """Links music plays to catalog tracks (by uri, else normalised title + artist) and learns the rest."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.by_uri: dict[str, str | None] = {}
        self.by_key: dict[str, str | None] = {}
        self.learnt = 0

    def link(self, cands: list[Candidate]) -> list[Track]:
        """Set track_id on every music candidate; returns the tracks to add to the catalog with these plays."""
        music = [c for c in cands if c.kind == "music"]
        uris = {c.track_uri for c in music if c.track_uri and c.track_uri not in self.by_uri}
        ids = {u: u.rsplit(":", 1)[-1] for u in uris if u.startswith("spotify:track:")}
        known = self.ctx.store.catalog.existing(list(ids.values())) if ids else set()
        for uri in uris:
            self.by_uri[uri] = ids[uri] if ids.get(uri) in known else None
        wanted: set[str] = set()
        for c in music:
            if not (c.track_uri and self.by_uri.get(c.track_uri)) and c.match_key not in self.by_key:
                wanted.add(c.match_key)
                wanted.add(self._plain_key(c))
        wanted -= self.by_key.keys()
        if wanted:
            found = self.ctx.store.catalog.by_match_keys(sorted(wanted))
            for key in wanted:
                self.by_key[key] = found.get(key)
        new: dict[str, Track] = {}
        for c in music:
            tid = (self.by_uri.get(c.track_uri) if c.track_uri else None) or self.by_key.get(c.match_key)
            if tid is None:
                tid = self.by_key.get(self._plain_key(c))
            if tid is None:
                track = self._learn(c)
                new[track.id] = track
                tid = track.id
                self.by_key[c.match_key] = tid
                if c.track_uri:
                    self.by_uri[c.track_uri] = tid
            c.track_id = tid
        self.learnt += len(new)
        return list(new.values())

    @staticmethod
    def _plain_key(c: Candidate) -> str:
        return match_key(song_name(c.title), c.artist)

    @staticmethod
    def _learn(c: Candidate) -> Track:
        from echotune.tools.models import SPOTIFY_ID

        spotify_id = (
            c.track_uri.rsplit(":", 1)[-1] if c.track_uri and c.track_uri.startswith("spotify:track:") else None
        )
        if spotify_id and SPOTIFY_ID.match(spotify_id):
            track_id, uri = spotify_id, c.track_uri
        else:
            track_id, uri = "local:" + hashlib.blake2b(c.match_key.encode(), digest_size=10).hexdigest(), None
        return Track(
            id=track_id,
            uri=uri,
            title=c.title,
            artists=[ArtistRef(name=c.artist or "Unknown artist")],
            source="learnt",
        )


# -- recognising plays seen before ---------------------------------------------------------------------------


@dataclass
class Dedup:
    """Which candidates are new, which are stored already, and which stored minute-precise plays they replace."""

    fresh: list[Candidate] = field(default_factory=list)
    duplicates: int = 0
    replace: list[tuple[str, int, int, str]] = field(default_factory=list)


def dedupe(ctx: Context, cands: list[Candidate]) -> Dedup:
    """Split candidates into new plays and duplicates of stored ones (or of each other).

    Exact identity: (played_at, seq, track_key). Across layouts: a minute-precise play (Account data) at minute
    M is the same play as an exact one with the same normalised title + artist ending in [M - 30 s, M + 60 s),
    which covers both rounding and truncation to the minute; the n-th such play of a minute (seq n) matches the
    n-th exact one.
    """
    out = Dedup()
    if not cands:
        return out
    occurrence: Counter[tuple[int, str]] = Counter()
    for c in cands:
        if c.exact:
            c.track_key = c.track_uri or c.match_key
        else:
            c.track_key = c.match_key
            c.seq = occurrence[(c.played_at, c.match_key)]
            occurrence[(c.played_at, c.match_key)] += 1
    lo = min(c.played_at for c in cands) - 2 * MINUTE
    hi = max(c.played_at for c in cands) + 2 * MINUTE
    stored = ctx.store.plays.identities(ctx.user, _dt(lo), _dt(hi))
    seen = {(p.played_at, p.seq, p.track_key) for p in stored}
    exact_times: dict[str, list[int]] = defaultdict(list)
    inexact: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for p in stored:
        if p.exact:
            exact_times[p.match_key].append(p.played_at)
        else:
            inexact[(p.match_key, p.played_at)].append((p.seq, p.track_key))
    if not inexact and all(c.exact for c in cands):  # the common case (extended files): identity alone decides
        fresh = out.fresh
        for c in cands:
            ident = (c.played_at, c.seq, c.track_key)
            if ident in seen:
                out.duplicates += 1
            else:
                seen.add(ident)
                fresh.append(c)
        return out
    for c in cands:
        ident = (c.played_at, c.seq, c.track_key)
        if ident in seen:
            out.duplicates += 1
            continue
        seen.add(ident)
        if c.exact:
            if inexact:
                copy = _minute_copy(inexact, c)
                if copy is not None:
                    out.replace.append((ctx.user, *copy))
                    out.duplicates += 1  # the same play, now known exactly
            out.fresh.append(c)
            exact_times[c.match_key].append(c.played_at)
            continue
        lo_t, hi_t = c.played_at - 30_000, c.played_at + MINUTE
        if sum(1 for t in exact_times.get(c.match_key, ()) if lo_t <= t < hi_t) > c.seq:
            out.duplicates += 1
            continue
        out.fresh.append(c)
    return out


def _minute_copy(inexact: dict[tuple[str, int], list[tuple[int, str]]], c: Candidate) -> tuple[int, int, str] | None:
    """A stored minute-precise copy of exact play `c`, as (minute, seq, track_key); consumed, so it matches once."""
    for minute in (c.played_at // MINUTE * MINUTE, (c.played_at + 30_000) // MINUTE * MINUTE):
        if c.played_at - MINUTE < minute <= c.played_at + 30_000:
            copies = inexact.get((c.match_key, minute))
            if copies:
                seq, key = copies.pop(0)
                return minute, seq, key
    return None


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


# -- the import ----------------------------------------------------------------------------------------------


_ORDER: dict[Layout | None, int] = {"extended": 0, "account-music": 1, "account-podcast": 2, "video": 3, None: 4}
WORKER_MIN_FILES = 3
WORKER_MIN_BYTES = 20_000_000
AHEAD = 2  # files a worker may prepare ahead of the one being written (bounds memory)


def import_history(ctx: Context, paths: Sequence[str | Path], *, worker: bool | None = None) -> ImportReport:
    """Import every listening-history file under `paths` for ctx.user (see the module docstring).

    worker: parse the next files in a second process while this one writes (default: for big downloads, when
    the platform can fork and nothing else runs in this process).
    """
    from echotune.tools.catalog import ensure_catalog
    from echotune.tools.settings import read_settings

    if not read_settings(ctx)[1].privacy.store_history:
        raise NotConfiguredError(
            "Your settings say not to keep your listening history (privacy.store_history is false): "
            "nothing was imported.",
            hint="to allow it, run `echotune settings set privacy.store_history true`, then import again",
        )
    sources = find_sources(paths)
    ensure_catalog(ctx)
    for src in sources:
        src.order = (_ORDER[layout_from_name(src.name)], src.name)
    sources.sort(key=lambda s: s.order)
    run = _Run(ctx)
    if worker is None:
        json_files = [src for src in sources if src.name.lower().endswith(".json")]
        worker = (
            len(json_files) >= WORKER_MIN_FILES
            and sum(src.size for src in json_files) >= WORKER_MIN_BYTES
            and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1
        )
    with _Preparer(worker) as preparer:
        plan: list[_Step] = []
        for src in sources:  # the worker starts on the first files while the rest are looked at
            plan.append(run.look(src))
            if plan[-1].report is None and len(preparer.pending) <= AHEAD:
                preparer.submit(plan[-1])
        todo = [step for step in plan if step.report is None]
        for i, step in enumerate(plan):
            if step.report is None:
                for ahead in todo[todo.index(step) : todo.index(step) + AHEAD + 1]:
                    preparer.submit(ahead)
                gc_was_on = gc.isenabled()
                gc.disable()  # hundreds of thousands of short-lived objects and no cycles: the collector only costs
                try:
                    step.report, step.bad = run.write(step, preparer.result(step))
                finally:
                    if gc_was_on:
                        gc.enable()
            plan[i] = step
    return run.summary(plan)


@dataclass
class _Step:
    """One file of the import: what it is, and (once done) what became of it."""

    src: Source
    layout: Layout | None
    digest: str = ""
    note: str = ""
    data: bytes | None = None
    report: FileReport | None = None
    bad: Bad = field(default_factory=list)


class _Preparer:
    """Reads and parses files: in this process, or in a forked worker a few files ahead of the writer."""

    def __init__(self, worker: bool) -> None:
        self.pool = None
        if worker:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        self.pending: dict[int, Any] = {}

    def __enter__(self) -> _Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, step: _Step) -> None:
        if self.pool is not None and id(step) not in self.pending:
            self.pending[id(step)] = self.pool.submit(prepare, step.src, step.layout, None, True, step.digest)

    def result(self, step: _Step) -> Prepared:
        future = self.pending.pop(id(step), None)
        if future is not None:
            step.data = None
            return future.result()
        data, step.data = step.data, None
        return prepare(step.src, step.layout, data, False, step.digest)


class _Run:
    """The state of one import: caches shared by its files, and what it has seen so far."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.linker = Linker(ctx)
        self.digests: dict[str, str] = {}
        self.skips = 0

    def look(self, src: Source) -> _Step:
        """What a file is, and whether its very content was imported before (then it needs no parsing)."""
        layout = layout_from_name(src.name)
        step = _Step(src, layout)
        if layout is None and not src.name.lower().endswith(".json"):
            step.report = FileReport(file=src.name, status="not-json", note="not a JSON file: not listening history")
            return step
        try:
            data = src.read()
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            step.report = FileReport(file=src.name, layout=layout, status="unreadable", note=str(exc))
            step.bad = [(None, f"could not read the file: {exc}")]
            return step
        step.digest = digest_of(data)
        if step.digest in self.digests:
            step.note = f"same content as {self.digests[step.digest]}"
        self.digests.setdefault(step.digest, src.name)
        if layout not in (None, "video"):
            done = self.ctx.store.plays.imported_files(self.ctx.user, [step.digest]).get(step.digest)
            if done is not None:  # every record of this very content is stored
                self.ctx.report(_task(src), done.records, done.records)
                when = f"{done.imported_at:%Y-%m-%d %H:%M} UTC"
                note = "; ".join(filter(None, (step.note, f"already imported on {when}: all records are stored")))
                step.report = FileReport(
                    file=src.name, layout=layout, status="imported", read=done.records,
                    duplicates=done.records, note=note,
                )  # fmt: skip
                return step
        if src.size <= WORKER_MIN_BYTES // 4:
            step.data = data  # small: keep the bytes rather than read the file again
        return step

    def write(self, step: _Step, prep: Prepared) -> tuple[FileReport, Bad]:
        src, ctx = step.src, self.ctx
        note = "; ".join(filter(None, (step.note, prep.note)))
        if prep.status:
            return FileReport(file=src.name, layout=prep.layout, status=prep.status, videos=prep.records
                              if prep.status == "skipped-video" else 0, note=note), prep.bad  # type: ignore[arg-type]  # fmt: skip
        task, total = _task(src), prep.records
        ctx.report(task, 0, total)
        if prep.ext is not None and prep.ext.plays:
            fast = self._write_extended(step, prep, note)
            if fast is not None:
                return fast
        cands = prep.candidates()
        learnt = self.linker.link(cands)
        found = dedupe(ctx, cands)
        for c in found.fresh:
            c.user = ctx.user
        skipped = len(prep.bad) + found.duplicates
        try:
            inserted = ctx.store.plays.add_rows(
                found.fresh,
                replace=found.replace,
                tracks=learnt,
                remember=self._remember(src, prep),
                progress=lambda n: ctx.report(task, min(total, skipped + n), total),
            )
        except Exception as exc:
            raise _not_stored(src, exc) from exc
        ctx.report(task, total, total)
        imported = inserted - len(found.replace)  # an exact play replacing its minute-precise copy is no new play
        self.skips += sum(1 for c in found.fresh if c.skipped and c.kind == "music")
        return _written(src, prep, imported, note, merged=len(found.replace)), prep.bad

    def _remember(self, src: Source, prep: Prepared) -> tuple[str, ImportedFile] | None:
        """The file to mark fully imported (a re-import then skips it unread); None when some of it was invalid
        or cut off, so the next import reads it again."""
        if prep.bad or prep.salvaged:
            return None
        return self.ctx.user, ImportedFile(prep.digest, src.name, prep.records, self.ctx.clock())

    def _write_extended(self, step: _Step, prep: Prepared, note: str) -> tuple[FileReport, Bad] | None:
        """An extended-history file the fast way: link each distinct item once, recognise stored plays by
        identity, and write the rest as tuples (`PlaysRepo.add_batch`). None when minute-precise plays are stored
        around its times (Account data came first): then every candidate is matched one by one (`dedupe`)."""
        ctx, src, ext = self.ctx, step.src, prep.ext
        assert ext is not None
        plays = ext.plays
        times = [p[0] for p in plays]
        lo, hi = min(times) - 2 * MINUTE, max(times) + 2 * MINUTE
        stored = ctx.store.plays.identities(ctx.user, _dt(lo), _dt(hi))
        if any(not p.exact for p in stored):
            return None
        task, total = _task(src), prep.records
        probes = [
            Candidate(0, 0, 0, i.kind, i.title, i.artist, i.album, i.uri, False, True, {}, i.match_key)
            for i in ext.items
        ]
        learnt = self.linker.link(probes)
        items = [BatchItem(*i[:7], c.track_id) for i, c in zip(ext.items, probes, strict=True)]
        keys = [i.track_key for i in items]
        seen = {(p.played_at, p.track_key) for p in stored if p.seq == 0}
        fresh: list[BatchPlay] = []
        add_fresh, add_seen = fresh.append, seen.add
        for play in plays:
            ident = (play[0], keys[play[1]])
            if ident not in seen:
                add_seen(ident)
                add_fresh(play)
        skipped = total - len(fresh)
        try:
            imported = ctx.store.plays.add_batch(
                PlayBatch(ctx.user, "import", items, ext.extras, fresh),
                tracks=learnt,
                remember=self._remember(src, prep),
                progress=lambda n: ctx.report(task, min(total, skipped + n), total),
            )
        except Exception as exc:
            raise _not_stored(src, exc) from exc
        ctx.report(task, total, total)
        music = [i.kind == "music" for i in items]
        self.skips += sum(1 for p in fresh if p[4] and music[p[1]])
        return _written(src, prep, imported, note), prep.bad

    def summary(self, plan: list[_Step]) -> ImportReport:
        if self.linker.learnt:
            self.ctx.forget("catalog")  # the search index must see the learnt tracks
        files = [step.report for step in plan if step.report is not None]
        problems = [Problem(file=s.src.name, index=i, reason=r) for s in plan for i, r in s.bad]
        history = [f for f in files if f.layout in ("extended", "account-music", "account-podcast")]
        return ImportReport(
            read=sum(f.read for f in history),
            imported=sum(f.imported for f in history),
            duplicates=sum(f.duplicates for f in history),
            invalid=sum(f.invalid for f in history),
            merged=sum(f.merged for f in history),
            skips=self.skips,
            learnt_tracks=self.linker.learnt,
            videos_skipped=sum(f.videos for f in files),
            stored_total=self.ctx.store.plays.count(self.ctx.user),
            files=files,
            problems=problems[:MAX_PROBLEMS],
            problems_not_listed=max(0, len(problems) - MAX_PROBLEMS),
        )


def _written(src: Source, prep: Prepared, imported: int, note: str, *, merged: int = 0) -> FileReport:
    """The report line of a file whose plays were written: the rest of what it read were duplicates."""
    return FileReport(
        file=src.name,
        layout=prep.layout,
        status="salvaged" if prep.salvaged else "imported",
        read=prep.records,
        imported=imported,
        duplicates=prep.records - len(prep.bad) - imported,
        invalid=len(prep.bad),
        merged=merged,
        note=note,
    )


def _task(src: Source) -> str:
    return f"Importing {src.name.rsplit('/', 1)[-1]}"


def _not_stored(src: Path, exc: Exception) -> UpstreamError:
    """A file's plays could not be written: its transaction rolled back, earlier files stay."""
    return UpstreamError(
        f"Could not store the plays of {src.name}: {exc}. Nothing of this file was stored; the files before it were.",
        hint="fix the cause (e.g. free some disk space) and import again: what is stored already is skipped",
    )
