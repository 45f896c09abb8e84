"""The operation registry: every operation declared once, complete, and the lists' actions derived from it."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale

from admin_app.services.operations import DECLARED, OPERATIONS, Operation, offered_on

LANGUAGES = ["es_ES", "fr_FR", "de_DE", "pt_BR", "ja_JP", "ar"]


def test_every_operation_is_declared_once_and_complete(app: Flask) -> None:
    assert len(OPERATIONS) == len(DECLARED)
    for operation in DECLARED:
        assert operation.capability in {"moderate", "assign", "edit", "apply", "suspend"}, operation.name
        assert operation.undo is not None or operation.why_final is not None, f"{operation.name}: undo or why not"
        assert operation in offered_on(operation.selects)
        assert callable(operation.count) and callable(operation.apply)


def texts(operation: Operation) -> list[str]:
    said = [str(operation.label), str(operation.title), operation.question(3), operation.result(3)]
    return said + ([str(operation.why_final)] if operation.why_final is not None else [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_operation_speaks_every_language(app: Flask, language: str) -> None:
    with app.test_request_context():
        for operation in DECLARED:
            with force_locale("en"):
                english = texts(operation)
            with force_locale(language):
                translated = texts(operation)
            for text, original in zip(translated, english, strict=True):
                assert text != original, f"{operation.name} in {language}: {original!r} is not translated"
            assert "3" in translated[2] and "3" in translated[3]


def test_the_lists_actions_are_the_registrys(app: Flask) -> None:
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    for endpoint in ("comment", "post", "user", "member"):
        view = views[endpoint]
        offered = {operation.action: operation for operation in offered_on(view.model)}
        assert view.operations == offered
        actions = dict(view._actions)
        for name, operation in offered.items():
            assert str(actions[name]) == str(operation.label)
            assert view.action_capability(name) == operation.capability
