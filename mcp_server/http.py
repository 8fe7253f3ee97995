"""Serving over streamable HTTP (`echotune mcp --http`): the SDK's app behind EchoTune's guard.

Bound to 127.0.0.1 by default; any other address requires bearer tokens. Before a request reaches MCP the
guard, outermost, answers:
- 403 when a browser Origin is not allowed (DNS rebinding; the SDK also checks Host and Origin on loopback);
- 401 with `WWW-Authenticate` when the bearer token is missing, unknown or revoked;
- 429 with `Retry-After` when the token is over its per-minute rate (a token bucket per token, per process);
- 403 `insufficient_scope` when a `tools/call` names a tool the token's scope does not cover.
The SDK's own bearer auth (a `TokenVerifier` over the same store) then puts the token on each request, and the
tool handlers act for its user. `/metrics` serves Prometheus metrics and `/healthz` a liveness answer.
"""

from __future__ import annotations

import gc
import ipaddress
import math
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from echotune.mcp_server.auth import Caller, granted, required_scope, verify
from echotune.mcp_server.observe import Metrics, Observer, log
from echotune.tools.errors import NotConfiguredError
from echotune.tools.models import ApiToken

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mcp.server.auth.provider import AccessToken
    from starlette.applications import Starlette

    from echotune.tools.config import Config
    from echotune.tools.context import Context
    from echotune.tools.listings import ToolListing

AsgiScope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

MCP_PATH = "/mcp"
TOKEN_CACHE_SECONDS = 5.0
LOOPBACK_NAMES = ("localhost",)
MAX_BODY = 4 * 1024 * 1024
OPTIONS_ENV = "ECHOTUNE_MCP_HTTP"


@dataclass(frozen=True)
class HttpOptions:
    host: str = "127.0.0.1"
    port: int = 8765
    auth: bool | None = None
    stateless: bool = False
    workers: int = 1
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = None
    log_level: str = "info"
    log_format: str = "text"

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    @property
    def auth_required(self) -> bool:
        """Auth is on when asked for, and always off loopback (refused if explicitly turned off there)."""
        if self.auth is False and not self.loopback:
            raise NotConfiguredError(
                f"Serving on {self.host} without auth would let anyone on the network use EchoTune.",
                hint="drop --no-auth (clients then need a token: echotune mcp token create), or bind to 127.0.0.1",
            )
        return self.auth if self.auth is not None else not self.loopback

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def origin_allowed(origin: str, options: HttpOptions) -> bool:
    """Browsers send Origin; a page from another site must not drive a local server (DNS rebinding)."""
    if origin in options.allowed_origins:
        return True
    if not options.loopback:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")


# -- tokens ---------------------------------------------------------------------------------------------------


class TokenCache:
    """Token records by presented token, cached briefly so each request costs no store read; a revoked token
    is refused within TOKEN_CACHE_SECONDS. Refreshing a token also records when it was last used."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self._cache: dict[str, tuple[float, ApiToken | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, token: str) -> ApiToken | None:
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = verify(self.ctx, token)
        if record is not None:
            self.ctx.store.tokens.touch(record.id, self.ctx.clock())
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token] = (now + TOKEN_CACHE_SECONDS, record)
        return record


def access_token(token: str, record: ApiToken) -> AccessToken:
    from mcp.server.auth.provider import AccessToken

    return AccessToken(
        token=token,
        client_id=record.id,
        scopes=list(granted(record.scope)),
        subject=record.user,
        claims={"scope": record.scope},
    )


def store_verifier(cache: TokenCache) -> Any:
    from mcp.server.auth.provider import TokenVerifier

    class StoreTokenVerifier(TokenVerifier):
        """The SDK's view of EchoTune tokens: the same store, the same cache as the guard."""

        async def verify_token(self, token: str) -> AccessToken | None:
            record = cache.lookup(token)
            return access_token(token, record) if record else None

    return StoreTokenVerifier()


# -- rate limit -----------------------------------------------------------------------------------------------


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """A token bucket per MCP token: up to `rate_per_min` calls at once, refilled at rate_per_min / 60 per
    second. In memory, per process (with --workers N each worker keeps its own buckets)."""

    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def acquire(self, key: str, rate_per_min: int) -> float:
        """0 when the call may proceed, else the seconds until it may."""
        now = self.clock()
        per_second = rate_per_min / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(rate_per_min), at=now)
        bucket.tokens = min(float(rate_per_min), bucket.tokens + (now - bucket.at) * per_second)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / per_second


