"""The echotune:// resources: each one is the JSON output of a read-only registry tool for the caller's user.

This table is the one place that says which tool a resource reads. A resource whose tool is not in the
registry yet (built in parallel by another area) is simply not offered; it appears once the tool is merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.mcpserver.resources import Resource

    from echotune.mcp_server.server import Calls
    from echotune.tools.listings import ToolListing
    from echotune.tools.registry import ToolSpec


@dataclass(frozen=True)
class ResourceSpec:
    uri: str
    tool: str  # the read-only registry tool whose output this resource is
    name: str
    title: str
    args: dict[str, Any] = field(default_factory=dict)


RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec("echotune://settings", "settings_get", "settings", "Your settings"),
    ResourceSpec("echotune://catalog/stats", "catalog_stats", "catalog-stats", "Catalog statistics"),
    ResourceSpec("echotune://player/now-playing", "player_now_playing", "now-playing", "Now playing"),
    ResourceSpec("echotune://history/summary", "history_totals", "history-summary", "Listening history summary"),
    ResourceSpec("echotune://insights/summary", "insights_summary", "insights-summary", "Listening insights"),
)


def offered(tools: Mapping[str, ToolSpec | ToolListing] | None = None) -> list[ResourceSpec]:
    """The resources whose tool exists (and is read-only: reading a resource must change nothing), among the
    given tools (default: the registry's)."""
    if tools is None:
        from echotune.tools.registry import all_tools

        tools = all_tools()
    return [r for r in RESOURCES if r.tool in tools and tools[r.tool].read_only]


def mcp_resources(calls: Calls, tools: Mapping[str, ToolListing]) -> list[Resource]:
    """The MCP resources, described from the tools' listings (no tool module is imported here)."""
    from mcp.server.mcpserver.resources import FunctionResource

    out: list[Resource] = []
    for spec in offered(tools):

        async def read(spec: ResourceSpec = spec) -> str:
            return await calls.read(spec.tool, spec.args)

        out.append(
            FunctionResource(
                uri=spec.uri,
                name=spec.name,
                title=spec.title,
                description=f"{tools[spec.tool].description} (the output of the {spec.tool} tool, as JSON)",
                mime_type="application/json",
                fn=read,
            )
        )
    return out
