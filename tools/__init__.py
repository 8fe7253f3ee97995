"""EchoTune's capabilities: typed tools over services and stores, free of any agent or protocol framework."""
