"""Helpers every app's services share: validating and updating a row the same way everywhere."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def model_full_clean(instance: models.Model) -> None:
    """`full_clean()`, with errors of foreign keys named by their column (`client_id`), as the API names them."""
    try:
        instance.full_clean()
    except ValidationError as error:
        columns = {field.name: field.attname for field in instance._meta.concrete_fields}
        raise ValidationError(
            {columns.get(name, name): messages for name, messages in error.message_dict.items()}
        ) from error


def model_update[M: models.Model](*, instance: M, data: dict[str, Any]) -> M:
    """Set `data` on `instance`, validate the whole row and save it. Callers wrap it in their transaction."""
    for name, value in data.items():
        setattr(instance, name, value)
    model_full_clean(instance)
    instance.save()
    return instance
