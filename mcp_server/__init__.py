"""EchoTune's tools, resources and prompts over the Model Context Protocol.

server.py builds the MCPServer from the tool registry; stdio.py and http.py serve it; auth.py holds tokens and
scopes. Importing this package is cheap: the mcp SDK loads only when a server is built.
"""
