"""Configuration precedence and the production profile's refusals."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

import pytest

from admin_app import create_app
from admin_app.config import ConfigError

SAFE = {
    "SECRET_KEY": "a-real-secret",
    "SECURITY_PASSWORD_SALT": "a-real-salt",
    "SECURITY_TOTP_SECRETS": {"1": "a-real-totp-secret"},
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
}


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "a-real-secret"}, "SECURITY_PASSWORD_SALT"),
        ({**SAFE, "SECURITY_PASSWORD_SALT": ""}, "SECURITY_PASSWORD_SALT"),
        ({**SAFE, "DEBUG": True}, "DEBUG"),
        ({**SAFE, "SECURITY_TOTP_SECRETS": {"1": "a-real-one", "2": "dev-totp-secret-change-me"}}, "TOTP_SECRETS"),
        ({**SAFE, "RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        create_app("production", **overrides)


def test_production_starts_with_real_secrets_and_secure_cookies() -> None:
    app = create_app("production", **SAFE)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SECURITY_PASSWORD_HASH"] == "argon2"


def test_environment_overrides_files_and_arguments_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ADMIN_EXACT_COUNT_LIMIT", "123")
    assert create_app("testing").config["ADMIN_EXACT_COUNT_LIMIT"] == 123
    assert create_app("testing", ADMIN_EXACT_COUNT_LIMIT=7).config["ADMIN_EXACT_COUNT_LIMIT"] == 7


def test_a_relative_sqlite_file_lands_in_the_instance_folder() -> None:
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite:///relative.sqlite")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/relative.sqlite"


# Where a configuration key may be read: our code and templates, or the library it configures (Flask-Security
# names its keys without their SECURITY_ prefix).
READERS = ("admin_app", "flask", "flask_security", "flask_limiter", "flask_babel", "flask_sqlalchemy", "flask_wtf",
           "flask_login", "config/gunicorn.conf.py")  # fmt: skip


ROOT = Path(__file__).resolve().parent.parent


def sources() -> str:
    texts = []
    for reader in READERS:
        spec = importlib.util.find_spec(reader) if "/" not in reader else None
        where = Path(spec.origin).parent if spec and spec.origin and reader != "admin_app" else ROOT / reader
        files = [where] if where.is_file() else [*where.rglob("*.py"), *where.rglob("*.html")]
        texts += [file.read_text(encoding="utf-8") for file in files]
    return "\n".join(texts)


def test_every_configuration_key_is_read_by_something() -> None:
    text = sources()
    unread = []
    for profile in sorted((ROOT / "config").glob("*.toml")):
        for key in tomllib.loads(profile.read_text(encoding="utf-8")):
            names = {key, key.removeprefix("SECURITY_")}
            if not any(f'"{name}"' in text or f"'{name}'" in text or f".{name}" in text for name in names):
                unread.append(f"{profile.name}: {key}")
    assert unread == []
