"""`echotune spotify login` and `logout`: linking an account is about this installation, not a tool a model
calls (it needs a person at a browser), so these two are hand-written; `spotify search` and `spotify sync` are
registry tools in the same group."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from echotune.cli.app import group, state_of

spotify = group("spotify")


@spotify.command()
def login(
    ctx: typer.Context,
    paste: Annotated[
        bool,
        typer.Option(help="Paste the address the browser lands on (for a machine without a browser, e.g. over SSH)."),
    ] = False,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the address instead of opening it.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the browser to come back.", min=5)] = 300,
    json_out: Annotated[bool, typer.Option("--json", help="Print the linked account as JSON.")] = False,
) -> None:
    """Link your Spotify account (OAuth with PKCE: no client secret is stored).

    Needs your app's client id (ECHOTUNE_SPOTIFY_CLIENT_ID) and its redirect URI registered in the app's
    settings (default http://127.0.0.1:8888/callback)."""
    import webbrowser

    from echotune.cli.render import render
    from echotune.tools.playback.spotify_auth import login as do_login

    state = state_of(ctx)
    state.json = json_out
    config = state.config()

    def open_url(url: str) -> None:
        print(f"Open this address to let EchoTune use your Spotify account:\n  {url}", file=sys.stderr)
        if not (no_browser or paste):
            webbrowser.open(url)
        if not paste:
            print(f"Waiting for Spotify to redirect to {config.spotify_redirect_uri} …", file=sys.stderr)

    account = do_login(config, open_url, receive="paste" if paste else "loopback", timeout_s=timeout)
    if not json_out:
        who = account.display_name or account.user_id or "your account"
        print(f"Linked Spotify: {who}. Playback now goes to Spotify.", file=sys.stderr)
    render(account, as_json=json_out)


@spotify.command()
def logout(ctx: typer.Context) -> None:
    """Forget the linked Spotify account (deletes the token cache); playback goes back to the local player."""
    from echotune.tools.playback.spotify_auth import logout as do_logout

    config = state_of(ctx).config()
    if do_logout(config):
        print(
            "Unlinked Spotify: the token cache is deleted; the local player is in use.\n"
            "To revoke EchoTune's access on Spotify's side too: https://www.spotify.com/account/apps/",
            file=sys.stderr,
        )
    else:
        print("No Spotify account was linked.", file=sys.stderr)
