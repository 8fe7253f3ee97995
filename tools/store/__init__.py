"""Storage: repository interfaces (base.py) and their backends; `open_store` picks one from the Config."""

from __future__ import annotations

from echotune.tools.config import Config
from echotune.tools.store.base import Store


def open_store(config: Config) -> Store:
    """Open the configured backend, creating and migrating it as needed."""
    if config.store == "sqlite":
        from echotune.tools.store.sqlite import SqliteStore

        return SqliteStore(config.sqlite_path)
    try:
        from echotune.tools.store.mongo import MongoStore
    except ImportError as exc:  # pymongo is the [mongo] extra
        from echotune.tools.errors import NotConfiguredError

        raise NotConfiguredError(
            f"store='mongo' needs pymongo ({exc.name} is missing)", hint="pip install 'echotune[mongo]'"
        ) from exc
    assert config.mongo_uri is not None  # Config refuses store='mongo' without a URI
    return MongoStore(config.mongo_uri, config.mongo_db)
