"""The words Flask-Admin's JavaScript widgets show, in the page's language: select2's messages and the date pickers'
names and buttons (static/widget-locale.js applies them; app_base.html hands them over in a data attribute).

Flask-Admin vendors select2 3.5.2 and moment without their locale files, and its form.js passes the pickers no
locale, so every widget spoke English. Month and day names and the first day of the week come from Babel (CLDR),
the rest from the catalogues: ours (messages) and Flask-Admin's (admin) for "Apply" and "Cancel".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import flask_babel
from babel import Locale
from babel.core import get_global
from babel.dates import get_day_names, get_month_names
from flask_admin.babel import gettext as admin_gettext
from flask_admin.helpers import get_current_view
from flask_babel import get_locale, gettext


def _n(singular: str, plural: str) -> tuple[str, str]:
    """Marks a plural pair for extraction (`make i18n-extract` reads ``_n:1,2``); plurals() translates it."""
    return singular, plural


# select2's count-dependent messages: widget-locale.js picks the form for the number (Intl.PluralRules, the same
# CLDR categories as Babel's) and writes the number in for %(num)s.
SELECT2_PLURALS = {
    "inputTooShort": _n("Please enter %(num)s more character", "Please enter %(num)s more characters"),
    "inputTooLong": _n("Please delete %(num)s character", "Please delete %(num)s characters"),
    "selectionTooBig": _n("You can only select %(num)s item", "You can only select %(num)s items"),
    "matches": _n(
        "%(num)s result is available, press Enter to select it.",
        "%(num)s results are available, use the up and down arrow keys to navigate.",
    ),
}


def strings() -> dict[str, Any] | None:
    """Everything widget-locale.js needs for the request's language, as JSON-ready data; None outside Flask-Admin's
    views (error pages), which have no widgets. Not asked there for a reason: Flask-Admin's domain keeps a language's
    catalogue for good from its first use, and adds our admin-domain additions only when that use is in a view."""
    if get_current_view() is None:
        return None
    locale = get_locale() or Locale.parse("en")
    return {
        "select2": {
            "noMatches": gettext("No matches found"),
            "searching": gettext("Searching…"),
            "loadMore": gettext("Loading more results…"),
            "ajaxError": gettext("Loading failed"),
            # form.js's hint in the "in list" filters' box (where select2 would say "No matches found").
            "tagsHint": gettext("Enter comma separated values"),
            **{key: plurals(*pair) for key, pair in SELECT2_PLURALS.items()},
        },
        "moment": calendar(str(locale)),
        "daterangepicker": {
            "applyLabel": admin_gettext("Apply"),
            "cancelLabel": admin_gettext("Cancel"),
            "fromLabel": gettext("From"),
            "toLabel": gettext("To"),
        },
    }


def plurals(singular: str, plural: str) -> dict[str, str]:
    """The translation for each CLDR plural category of the language ("one", "few", "other"...), %(num)s left in."""
    translations = flask_babel.get_translations()
    return {
        category: translations.ungettext(singular, plural, number)
        for category, number in _plural_examples(str(get_locale() or "en")).items()
    }


@lru_cache(maxsize=32)
def _plural_examples(code: str) -> dict[str, int]:
    """A number of each plural category the language has (Arabic: 0, 1, 2, 3, 11, 100)."""
    rule = Locale.parse(code).plural_form
    examples: dict[str, int] = {}
    for number in range(200):
        examples.setdefault(rule(number), number)
    return examples


@lru_cache(maxsize=32)
def calendar(code: str) -> dict[str, Any]:
    """A moment.js locale: month and day names, and the week's first day and numbering.

    Format-context names only: Babel 2.18 leaks stand-alone month names from one locale into others within a
    process (python-babel/babel#1234), and they are the same in these languages.
    """
    locale = _with_territory(Locale.parse(code))

    def months(width: Literal["wide", "abbreviated"]) -> list[str]:
        return list(get_month_names(width, "format", locale).values())

    def days(width: Literal["wide", "abbreviated", "short"]) -> list[str]:
        names = get_day_names(width, "format", locale)  # Monday first; moment starts on Sunday
        return [names[6], *(names[day] for day in range(6))]

    first_day = (locale.first_week_day + 1) % 7  # Babel counts from Monday, moment from Sunday
    return {
        "months": months("wide"),
        "monthsShort": months("abbreviated"),
        "weekdays": days("wide"),
        "weekdaysShort": days("abbreviated"),
        "weekdaysMin": days("short"),
        # doy: moment's "7 + dow - janX", where the first week must hold January's janX-th day (CLDR's minimal days).
        "week": {"dow": first_day, "doy": 7 + first_day - locale.min_week_days},
    }


def _with_territory(locale: Locale) -> Locale:
    """``en`` -> ``en_US``, ``ar`` -> ``ar_EG`` (CLDR's likely subtags): the week's first day is a territory's."""
    if locale.territory:
        return locale
    likely = get_global("likely_subtags").get(locale.language)
    return Locale.parse(likely) if likely else locale
