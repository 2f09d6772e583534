"""Numbers and money for people: the Dutch way in Dutch (1.234,5; € 12,3 mln), the English way in English."""

from __future__ import annotations

import math


def number(x, lang: str = "nl", decimals: int = 0) -> str:
    """1234.5 -> '1.234,5' (nl) or '1,234.5' (en); missing values -> '–'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def money(x, lang: str = "nl") -> str:
    """Euros, rounded to what a workshop reads: € 12,3 mln / € 950k style ('€ 12.3M' in English)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    if abs(x) >= 1e9:
        return f"€ {number(x / 1e9, lang, 2)} {'mld' if lang == 'nl' else 'bn'}"
    if abs(x) >= 1e6:
        return f"€ {number(x / 1e6, lang, 1)} {'mln' if lang == 'nl' else 'M'}"
    return f"€ {number(x, lang, 0)}"


def percent(x, lang: str = "nl", decimals: int = 0) -> str:
    """0.425 -> '42,5%' style (share in, percent out)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{number(100 * float(x), lang, decimals)}%"


def signed(x, lang: str = "nl", decimals: int = 0) -> str:
    """A difference with its sign: '+1.234' / '−56'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return ("+" if x > 0 else "−" if x < 0 else "±") + number(abs(x), lang, decimals)
