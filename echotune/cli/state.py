"""What the CLI knows for one invocation: global flags, and the Context built from them on first use."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from echotune.tools.config import Config
    from echotune.tools.context import Context


@dataclass
class CliState:
    flags: dict[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    debug: bool = False
    json: bool = False
    _context: Context | None = None

    def config(self) -> Config:
        from echotune.tools.config import load_config

        return load_config(self.flags, config_file=self.config_file)

    def context(self) -> Context:
        """The Context for this command, built once; long work draws progress bars on stderr."""
        if self._context is None:
            from echotune.cli.progress import progress_callback
            from echotune.tools.context import Context

            self._context = Context.from_config(self.config(), face="cli", progress=progress_callback())
        return self._context

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
