"""French number formatting for the reasons ("4,2 km", "48,5 %")."""

from __future__ import annotations


def number(value: float, decimals: int = 1) -> str:
    """French decimal comma and spaces between thousands.

    Examples
    --------
    >>> number(4.25), number(12500, 0)
    ('4,2', '12 500')
    """
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def distance(metres: float) -> str:
    """Metres below 1 km (rounded to 10 m), kilometres with one decimal above.

    Examples
    --------
    >>> distance(347), distance(4200), distance(0)
    ('350 m', '4,2 km', '0 m')
    """
    if metres < 995:
        return f"{number(round(metres, -1), 0)} m"
    return f"{number(metres / 1000, 1)} km"


def percent(value: float, decimals: int = 1) -> str:
    """A value already in % ("48,5 %")."""
    return f"{number(value, decimals)} %"


def within(ring_m: float) -> str:
    """"à moins de 500 m", or "dans le quartier" for a ring of 0 m."""
    return "dans le quartier" if ring_m <= 0 else f"à moins de {distance(ring_m)}"


def names(values: list[str], limit: int = 3) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" et {len(values) - limit} autre(s)" if len(values) > limit else "")
