"""Serializer pieces the API's apps share."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse the body keys DRF would silently drop: unknown names and read-only fields (400 per key).

    Mass assignment then fails loudly: `{"status": "PAID"}` on a new payment, `{"user_id": 7}` on a
    client's own plan, or a typo like `{"membership": 3}` is an error naming the key, and nothing is
    written, instead of a 2xx that quietly did something else than asked.
    """

    # field name → why the caller may not set it, when that says more than "read-only"
    read_only_reasons: dict[str, str] = {}

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    refused[key] = [_("Unknown field.")]
                elif field.read_only:
                    refused[key] = [self.read_only_reasons.get(key, _("Read-only: the server sets this field."))]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **refused}) from error
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value
