"""Player tools: what is playing, play, pause, skip, seek, volume, shuffle, repeat, the queue and devices.

Each tool works on `ctx.player`: the linked Spotify account, else the local player. Input is validated before
anything is sent (uris and links, volume 0-100, positions), and every answer names the backend that served it.
When Spotify has no active device but one is available, the error carries an offer: the same call with that
device, which the CLI asks about and the agent can propose.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from echotune.tools.derived import on_forget
from echotune.tools.ids import device_ref, looks_like_ref, parse_uri, track_uri, uri_of
from echotune.tools.playback.errors import NoActiveDeviceError
from echotune.tools.playback.models import (
    Backend,
    Device,
    PlaybackState,
    PlayTarget,
    RepeatState,
    TrackItem,
    mmss,
)
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

BACKEND_NAMES = {"spotify": "Spotify", "local": "the local player"}
DEVICE_FIELD = Field(None, min_length=1, max_length=100, description="Device id or name; default: the active device.")


@on_forget
def local_player_history(ctx: Context, user: str) -> None:
    """Deleting a user's history also clears the local player's list of previous tracks."""
    from echotune.tools.playback.local import forget_history

    forget_history(ctx, user)


def on(backend: str) -> str:
    return f"[{BACKEND_NAMES.get(backend, backend)}]"


class PlayerAnswer(BaseModel):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend",)

    backend: Backend = Field(description="Which player answered: spotify (the linked account) or local.")
    message: str = Field(description="What happened, in one sentence.")


def _device(value: str | None) -> str | None:
    return None if value is None else device_ref(value)


@contextmanager
def offering_device(tool_name: str, args: BaseModel) -> Iterator[None]:
    """Turn "no active device, but these are available" into an offer: the same call on the first of them.
    Only for calls that start something (play, resume, queue); pausing or seeking nowhere needs no offer."""
    try:
        yield
    except NoActiveDeviceError as exc:
        devices = exc.details.get("devices") or []
        if devices:
            first = devices[0]
            exc.details["offer"] = {
                "tool": tool_name,
                "args": {**args.model_dump(exclude_none=True, exclude_defaults=True), "device": first["id"]},
                "question": f"Play on {first['name']} ({first['type']})?",
            }
        raise


def target_of(what: str | None, uris: list[str] | None = None, kind: str = "track") -> PlayTarget:
    """A validated play target: uris and links are checked here, before any request; text is searched later."""
    if uris:
        return PlayTarget(uris=tuple(track_uri(u) for u in uris))
    if what is None or not what.strip():
        return PlayTarget()
    if looks_like_ref(what):
        found_kind, id_ = parse_uri(what, ("track", "album", "playlist", "artist"), default=kind)
        if found_kind == "track":
            return PlayTarget(uris=(uri_of("track", id_),))
        prefix = "echotune:" if what.strip().startswith("echotune:") else "spotify:"
        return PlayTarget(context_uri=f"{prefix}{found_kind}:{id_}")
    return PlayTarget(query=what.strip(), query_kind=kind)  # type: ignore[arg-type]


# -- now playing ------------------------------------------------------------------------------------------


class NowPlayingInput(ToolInput):
    pass


class NowPlayingOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "playing")
    playing: PlaybackState | None = Field(None, description="What is playing, where; None when nothing is.")


def describe(state: PlaybackState | None, backend: str) -> str:
    if state is None or state.item is None:
        return f"Nothing is playing. {on(backend)}"
    verb = "Playing" if state.is_playing else "Paused:"
    where = f" on {state.device.name}" if state.device else ""
    return f"{verb} {state.item.label()} ({state.progress}){where}. {on(backend)}"


@tool(
    open_world=True,
    cli=("player", "now"),
    examples=("what's playing", "what song is this", "what is playing right now", "is anything playing"),
)
def player_now_playing(ctx: Context, args: NowPlayingInput) -> NowPlayingOutput:
    """What is playing now: the track, its progress, the device, shuffle and repeat."""
    player = ctx.player
    state = player.playback()
    return NowPlayingOutput(backend=player.backend, message=describe(state, player.backend), playing=state)


# -- play -------------------------------------------------------------------------------------------------


class PlayInput(ToolInput):
    what: str | None = Field(
        None,
        max_length=300,
        description="What to play: words to search ('hey jude', 'bohemian rhapsody queen'), or a Spotify uri or "
        "open.spotify.com link of a track, album, playlist or artist. Empty: resume.",
    )
    kind: Literal["track", "album", "playlist", "artist"] = Field(
        "track", description="What the words name: a track, an album, one of your playlists, or an artist."
    )
    uris: list[str] | None = Field(
        None, max_length=100, description="Several track uris, ids or links to play in this order (instead of what)."
    )
    device: str | None = DEVICE_FIELD

    @model_validator(mode="after")
    def _one_thing(self) -> PlayInput:
        if self.what and self.uris:
            raise ValueError("give either what or uris, not both")
        target_of(self.what, self.uris, self.kind)
        _device(self.device)
        return self

    @property
    def target(self) -> PlayTarget:
        return target_of(self.what, self.uris, self.kind)


class PlayOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "device", "state", "playing", "context_uri")
    device: str | None = Field(None, description="Where it plays, when known.")
    playing: list[TrackItem] = Field(default_factory=list, description="The track(s) started, when known.")
    context_uri: str | None = Field(None, description="The album, playlist or artist started.")
    state: PlaybackState | None = Field(None, description="The player's state after the command, when known.")


@tool(
    effect="act",
    open_world=True,
    cli=("player", "play"),
    cli_args=("what",),
    examples=(
        "play hey jude",
        "play some queen",
        "put on my road trip playlist",
        "play spotify:album:0ETFjACtuP2ADo6LFhL6HN",
        "play bohemian rhapsody on the kitchen speaker",
    ),
)
def player_play(ctx: Context, args: PlayInput) -> PlayOutput:
    """Play a track, album, playlist or artist, found by words or given as a uri or link.
    Several track uris play in order; a device can be chosen by name; with nothing to play, resumes."""
    player = ctx.player
    with offering_device("player_play", args):
        outcome = player.play(args.target, args.device)
    started = (
        outcome.playing[0].label()
        if outcome.playing
        else outcome.context or (f"{len(args.target.uris)} tracks" if args.target.uris else "playback")
    )
    verb = "Resumed" if args.target.is_resume else "Playing"
    where = f" on {outcome.device}" if outcome.device else ""
    return PlayOutput(
        backend=player.backend,
        message=f"{verb} {started}{where}. {on(player.backend)}",
        device=outcome.device,
        playing=outcome.playing,
        context_uri=outcome.context,
        state=outcome.state,
    )


# -- simple controls --------------------------------------------------------------------------------------


class DeviceInput(ToolInput):
    """Input of a control that may name the device to act on (the others subclass it)."""

    device: str | None = DEVICE_FIELD

    @field_validator("device")
    @classmethod
    def _valid(cls, v: str | None) -> str | None:
        return _device(v)


class PlayerActionOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "state")
    state: PlaybackState | None = Field(None, description="The player's state after the command, when known.")


def _answer(ctx: Context, done: str, state: PlaybackState | None) -> PlayerActionOutput:
    backend = ctx.player.backend
    now = f" Now: {state.item.label()}." if state and state.item and done.startswith(("Skipped", "Went")) else ""
    return PlayerActionOutput(backend=backend, message=f"{done}.{now} {on(backend)}", state=state)


@tool(effect="act", open_world=True, cli=("player", "pause"), examples=("pause", "pause the music", "stop playing"))
def player_pause(ctx: Context, args: DeviceInput) -> PlayerActionOutput:
    """Pause playback (pausing what is already paused is fine)."""
    return _answer(ctx, "Paused", ctx.player.pause(args.device))


@tool(effect="act", open_world=True, cli=("player", "resume"), examples=("resume", "continue playing", "unpause"))
def player_resume(ctx: Context, args: DeviceInput) -> PlayerActionOutput:
    """Resume playback where it was paused."""
    with offering_device("player_resume", args):
        return _answer(ctx, "Resumed", ctx.player.resume(args.device))


@tool(effect="act", open_world=True, cli=("player", "next"), examples=("next song", "skip this", "skip"))
def player_next(ctx: Context, args: DeviceInput) -> PlayerActionOutput:
    """Skip to the next track (the queue first, then the album or playlist)."""
    return _answer(ctx, "Skipped to the next track", ctx.player.next(args.device))


@tool(
    effect="act",
    open_world=True,
    cli=("player", "previous"),
    examples=("previous song", "go back", "play the last one again"),
)
def player_previous(ctx: Context, args: DeviceInput) -> PlayerActionOutput:
    """Go back to the previous track (or to the start of this one when it has played a few seconds)."""
    return _answer(ctx, "Went back", ctx.player.previous(args.device))


_POSITION = re.compile(r"^(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)$")


class SeekInput(DeviceInput):
    position: str = Field(
        min_length=1,
        max_length=12,
        description="Where to jump in the current track: seconds ('90') or minutes:seconds ('1:30', '1:02:03').",
    )

    @field_validator("position")
    @classmethod
    def _parse(cls, v: str) -> str:
        position_ms(v)
        return v.strip()


def position_ms(text: str) -> int:
    """'90' -> 90000, '1:30' -> 90000, '1:02:03' -> 3723000; at most 24 hours."""
    match = _POSITION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a position: use seconds ('90') or minutes:seconds ('1:30')")
    parts = [p for p in match.groups() if p is not None]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    if len(parts) > 1 and any(float(p) >= 60 for p in parts[1:]):
        raise ValueError(f"{text!r}: minutes and seconds go up to 59")
    if seconds > 24 * 3600:
        raise ValueError(f"{text!r} is longer than a day")
    return round(seconds * 1000)


@tool(
    effect="act",
    open_world=True,
    cli=("player", "seek"),
    examples=("skip to 1:30", "jump to the 2 minute mark", "go to 45 seconds", "restart the song from 0"),
)
def player_seek(ctx: Context, args: SeekInput) -> PlayerActionOutput:
    """Jump to a position in the current track."""
    ms = position_ms(args.position)
    return _answer(ctx, f"Jumped to {mmss(ms)}", ctx.player.seek(ms, args.device))


class VolumeInput(DeviceInput):
    percent: int = Field(ge=0, le=100, description="Volume from 0 (silent) to 100 (loudest).")


@tool(
    effect="act",
    open_world=True,
    cli=("player", "volume"),
    examples=("set the volume to 40", "turn it down to 20 percent", "volume 80", "mute"),
)
def player_volume(ctx: Context, args: VolumeInput) -> PlayerActionOutput:
    """Set the playback volume, 0-100 percent."""
    return _answer(ctx, f"Volume set to {args.percent}%", ctx.player.volume(args.percent, args.device))


class ShuffleInput(DeviceInput):
    state: Literal["on", "off"] = Field(description="on: play in random order; off: in order.")


@tool(
    effect="act",
    open_world=True,
    cli=("player", "shuffle"),
    examples=("shuffle on", "turn off shuffle", "play in random order"),
)
def player_shuffle(ctx: Context, args: ShuffleInput) -> PlayerActionOutput:
    """Turn shuffle on (play the rest of the album or playlist in random order) or off."""
    return _answer(ctx, f"Shuffle {args.state}", ctx.player.shuffle(args.state == "on", args.device))


class RepeatInput(DeviceInput):
    state: RepeatState = Field(description="off; track: repeat this track; context: repeat the album or playlist.")


@tool(
    effect="act",
    open_world=True,
    cli=("player", "repeat"),
    examples=("repeat this song", "repeat the playlist", "turn off repeat", "loop this track"),
)
def player_repeat(ctx: Context, args: RepeatInput) -> PlayerActionOutput:
    """Set repeat: off, the current track, or the whole album or playlist (context)."""
    return _answer(ctx, f"Repeat {args.state}", ctx.player.repeat(args.state, args.device))


# -- queue ------------------------------------------------------------------------------------------------


class QueueAddInput(ToolInput):
    track: str = Field(
        min_length=1,
        max_length=300,
        description="The track to add: words to search ('yesterday beatles'), or a track uri, id or link.",
    )
    device: str | None = DEVICE_FIELD

    @model_validator(mode="after")
    def _valid(self) -> QueueAddInput:
        if target_of(self.track).context_uri:
            raise ValueError("only tracks can be queued, not an album, playlist or artist")
        _device(self.device)
        return self

    @property
    def target(self) -> PlayTarget:
        return target_of(self.track)


class QueueAddOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "added")
    added: TrackItem


@tool(
    effect="act",
    open_world=True,
    cli=("queue", "add"),
    examples=("queue yesterday by the beatles", "add hey jude to the queue", "play wonderwall next"),
)
def queue_add(ctx: Context, args: QueueAddInput) -> QueueAddOutput:
    """Add a track to the end of the play queue."""
    player = ctx.player
    with offering_device("queue_add", args):
        added = player.queue_add(args.target, args.device)
    return QueueAddOutput(
        backend=player.backend, message=f"Added {added.label()} to the queue. {on(player.backend)}", added=added
    )


class QueueShowInput(ToolInput):
    limit: int = Field(20, ge=1, le=50, description="How many upcoming tracks to list.")


class QueueOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "now_playing")
    now_playing: TrackItem | None = None
    queue: list[TrackItem] = Field(description="What plays next, in order.")


@tool(open_world=True, cli=("queue", "show"), examples=("what's in the queue", "what plays next", "show the queue"))
def queue_show(ctx: Context, args: QueueShowInput) -> QueueOutput:
    """What is playing and what comes next (the queue, then the rest of the album or playlist)."""
    player = ctx.player
    current, upcoming = player.queue(args.limit)
    head = f"Now {current.label()}; " if current else "Nothing is playing; "
    return QueueOutput(
        backend=player.backend,
        message=f"{head}{len(upcoming)} track(s) up next. {on(player.backend)}",
        now_playing=current,
        queue=upcoming,
    )


# -- devices ----------------------------------------------------------------------------------------------


class DevicesInput(ToolInput):
    pass


class DevicesOutput(PlayerAnswer):
    devices: list[Device]


@tool(
    open_world=True,
    cli=("devices", "list"),
    examples=("which devices can play", "list my speakers", "where can I play music", "show devices"),
)
def devices_list(ctx: Context, args: DevicesInput) -> DevicesOutput:
    """The devices that can play (phones, computers, speakers running Spotify; or EchoTune local)."""
    player = ctx.player
    devices = player.devices()
    active = next((d.name for d in devices if d.is_active), None)
    state = f"{active} is active" if active else "none is active"
    return DevicesOutput(
        backend=player.backend,
        message=f"{len(devices)} device(s); {state}. {on(player.backend)}",
        devices=devices,
    )


class TransferInput(ToolInput):
    device: str = Field(min_length=1, max_length=100, description="Device id or name to move playback to.")
    play: bool = Field(True, description="Start playing there (false: keep the current play/pause state).")

    @field_validator("device")
    @classmethod
    def _valid(cls, v: str) -> str:
        return device_ref(v)


class TransferOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "device")
    device: Device


@tool(
    effect="act",
    open_world=True,
    cli=("devices", "transfer"),
    examples=("play on the kitchen speaker", "move the music to my phone", "switch to my laptop"),
)
def devices_transfer(ctx: Context, args: TransferInput) -> TransferOutput:
    """Move playback to another device, by id or name."""
    player = ctx.player
    device = player.transfer(args.device, args.play)
    return TransferOutput(
        backend=player.backend, message=f"Playback moved to {device.name}. {on(player.backend)}", device=device
    )
