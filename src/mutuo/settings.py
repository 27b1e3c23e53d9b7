"""Typed, frozen settings: defaults < ``mutuo.toml`` < environment < explicit options.

``mutuo.toml`` is read from the working directory (or the file named by
``MUTUO_CONFIG``); its ``[opensearch]`` table uses the same keys as :class:`Settings`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_URL = "embedded://.mutuo/engine"

_ENV = {
    "opensearch_url": "MUTUO_OPENSEARCH_URL",
    "username": "MUTUO_OPENSEARCH_USER",
    "password": "MUTUO_OPENSEARCH_PASSWORD",
    "ca_certs": "MUTUO_OPENSEARCH_CA_CERTS",
    "verify_certs": "MUTUO_OPENSEARCH_VERIFY_CERTS",
    "timeout": "MUTUO_OPENSEARCH_TIMEOUT",
}


@dataclass(frozen=True)
class Settings:
    opensearch_url: str = DEFAULT_URL
    username: str | None = None
    password: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    timeout: float = 30.0

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        values: dict[str, Any] = {}
        values.update(_from_file())
        values.update(_from_env())
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: _coerce(k, v) for k, v in values.items()})


def _from_file() -> dict[str, Any]:
    path = Path(os.environ.get("MUTUO_CONFIG", "mutuo.toml"))
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    section = data.get("opensearch", {})
    return {("opensearch_url" if k == "url" else k): v for k, v in section.items()}


def _from_env() -> dict[str, Any]:
    return {key: os.environ[var] for key, var in _ENV.items() if os.environ.get(var)}


def _coerce(key: str, value: Any) -> Any:
    if key == "verify_certs" and isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ConfigError(f"{_ENV[key]} must be true or false, got {value!r}")
        return value.lower() in ("true", "1", "yes")
    if key == "timeout":
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"timeout must be a number of seconds, got {value!r}") from None
    return value