# -- the guard ------------------------------------------------------------------------------------------------


async def _respond(send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    payload = orjson.dumps(body)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def _header(scope: AsgiScope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def _tool_names(message: Any) -> list[str]:
    items = message if isinstance(message, list) else [message]
    return [
        str(m["params"]["name"])
        for m in items
        if isinstance(m, dict) and m.get("method") == "tools/call" and isinstance(m.get("params"), dict)
        and "name" in m["params"]
    ]  # fmt: skip


class Guard:
    """ASGI middleware in front of the SDK's app: Origin, token, rate limit and scope, each with a clear
    status code and message."""

    def __init__(
        self,
        app: Any,
        *,
        options: HttpOptions,
        tokens: TokenCache | None,
        observer: Observer,
        tools: Mapping[str, ToolListing],
        resource_metadata: str | None = None,
    ):
        self.app = app
        self.options = options
        self.tokens = tokens
        self.tools = tools
        self.observer = observer
        self.limiter = RateLimiter()
        self.resource_metadata = resource_metadata

    def _challenge(self, error: str, description: str, **extra: str) -> dict[str, str]:
        parts = [f'error="{error}"', f'error_description="{description}"']
        parts += [f'{k}="{v}"' for k, v in extra.items()]
        if self.resource_metadata:
            parts.append(f'resource_metadata="{self.resource_metadata}"')
        return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != MCP_PATH:
            return await self.app(scope, receive, send)
        origin = _header(scope, b"origin")
        if origin is not None and not origin_allowed(origin, self.options):
            self.observer.refused("origin", origin=origin)
            return await _respond(send, 403, {"error": "forbidden_origin",
                                              "error_description": f"Origin {origin} may not call this server"})  # fmt: skip
        if self.tokens is None:
            return await self.app(scope, receive, send)

        authorization = _header(scope, b"authorization") or ""
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
        record = self.tokens.lookup(token) if token else None
        if record is None:
            reason = "unknown or revoked token" if token else "missing bearer token"
            self.observer.refused("unauthenticated", detail=reason)
            hint = "send Authorization: Bearer <token>; create one with `echotune mcp token create`"
            return await _respond(send, 401, {"error": "invalid_token", "error_description": f"{reason}: {hint}"},
                                  self._challenge("invalid_token", reason))  # fmt: skip

        wait = self.limiter.acquire(record.id, record.rate_per_min)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            self.observer.refused("rate_limited", token_id=record.id)
            return await _respond(send, 429, {"error": "rate_limited", "error_description":
                                              f"token {record.id} is over {record.rate_per_min} calls per minute; "
                                              f"retry in {retry} s", "retry_after": retry},
                                  {"Retry-After": str(retry)})  # fmt: skip

        if scope["method"] != "POST":
            return await self.app(scope, receive, send)
        body, receive = await _buffer(receive)
        if body is None:
            return await _respond(send, 413, {"error": "payload_too_large",
                                              "error_description": f"request bodies are limited to {MAX_BODY} bytes"})  # fmt: skip
        try:
            message = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            message = None  # the SDK answers with a JSON-RPC parse error
        caller = Caller(user=record.user, scope=record.scope, token_id=record.id)
        for name in _tool_names(message):
            spec = self.tools.get(name)
            if spec is not None and not caller.may_call(spec):
                need = required_scope(spec)
                text = f"{name} needs the {need!r} scope; token {record.id} has {record.scope!r}"
                self.observer.refused("insufficient_scope", token_id=record.id, tool=name)
                return await _respond(
                    send,
                    403,
                    {"error": "insufficient_scope", "error_description": text, "required_scope": need},
                    self._challenge("insufficient_scope", text, scope=" ".join(granted(need))),
                )
        await self.app(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole request body (None when over MAX_BODY), and a receive that replays it to the app behind."""
    chunks: list[bytes] = []
    size = 0
    more = True
    first: dict[str, Any] | None = None
    while more:
        message = await receive()
        if message["type"] != "http.request":
            first = message
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        more = message.get("more_body", False)
    if size > MAX_BODY:
        return None, receive
    body = b"".join(chunks)
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if not replayed:
            replayed = True
            if first is not None:
                return first
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


# -- the app --------------------------------------------------------------------------------------------------


def create_app(ctx: Context, options: HttpOptions, *, metrics: Metrics | None = None) -> Starlette:
    """The whole HTTP app: guard, the SDK's streamable HTTP app with bearer auth when required, /metrics."""
    from mcp.server.auth.settings import AuthSettings
    from pydantic import AnyHttpUrl
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    from echotune.mcp_server.server import build_server, listings

    metrics = metrics or Metrics.create()
    observer = Observer(metrics)
    auth_on = options.auth_required
    tokens = TokenCache(ctx) if auth_on else None
    server_kw: dict[str, Any] = {}
    resource_url = f"{options.base_url}{MCP_PATH}"
    metadata_url = None
    if tokens is not None:
        server_kw["token_verifier"] = store_verifier(tokens)
        server_kw["auth"] = AuthSettings(
            issuer_url=AnyHttpUrl(options.base_url),
            resource_server_url=AnyHttpUrl(resource_url),
            required_scopes=["read"],
            validate_token_resource=False,
        )
        from mcp.server.auth.routes import build_resource_metadata_url

        metadata_url = str(build_resource_metadata_url(AnyHttpUrl(resource_url)))
    tools = listings(ctx)
    warm = threading.Event()  # the warm-up is over (successful or not): /healthz says so
    warmed = threading.Event()  # it succeeded: the tool modules, the store and the catalog are ready
    # Quick tools run on the event loop once nothing they touch can be slow to build; and only on SQLite, a
    # local file, never on a store across the network.
    inline_quick = warmed.is_set if ctx.config.store == "sqlite" else None
    server = build_server(ctx, observer=observer, tools=tools, inline_quick=inline_quick, **server_kw)

    @server.custom_route("/metrics", methods=["GET"])
    async def prometheus(request: Request) -> Response:
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "auth": auth_on, "stateless": options.stateless, "warm": warm.is_set()})

    sdk_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=options.stateless,
        json_response=options.stateless,
        host=options.host,
    )
    sdk_app.add_middleware(Guard, options=options, tokens=tokens, observer=observer, tools=tools,
                           resource_metadata=metadata_url)  # fmt: skip

    def warm_up() -> None:
        """Import the tool modules and build the catalog's search index while the first clients connect, not
        on their first call."""
        from echotune.tools.registry import all_tools

        try:
            all_tools()
            _ = ctx.catalog
            gc.freeze()  # the models and the search index live as long as the server: keep them out of every
            # later collection, whose full passes over them showed as 100-300 ms stalls in the latency tail
            warmed.set()
        finally:
            warm.set()

    threading.Thread(target=warm_up, name="echotune-warmup", daemon=True).start()
    return sdk_app


