"""DRF filter backends and django-filter filters with the API's error contract.

A query parameter the API does not understand is a 400 naming it, never silently ignored or
rounded: a client that typed `?user_id=1.5` or `?ordering=-dat` would otherwise read a list it
did not ask for as the answer.
"""

import django_filters
from django import forms
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.fields import CharField

SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 10


class SearchFilter(filters.SearchFilter):
    """`?search=`: a 400 naming the parameter for bad input, and bounded work per request.

    DRF's own answers a NUL character with a bare list (not the contract's `{field: [messages]}`),
    and turns every word of any length into its own set of `LIKE` clauses.
    """

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        field = CharField(trim_whitespace=False, allow_blank=True, max_length=SEARCH_MAX_LENGTH)
        try:
            terms = filters.search_smart_split(field.run_validation(value))
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from error
        if len(terms) > SEARCH_MAX_TERMS:
            raise ValidationError(
                {self.search_param: [_("Search for at most %(count)s words.") % {"count": SEARCH_MAX_TERMS}]}
            )
        return terms


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=`: an unknown field is a 400 listing the allowed ones (DRF's drops it silently)."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term for term in fields if term]
        if unknown := [term for term in terms if term.removeprefix("-") not in valid]:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Unknown field %(field)r: order by %(fields)s (prefix - for descending).")
                        % {"field": unknown[0], "fields": ", ".join(valid)}
                    ]
                }
            )
        return terms


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An id: a whole positive number (NumberFilter alone would take 1.5 and round it)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**31 - 1)
        super().__init__(*args, **kwargs)


class StrictNullBooleanField(forms.NullBooleanField):
    # Django's NullBooleanSelect maps anything it does not know ("yes", "1") to None, which drops
    # the filter; here the raw value reaches `to_python`.
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        match str(value).lower():
            case "true" | "1":
                return True
            case "false" | "0":
                return False
        raise forms.ValidationError(_("Enter true or false."), code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    """`true`/`false` (or `1`/`0`); anything else is a 400 instead of no filter at all."""

    field_class = StrictNullBooleanField
