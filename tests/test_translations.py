"""The catalogues: the committed template matches the code, and every language translates every message of every
catalogue we ship, not fuzzy, with the same placeholders and the language's number of plural forms."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import flask_admin
import flask_security
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from babel.support import Translations

from admin_app.config import CONFIG_DIR, TRANSLATIONS_DIR

ROOT = TRANSLATIONS_DIR.parent
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def shipped_languages() -> list[str]:
    import tomllib

    languages = tomllib.loads((CONFIG_DIR / "default.toml").read_text())["LANGUAGES"]
    return [code for code in languages if code != "en"]


def catalogue_dir(code: str) -> Path:
    """Where gettext finds a locale's catalogues: its own folder, else its language's (es_ES -> es)."""
    for name in (code, code.partition("_")[0]):
        if (TRANSLATIONS_DIR / name).is_dir():
            return TRANSLATIONS_DIR / name
    raise AssertionError(f"no folder under translations/ for {code}")


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> list[str]:
    return sorted(name or spec for name, spec in ((m.group(1), m.group(0)) for m in PLACEHOLDER.finditer(text)))


def problems_of(message: Message, catalogue: Catalog) -> list[str]:
    label = message.id if isinstance(message.id, str) else message.id[0]
    if message.fuzzy:
        return [f"{label!r} is fuzzy"]
    if isinstance(message.id, str):
        if not message.string:
            return [f"{label!r} is not translated"]
        if placeholders(message.string) != placeholders(message.id):
            return [f"{label!r}: placeholders {placeholders(message.string)} != {placeholders(message.id)}"]
        return []
    forms = list(message.string)
    if len(forms) != catalogue.num_plurals:
        return [f"{label!r}: {len(forms)} plural forms, the language has {catalogue.num_plurals}"]
    if not all(forms):
        return [f"{label!r}: a plural form is empty"]
    allowed = set(placeholders(message.id[1])) | set(placeholders(message.id[0]))
    found = []
    for form in forms:
        if not set(placeholders(form)) <= allowed:
            found.append(f"{label!r}: unknown placeholder in {form!r}")
    if placeholders(forms[-1]) != placeholders(message.id[1]):  # the "other" form carries every placeholder
        found.append(f"{label!r}: the last plural form lacks placeholders of {message.id[1]!r}")
    return found


def test_the_committed_template_is_what_the_code_extracts(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
            "-k", "lazy_ngettext:1,2", "-k", "_n:1,2", "--add-comments=Translators:", "-o", str(fresh), ".",
        ],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    committed = {m.id for m in read(TRANSLATIONS_DIR / "messages.pot") if m.id}
    extracted = {m.id for m in read(fresh) if m.id}
    assert extracted == committed, "run `make i18n-update` and translate what is new"


@pytest.mark.parametrize("code", shipped_languages())
def test_every_message_is_translated(code: str) -> None:
    template = [m for m in read(TRANSLATIONS_DIR / "messages.pot") if m.id]
    catalogue = read(catalogue_dir(code) / "LC_MESSAGES" / "messages.po", locale=code)
    problems = []
    for wanted in template:
        message = catalogue.get(wanted.id if isinstance(wanted.id, str) else wanted.id[0])
        if message is None:
            problems.append(f"{wanted.id!r} is missing")
        else:
            problems.extend(problems_of(message, catalogue))
    assert not problems, "\n".join(problems)


LIBRARY_TEMPLATES = {
    "admin": Path(flask_admin.__file__).parent / "translations" / "en" / "LC_MESSAGES" / "admin.po",
    "flask_security": Path(flask_security.__file__).parent / "translations" / "flask_security.pot",
}


def library_translated(domain: str, code: str) -> set[str]:
    """The messages the library's compiled catalogue translates, found as gettext finds them at run time (some
    libraries ship .mo files older than their .po: the .mo is what counts)."""
    base = LIBRARY_TEMPLATES[domain].parents[2 if domain == "admin" else 0]
    compiled = Translations.load(str(base), [code], domain)
    catalogue = getattr(compiled, "_catalog", {})
    return {key if isinstance(key, str) else key[0] for key, value in catalogue.items() if key and value}


@pytest.mark.parametrize("code", shipped_languages())
@pytest.mark.parametrize("domain", ["admin", "flask_security"])
def test_the_libraries_catalogues_with_our_additions_cover_their_messages(code: str, domain: str) -> None:
    """Flask-Admin's and Flask-Security-Too's strings: translated by their catalogue or, where it has a gap, by
    ours (translations/<language>/LC_MESSAGES/<domain>.po), which must then be complete and correct itself."""
    theirs = library_translated(domain, code)
    ours_path = catalogue_dir(code) / "LC_MESSAGES" / f"{domain}.po"
    ours = read(ours_path, locale=code) if ours_path.exists() else None
    problems = []
    for wanted in read(LIBRARY_TEMPLATES[domain]):
        if not wanted.id:
            continue
        key = wanted.id if isinstance(wanted.id, str) else wanted.id[0]
        if key in theirs:
            continue
        mine = ours.get(key) if ours else None
        if mine is None:
            problems.append(f"{key!r} is translated by neither catalogue")
        else:
            problems.extend(problems_of(mine, ours))  # type: ignore[arg-type]
    extras = [message for message in ours or () if message.id and message.id not in read(LIBRARY_TEMPLATES[domain])]
    problems.extend(problem for message in extras for problem in problems_of(message, ours))  # type: ignore[arg-type]
    assert not problems, "\n".join(problems)


def test_plural_forms_match_the_language() -> None:
    for code in shipped_languages():
        catalogue = read(catalogue_dir(code) / "LC_MESSAGES" / "messages.po", locale=code)
        assert catalogue.num_plurals == Catalog(locale=code).num_plurals, code