def worker_app() -> Starlette:
    """uvicorn factory for --workers: each worker process builds its own Context and server."""
    from echotune.mcp_server.events import server_context
    from echotune.mcp_server.logs import configure
    from echotune.tools.config import Config

    spec = orjson.loads(os.environ[OPTIONS_ENV])
    options = HttpOptions(**{**spec["options"], "allowed_origins": tuple(spec["options"]["allowed_origins"])})
    configure(options.log_level, options.log_format)  # type: ignore[arg-type]
    ctx = server_context(Config.model_validate(spec["config"]))
    return create_app(ctx, options)


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the worker processes share, created as TCP explicitly. uvicorn binds its own with protocol 0,
    and asyncio sets TCP_NODELAY only on connections whose socket says TCP: without it every answer's second
    write waited for the client's delayed ACK, 40 ms, so two workers served 45 calls/s at two connections."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def run_http(config: Config, options: HttpOptions) -> None:
    import uvicorn

    from echotune.mcp_server.events import server_context

    auth = options.auth_required  # refuses a public bind without auth before anything starts
    where = f"{options.base_url}{MCP_PATH}"
    log.warning("EchoTune MCP server on %s (auth %s, %s, %d worker(s))", where, "on" if auth else "off",
                "stateless" if options.stateless else "sessions", options.workers,
                extra={"event": "mcp.start", "url": where, "auth": auth, "workers": options.workers})  # fmt: skip
    common: dict[str, Any] = {"host": options.host, "port": options.port, "log_config": None, "access_log": False}
    if options.workers > 1:
        os.environ[OPTIONS_ENV] = orjson.dumps(
            {"options": asdict(options), "config": config.model_dump(mode="json")}
        ).decode()
        from uvicorn.supervisors import Multiprocess

        config_ = uvicorn.Config("echotune.mcp_server.http:worker_app", factory=True, workers=options.workers, **common)
        Multiprocess(config_, sockets=[listening_socket(options.host, options.port)]).run()
        return
    ctx = server_context(config)
    try:
        uvicorn.run(create_app(ctx, options), **common)
    finally:
        ctx.close()
