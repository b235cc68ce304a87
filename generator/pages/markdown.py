"""Text that is safe to put into Markdown and HTML, and numbers people read at a glance.

File names, layer names and class names come from users; none of them may open a link, a tag or a table cell.
"""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>])")
"""Python-Markdown's escapable characters (plus ``|``, which the tables extension adds); escaping any other
character would leave a visible backslash."""


def md(text: object) -> str:
    """Escape ``text`` for Markdown prose and table cells: HTML entities, then every Markdown punctuation mark."""
    escaped = html.escape(str(text), quote=True)
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", escaped)
    return escaped.replace("\n", " ").replace("\r", " ")


def attr(text: object) -> str:
    """Escape ``text`` for an HTML attribute value or Markdown image alt text (brackets removed).

    ``|`` becomes an entity: inside a table row a literal one would end the cell.
    """
    cleaned = str(text).replace("[", "(").replace("]", ")").replace("\n", " ")
    return html.escape(cleaned, quote=True).replace("|", "&#124;")


def count(value: int) -> str:
    """4253864 -> '4.25 M', 12345 -> '12.3 k'."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} M"
    if value >= 10_000:
        return f"{value / 1_000:.1f} k"
    return f"{value:,}"


def percent(probability: float | None) -> str:
    return "" if probability is None else f"{probability * 100:.1f} %"


def score(value: float) -> str:
    """An area or a correlation as pages print it: two decimals (0.4216 -> '0.42'), a minus sign for negatives,
    and no sign on what rounds to zero (an untrained network's -0.0004 is '0.00', not '-0.00')."""
    return _with_minus(f"{value:.2f}")


def response(value: float) -> str:
    """A unit's activation as pages print it: three significant digits (7.318 -> '7.32', 0.0412 -> '0.0412')."""
    return _with_minus(f"{value:.3g}")


def _with_minus(text: str) -> str:
    """A number's text with a true minus sign (U+2212), and no sign on what is zero ('-0.00' is '0.00')."""
    return text.lstrip("-") if float(text) == 0 else text.replace("-", "\u2212")
