"""Jinja2 environment for pages and e-mails, with the filters every package uses."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import nh3
from babel.dates import format_date, format_datetime
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from incubator.config import ROOT, get_settings
from incubator.money import format_money

TEMPLATE_DIR = ROOT / "templates"
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str | None) -> Markup:
    """User-written Markdown to HTML, cleaned by a sanitiser so it can never carry a script."""
    if not text:
        return Markup("")
    return Markup(nh3.clean(_markdown.render(text)))  # noqa: S704 - sanitised just above


# Babel's "medium" shows seconds ("25 Nov 2026, 14:05:09"), noise on a page; ours stops at the minute.
DATETIME_FORMATS = {"medium": "d MMM y, HH:mm"}


def _fmt_datetime(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    zone = ZoneInfo(tz or get_settings().default_timezone)
    return str(format_datetime(value.astimezone(zone), format=DATETIME_FORMATS.get(fmt, fmt), locale="en_GB"))


def _fmt_date(value: date | None, fmt: str = "medium", tz: str | None = None) -> str:
    """A date; an aware datetime is first moved to the display time zone, so its day is the local one."""
    if value is None:
        return "—"
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(tz or get_settings().default_timezone)).date()
    return str(format_date(value, format=fmt, locale="en_GB"))


def _humanize(value: Any) -> str:
    text = str(getattr(value, "value", value))
    return text.replace("_", " ").capitalize()


def _add_filters(env: Environment) -> None:
    env.filters["money"] = lambda amount, currency: format_money(int(amount or 0), currency)
    env.filters["datetime"] = _fmt_datetime
    env.filters["date"] = _fmt_date
    env.filters["humanize"] = _humanize
    env.filters["markdown"] = render_markdown
    env.globals["static_url"] = lambda path: f"/static/{path}"
    env.globals["app_name"] = "Incubator"


@lru_cache
def templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    _add_filters(env)
    return Jinja2Templates(env=env)


@lru_cache
def email_environment() -> Environment:
    """E-mails and documents: strict, so a missing value fails loudly in tests instead of mailing a blank."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    _add_filters(env)
    return env


def render_text(template_name: str, **context: Any) -> str:
    return email_environment().get_template(template_name).render(**context)
