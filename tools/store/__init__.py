"""Storage: repository interfaces (base.py) and their backends; `open_store` picks one from the Config."""

from __future__ import annotations

from echotune.tools.config import Config
from echotune.tools.store.base import Store


def open_store(config: Config) -> Store:
    """Open the configured backend, creating and migrating it as needed."""
    if config.store == "sqlite":
        from echotune.tools.store.sqlite import SqliteStore

        return SqliteStore(config.sqlite_path)
    from echotune.tools.errors import NotConfiguredError

    raise NotConfiguredError(
        f"The {config.store!r} store backend is not available in this version.", hint="use ECHOTUNE_STORE=sqlite"
    )
