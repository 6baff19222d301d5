"""Layered configuration: defaults -> TOML file (``BRIDGE_CONFIG``) -> ``BRIDGE_*`` environment
-> an explicit mapping. This is the only module that reads ``os.environ``.

Everything is validated at once; :class:`~bridge.errors.ConfigError` lists every problem.
"""

from __future__ import annotations

import os
import secrets
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError

ENV_PREFIX = "BRIDGE_"
# environment variables with the prefix that are not settings
_ENV_NOT_SETTINGS = {"BRIDGE_CONFIG"}
_DB_SCHEMES = ("sqlite", "mysql+pymysql", "mysql", "mariadb+pymysql", "postgresql")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass
class Settings:
    """Every configuration key with its default. ``config/bridge.example.toml`` documents them."""

    database_url: str = ""  # empty: SQLite file bridge.db in the instance folder
    secret_key: str = ""  # empty: generated once into <instance>/secret.key
    instance_path: str = ""  # empty: ./instance
    company_name: str = "hostbridge"
    default_currency: str = "USD"
    timezone: str = "UTC"
    log_level: str = "INFO"
    sql_echo: bool = False
    testing: bool = False
    serve_host: str = "127.0.0.1"
    serve_port: int = 8080
    serve_workers: int = 2
    plugins_dir: str = ""
    blocked_plugins: list[str] = field(default_factory=list)
    plugin_settings: dict[str, Any] = field(default_factory=dict)
    # [automation] table: defaults of the automation.* runtime settings (docs/automation.md)
    automation: dict[str, Any] = field(default_factory=dict)
    # [api] table: credential_cache (default true; see docs/performance.md)
    api: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict of the settings (secret key masked)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["secret_key"] = "***" if self.secret_key else ""
        return data


_FIELDS = {f.name: f for f in fields(Settings)}


def load_settings(
    mapping: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build validated settings from all layers; raises ConfigError listing every problem."""
    env = os.environ if environ is None else environ
    problems: list[str] = []
    values: dict[str, Any] = {}

    config_file = env.get("BRIDGE_CONFIG", "")
    if config_file:
        values.update(_read_toml(Path(config_file), problems))
    for name, raw in env.items():
        if name.startswith(ENV_PREFIX) and name not in _ENV_NOT_SETTINGS:
            key = name[len(ENV_PREFIX) :].lower()
            if key in _FIELDS:
                values[key] = _from_env(key, raw, problems)
    for key, value in (mapping or {}).items():
        lowered = key.lower()
        if lowered not in _FIELDS:
            problems.append(f"unknown setting {key!r} in the explicit configuration")
            continue
        values[lowered] = value

    settings = Settings()
    for key, value in values.items():
        setattr(settings, key, _coerce(key, value, problems))
    problems.extend(_validate(settings))
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
    return settings


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"BRIDGE_CONFIG names {path}, which does not exist")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path} is not valid TOML: {exc}")
        return {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "plugins" and isinstance(value, dict):
            flat["plugin_settings"] = value  # [plugins.<name>] tables
        elif key in _FIELDS:
            flat[key] = value
        else:
            problems.append(f"{path}: unknown setting {key!r}")
    return flat


def _from_env(key: str, raw: str, problems: list[str]) -> Any:
    kind = _FIELDS[key].type
    if kind == "list[str]":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind == "dict[str, Any]":
        problems.append(
            f"BRIDGE_{key.upper()} cannot be set from the environment; use the TOML file"
        )
        return {}
    return raw


def _coerce(key: str, value: Any, problems: list[str]) -> Any:
    kind = _FIELDS[key].type
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        problems.append(f"{key}: expected true/false, got {value!r}")
        return False
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            problems.append(f"{key}: expected a whole number, got {value!r}")
            return 0
    if kind == "list[str]":
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return [str(v) for v in value]
    if kind == "dict[str, Any]":
        if not isinstance(value, Mapping):
            problems.append(f"{key}: expected a table")
            return {}
        return dict(value)
    return "" if value is None else str(value)


def _validate(settings: Settings) -> list[str]:
    problems = []
    url = settings.database_url
    if url and url.split("://", 1)[0] not in _DB_SCHEMES:
        problems.append(
            f"database_url: unsupported scheme in {url.split('://', 1)[0]!r}; "
            "use sqlite:///path, mysql+pymysql://user:pass@host/db or postgresql://..."
        )
    if len(settings.default_currency) != 3 or not settings.default_currency.isalpha():
        problems.append(
            f"default_currency: expected an ISO code like USD, got {settings.default_currency!r}"
        )
    try:
        zoneinfo.ZoneInfo(settings.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: unknown time zone {settings.timezone!r}")
    if settings.log_level.upper() not in _LOG_LEVELS:
        problems.append(f"log_level: one of {', '.join(_LOG_LEVELS)}, got {settings.log_level!r}")
    if not 0 < settings.serve_port < 65536:
        problems.append(f"serve_port: must be 1-65535, got {settings.serve_port}")
    if settings.serve_workers < 1:
        problems.append(f"serve_workers: must be at least 1, got {settings.serve_workers}")
    if settings.secret_key and len(settings.secret_key) < 16:
        problems.append("secret_key: must be at least 16 characters")
    problems.extend(_validate_api(settings.api))
    return problems


_API_KEYS = {"credential_cache": bool, "count_cache": bool}
_API_KEYS["reference_cache"] = bool  # round 6: settings, currencies, tax rules per worker


def _validate_api(api: Mapping[str, Any]) -> list[str]:
    problems = [f"api.{key}: unknown setting (known: {', '.join(sorted(_API_KEYS))})"
                for key in api if key not in _API_KEYS]
    problems += [f"api.{key}: expected {kind.__name__}, got {api[key]!r}"
                 for key, kind in _API_KEYS.items() if key in api
                 and not isinstance(api[key], kind)]
    return problems


def resolve_paths(settings: Settings) -> Settings:
    """Fill the embedded defaults: instance folder, SQLite file, generated secret key."""
    instance = Path(settings.instance_path or "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    settings.instance_path = str(instance)
    if not settings.database_url:
        settings.database_url = f"sqlite:///{instance / 'bridge.db'}"
    if not settings.secret_key:
        key_file = instance / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        settings.secret_key = key_file.read_text().strip()
    return settings
