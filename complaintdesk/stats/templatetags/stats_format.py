"""Figures as the statistics page shows them: shares in percent, changes with their sign,
"—" where there is nothing to divide by."""

from django import template
from django.utils.formats import number_format

register = template.Library()
DASH = "—"


@register.filter
def pct(value, digits=1):
    if value is None:
        return DASH
    return f"{number_format(value * 100, int(digits))} %"


@register.filter
def change(value):
    if value is None:
        return DASH
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(value) * 100, 1)} %"


@register.filter
def hours(value):
    if value is None:
        return DASH
    return number_format(value, 1)


@register.filter
def rate(value, digits=2):
    if value is None:
        return DASH
    return number_format(value, int(digits))
