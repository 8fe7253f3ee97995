"""The LangGraph agent that orchestrates EchoTune's tools in a conversation."""
