"""Playback: one player interface (backend.py) implemented twice, over Spotify's Web API (spotify.py, with
spotify_api.py for resilience and spotify_auth.py for the PKCE login) and over the catalog (local.py).
The tools in tools/player.py, playlists.py, library.py and spotify.py use whichever `ctx.player` is."""
