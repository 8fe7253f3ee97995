"""Configuration precedence (flags > ECHOTUNE_* env > TOML file > defaults) and clear errors naming the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from echotune.tools.config import default_data_dir, load_config
from echotune.tools.errors import NotConfiguredError


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config(environ={}, config_file=tmp_path / "absent.toml")
    assert (cfg.store, cfg.user, cfg.data_dir, cfg.sources) == ("sqlite", "default", default_data_dir(), {})


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('user = "from-file"\nstore = "sqlite"\nredis_url = "redis://file"\ndata_dir = "/tmp/file"\n')
    env = {"ECHOTUNE_USER": "from-env", "ECHOTUNE_REDIS_URL": "redis://env"}
    cfg = load_config({"user": "from-flag", "data_dir": None}, environ=env, config_file=file)
    assert cfg.user == "from-flag" and cfg.sources["user"] == "--user"
    assert cfg.redis_url == "redis://env" and cfg.sources["redis_url"] == "ECHOTUNE_REDIS_URL"
    assert cfg.data_dir == Path("/tmp/file") and cfg.sources["data_dir"] == str(file)


def test_config_file_from_env(tmp_path: Path) -> None:
    file = tmp_path / "elsewhere.toml"
    file.write_text('user = "carol"\n')
    assert load_config(environ={"ECHOTUNE_CONFIG": str(file)}).user == "carol"


def test_bad_value_names_its_source(tmp_path: Path) -> None:
    with pytest.raises(NotConfiguredError, match="from ECHOTUNE_STORE"):
        load_config(environ={"ECHOTUNE_STORE": "postgres"}, config_file=tmp_path / "x.toml")
    with pytest.raises(NotConfiguredError, match="needs a MongoDB URI"):
        load_config(environ={"ECHOTUNE_STORE": "mongo"}, config_file=tmp_path / "x.toml")


def test_bad_file(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text("user = \n")
    with pytest.raises(NotConfiguredError, match="not valid TOML"):
        load_config(environ={}, config_file=file)
    file.write_text('colour = "blue"\n')
    with pytest.raises(NotConfiguredError, match="Unknown key") as info:
        load_config(environ={}, config_file=file)
    assert "data_dir" in info.value.hint
