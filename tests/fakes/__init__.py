"""Real servers on loopback that stand in for outside services in tests (Spotify's Web API, OpenAI-compatible
providers). They speak the real protocols; the real client libraries are pointed at them."""
