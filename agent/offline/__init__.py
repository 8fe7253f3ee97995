"""The offline provider: a deterministic chat model that maps requests to tool calls and writes answers from
their results, with no key and no network.

    model.py     OfflineChatModel, the LangChain chat model (bind_tools, streaming)
    router.py    which tool: intent rules + MiniLM similarity to each tool's examples; plans, questions, refusals
    extract.py   the arguments, from each tool's input schema plus a few named extractors
    entities.py  tracks, artists and genres from the catalog;  periods.py  "last month", "letzte Woche", ...
    answer.py    answers written from tool results;  lexicon.py  the words it knows
    embed.py     all-MiniLM-L6-v2 in numpy (no torch import);  toolinfo.py  what it reads from bound tools
"""

from echotune.agent.offline.model import OfflineChatModel

__all__ = ["OfflineChatModel"]
