"""Stand-ins for the tools other branches are building (TOOLNAMES.md), with the input schemas and example
utterances their authors are likely to write. They let the offline model's routing and argument extraction be
tested over the full tool set before those tools are merged; the real ones replace them automatically (the
offline model reads whatever tools it is given). Only for tests: they are never registered."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, ConfigDict, Field, create_model

Period = Literal["week", "month", "year", "all"]


def _tool(tool_name: str, effect: str, doc: str, examples: tuple[str, ...], **fields: Any) -> StructuredTool:
    name = tool_name
    model = create_model(  # type: ignore[call-overload]
        f"{name.title().replace('_', '')}Input", __config__=ConfigDict(extra="forbid"), **fields
    )

    def run(**kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError(name)

    return StructuredTool(
        name=name,
        description=doc,
        args_schema=model,
        func=run,
        metadata={"effect": effect, "examples": list(examples)},
    )


def F(default: Any = ..., description: str = "x", **kw: Any) -> Any:
    return Field(default, description=description, **kw)


TRACKS = (list[str], F(description="Track ids, spotify:track uris or links.", min_length=1, max_length=100))
OPT_TRACK = (str | None, F(None, "Track id or uri; default: the one playing now."))
LIMIT = (int, F(10, "How many to return.", ge=1, le=50))
PERIOD = (Period, F("month", "Which period: the last week, month, year, or all time."))


def planned_tools() -> list[StructuredTool]:
    """Stand-ins for the planned tools the registry does not have yet (merged ones are the real thing)."""
    from echotune.tools.registry import all_tools

    return [t for t in _all_planned() if t.name not in all_tools()]


def _all_planned() -> list[StructuredTool]:
    return [
        _tool(
            "history_import",
            "act",
            "Import Spotify streaming history export files (JSON or the zip).",
            (
                "import my spotify history from ~/Downloads/my_spotify_data.zip",
                "load my streaming history export",
                "import endsong_0.json",
            ),
            paths=(list[str], F(description="Files or folders to import.", min_length=1)),
        ),
        _tool(
            "history_top",
            "read",
            "Your most played tracks, artists or genres over a period.",
            (
                "what are my top artists this year",
                "my most played songs last month",
                "top genres of all time",
                "which songs did I listen to most",
            ),
            kind=(Literal["tracks", "artists", "genres"], F("tracks", "What to rank.")),
            period=PERIOD,
            limit=LIMIT,
        ),
        _tool(
            "history_clock",
            "read",
            "When you listen: plays by hour of day and by weekday.",
            ("what time of day do I listen to music", "which weekday do I listen the most", "my listening clock"),
            period=PERIOD,
        ),
        _tool(
            "history_recent",
            "read",
            "The tracks you played most recently.",
            ("what did I listen to recently", "show my recently played tracks", "last songs I played"),
            limit=LIMIT,
        ),
        _tool(
            "history_search",
            "read",
            "Search your listening history for a track or artist.",
            ("did I ever listen to hey jude", "when did I last play queen", "how many times have I played halo"),
            query=(str, F(description="Title or artist words.", min_length=1)),
            limit=LIMIT,
        ),
        _tool(
            "history_sessions",
            "read",
            "Your listening sessions: continuous stretches of plays.",
            ("show my listening sessions", "what was my longest listening session"),
            period=PERIOD,
        ),
        _tool(
            "history_totals",
            "read",
            "Totals: listening time, distinct tracks and artists, skip rate.",
            (
                "how much music did I listen to this year",
                "how many different artists have I heard",
                "what is my skip rate",
            ),
            period=PERIOD,
        ),
        _tool(
            "history_discoveries",
            "read",
            "New artists and tracks you discovered, per month.",
            ("which new artists did I discover this year", "my discoveries per month"),
            months=(int, F(12, "How many months back.", ge=1, le=120)),
        ),
        _tool(
            "insights_summary",
            "read",
            "A short summary of your listening: habits, diversity, taste over time.",
            ("summarise my listening habits", "give me insights about my taste", "what kind of listener am I"),
            period=PERIOD,
        ),
        _tool(
            "insights_report",
            "read",
            "Write an HTML report with charts of your listening.",
            ("make me an html report of my listening", "create a listening report with charts"),
            path=(str | None, F(None, "Where to write the HTML file.")),
        ),
        _tool(
            "history_export",
            "read",
            "Export your listening history to a JSON or CSV file.",
            ("export my listening history as csv", "download my history as json"),
            format=(Literal["json", "csv"], F("json", "File format.")),
            path=(str | None, F(None, "Output file.")),
        ),
        _tool(
            "history_delete",
            "destroy",
            "Delete your listening history (all of it, or plays before a date).",
            ("delete my listening history", "erase all my plays", "forget everything I listened to before 2020"),
            before=(str | None, F(None, "Only plays before this date (YYYY-MM-DD).")),
        ),
        _tool(
            "recommend_tracks",
            "read",
            "Recommend tracks: like seed tracks or artists, from a free-text description, or from your taste.",
            (
                "recommend something like hey jude",
                "suggest songs for a rainy sunday",
                "songs similar to bohemian rhapsody",
                "what should I listen to next",
                "music for running",
            ),
            seeds=(list[str], F([], "Seed track ids or titles to find similar tracks.")),
            seed_artists=(list[str], F([], "Seed artists to find similar music.")),
            text=(str | None, F(None, "Free-text description: mood, activity, genre.")),
            from_history=(bool, F(False, "Use what you played recently as the seed.")),
            limit=LIMIT,
        ),
        _tool(
            "recommend_feedback",
            "act",
            "Tell the recommender you like, dislike or skipped a track.",
            ("I love this song", "I don't like this track", "thumbs down", "more like this please"),
            kind=(Literal["like", "dislike", "skip"], F(description="Your reaction.")),
            track=OPT_TRACK,
        ),
        _tool(
            "recommend_playlist",
            "act",
            "Make a playlist of recommended tracks like seeds or a description.",
            ("make a playlist of 20 songs like hey jude", "create a running playlist with 15 upbeat songs"),
            name=(str | None, F(None, "Playlist name.")),
            seeds=(list[str], F([], "Seed tracks.")),
            text=(str | None, F(None, "Description.")),
            size=(int, F(20, "Number of tracks.", ge=1, le=100)),
        ),
        _tool(
            "analytics_ab",
            "read",
            "Results of the recommendation A/B test: variants and their like rates.",
            ("how is the ab test doing", "show the experiment results"),
        ),
        _tool(
            "analytics_system",
            "read",
            "System analytics: tool calls, latency p50/p95, error rate, tokens, cost.",
            (
                "how many tool calls today",
                "what is the p95 latency",
                "how much have I spent on tokens",
                "show system analytics",
            ),
            period=PERIOD,
        ),
        _tool(
            "spotify_search",
            "read",
            "Search Spotify for tracks, artists, albums or playlists.",
            ("search spotify for daft punk", "find get lucky on spotify"),
            query=(str, F(description="Search words.", min_length=1)),
            kind=(Literal["track", "artist", "album", "playlist"], F("track", "What to search for.")),
        ),
        _tool(
            "player_now_playing",
            "read",
            "What is playing now, on which device, and the position.",
            ("what's playing", "what song is this", "what am I listening to"),
        ),
        _tool(
            "player_play",
            "act",
            "Start playback: given tracks, or resume the current context.",
            ("play hey jude", "put on some queen", "play bohemian rhapsody by queen"),
            tracks=(list[str] | None, F(None, "Tracks to play; none = resume.")),
        ),
        _tool("player_pause", "act", "Pause playback.", ("pause", "stop the music", "pause the song")),
        _tool("player_resume", "act", "Resume playback.", ("resume", "continue playing", "unpause")),
        _tool("player_next", "act", "Skip to the next track.", ("next song", "skip this track", "skip")),
        _tool("player_previous", "act", "Go back to the previous track.", ("previous song", "go back one track")),
        _tool(
            "player_seek",
            "act",
            "Jump to a position in the current track.",
            ("jump to 1:30", "seek to 45 seconds", "skip to two minutes in"),
            position_ms=(int, F(description="Position in milliseconds.", ge=0)),
        ),
        _tool(
            "player_volume",
            "act",
            "Set the playback volume.",
            ("volume 40", "set the volume to 70 percent", "turn it down to 20"),
            volume_percent=(int, F(description="Volume, 0-100.", ge=0, le=100)),
        ),
        _tool(
            "player_shuffle",
            "act",
            "Turn shuffle on or off.",
            ("shuffle on", "turn off shuffle"),
            state=(bool, F(description="True = shuffle on.")),
        ),
        _tool(
            "player_repeat",
            "act",
            "Set repeat: the track, the context (album/playlist) or off.",
            ("repeat this song", "turn off repeat", "loop the playlist"),
            state=(Literal["track", "context", "off"], F(description="Repeat mode.")),
        ),
        _tool(
            "queue_add",
            "act",
            "Add tracks to the playback queue.",
            ("queue hey jude", "add this to the queue", "play halo next"),
            tracks=TRACKS,
        ),
        _tool(
            "queue_show", "read", "Show the playback queue.", ("what's in the queue", "show the queue", "what's next")
        ),
        _tool(
            "devices_list", "read", "List the devices you can play on.", ("list my devices", "which speakers can I use")
        ),
        _tool(
            "devices_transfer",
            "act",
            "Move playback to another device.",
            ("play on the kitchen speaker", "move the music to my phone"),
            device=(str, F(description="Device name or id.")),
        ),
        _tool(
            "playlists_list",
            "read",
            "List your playlists.",
            ("show my playlists", "what playlists do I have"),
            limit=LIMIT,
        ),
        _tool(
            "playlist_create",
            "act",
            "Create a new, empty playlist.",
            ("create a playlist called road trip", "make a new playlist named chill"),
            name=(str, F(description="Playlist name.", min_length=1)),
            description=(str | None, F(None, "Playlist description.")),
        ),
        _tool(
            "playlist_add_tracks",
            "act",
            "Add tracks to one of your playlists.",
            ("add hey jude to my road trip playlist", "put this song on my chill playlist"),
            playlist=(str, F(description="Playlist id or name.")),
            tracks=TRACKS,
        ),
        _tool(
            "playlist_remove_tracks",
            "act",
            "Remove tracks from one of your playlists.",
            ("remove hey jude from my road trip playlist", "take this song off the chill playlist"),
            playlist=(str, F(description="Playlist id or name.")),
            tracks=TRACKS,
        ),
        _tool(
            "playlist_items",
            "read",
            "The tracks in one of your playlists.",
            ("what's in my road trip playlist", "show the songs on my chill playlist"),
            playlist=(str, F(description="Playlist id or name.")),
        ),
        _tool(
            "library_saved",
            "read",
            "Your saved (liked) tracks.",
            ("show my liked songs", "my saved tracks"),
            limit=LIMIT,
        ),
        _tool(
            "library_save",
            "act",
            "Save tracks to your library (liked songs).",
            ("save this song", "add hey jude to my liked songs"),
            tracks=TRACKS,
        ),
        _tool(
            "library_remove",
            "act",
            "Remove tracks from your library.",
            ("remove this from my liked songs", "unsave hey jude"),
            tracks=TRACKS,
        ),
        _tool(
            "library_top",
            "read",
            "Your top artists or tracks according to Spotify.",
            ("my top artists on spotify", "spotify top tracks"),
            kind=(Literal["tracks", "artists"], F("tracks", "What to list.")),
            time_range=(Literal["short_term", "medium_term", "long_term"], F("medium_term", "Period.")),
        ),
        _tool(
            "library_recent",
            "read",
            "What you played recently on Spotify.",
            ("recently played on spotify",),
            limit=LIMIT,
        ),
        _tool(
            "spotify_sync",
            "act",
            "Sync your Spotify library and recent plays into EchoTune.",
            ("sync my spotify", "synchronise my spotify library"),
        ),
    ]


class Case(BaseModel):
    text: str
    tool: str | None  # None: no tool (a reply, question or refusal)
    args: dict[str, Any] = {}
