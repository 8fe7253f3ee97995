"""EchoTune: a conversational music agent and MCP tool server."""

__version__ = "0.1.0"
