"""Loads configuration: config/default.toml -> config/<profile>.toml -> FLASK_* environment -> overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"

DEFAULT_SECRETS = {
    "SECRET_KEY": "dev-secret-key-change-me",
    "SECURITY_PASSWORD_SALT": "dev-password-salt-change-me",
}
DEFAULT_TOTP_SECRET = "dev-totp-secret-change-me"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete for the chosen profile."""


def load(app: Flask, profile: str | None, overrides: dict[str, Any] | None) -> None:
    profile = profile or os.environ.get("ADMIN_APP_PROFILE", "default")
    app.config["PROFILE"] = profile
    app.config.from_file(str(CONFIG_DIR / "default.toml"), load=tomllib.load, text=False)
    if profile != "default":
        app.config.from_file(str(CONFIG_DIR / f"{profile}.toml"), load=tomllib.load, text=False)
    app.config.from_prefixed_env()
    app.config.update(overrides or {})
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    # Flask-Security-Too's catalogues, then ours (admin_app/i18n.py): ours fill the strings theirs leave out.
    app.config["SECURITY_I18N_DIRNAME"] = ["builtin", str(TRANSLATIONS_DIR)]
    _resolve_sqlite_path(app)
    if profile == "production":
        check_production(app.config)


def _resolve_sqlite_path(app: Flask) -> None:
    # A relative sqlite file lands in the instance folder, whatever the working directory.
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and len(uri) > len(prefix):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = prefix + str(Path(app.instance_path) / uri[len(prefix) :])


def check_production(config: dict[str, Any]) -> None:
    problems = [
        f"{key} is missing or still the development default"
        for key, default in DEFAULT_SECRETS.items()
        if not config.get(key) or config.get(key) == default
    ]
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    if DEFAULT_TOTP_SECRET in (config.get("SECURITY_TOTP_SECRETS") or {}).values():
        problems.append("SECURITY_TOTP_SECRETS still holds the development default")
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://") and config.get("RATELIMIT_ENABLED", True):
        problems.append("RATELIMIT_STORAGE_URI is memory:// (each worker would count failed logins on its own)")
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))
