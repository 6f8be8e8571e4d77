from django.db import models
from django.db.models import Q


def choices_check(field: str, choices: type[models.TextChoices], *, model: str) -> models.CheckConstraint:
    """A CHECK that keeps an enum column inside its TextChoices, as the seed's ENUM types did.

    A NULL passes, as in SQL, so nullable enums stay nullable.
    """
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"{model}_{field}_valid",
        violation_error_message=f"{field} must be one of: {', '.join(choices.values)}.",
    )


def range_check(field: str, *, model: str, low=None, high=None) -> models.CheckConstraint:
    """A CHECK that keeps a number inside [low, high]; NULL passes."""
    condition = Q()
    if low is not None:
        condition &= Q(**{f"{field}__gte": low})
    if high is not None:
        condition &= Q(**{f"{field}__lte": high})
    bounds = " and ".join(
        part
        for part in (f"at least {low}" if low is not None else "", f"at most {high}" if high is not None else "")
        if part
    )
    return models.CheckConstraint(
        condition=condition,
        name=f"{model}_{field}_range",
        violation_error_message=f"{field} must be {bounds}.",
    )
