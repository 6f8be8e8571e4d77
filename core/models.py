from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


def choices_check(field: str, choices: type[models.TextChoices], *, model: str) -> models.CheckConstraint:
    """A CHECK that keeps an enum column inside its TextChoices, as the seed's ENUM types did.

    A NULL passes, as in SQL, so nullable enums stay nullable.
    """
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"{model}_{field}_valid",
        violation_error_message=format_lazy(
            _("{field} must be one of: {values}."), field=field, values=", ".join(choices.values)
        ),
    )


def range_check(field: str, *, model: str, low=None, high=None) -> models.CheckConstraint:
    """A CHECK that keeps a number inside [low, high]; NULL passes."""
    condition = Q()
    if low is not None:
        condition &= Q(**{f"{field}__gte": low})
    if high is not None:
        condition &= Q(**{f"{field}__lte": high})
    if low is not None and high is not None:
        bounds = format_lazy(_("at least {low} and at most {high}"), low=low, high=high)
    elif low is not None:
        bounds = format_lazy(_("at least {low}"), low=low)
    else:
        bounds = format_lazy(_("at most {high}"), high=high)
    return models.CheckConstraint(
        condition=condition,
        name=f"{model}_{field}_range",
        violation_error_message=format_lazy(_("{field} must be {bounds}."), field=field, bounds=bounds),
    )
