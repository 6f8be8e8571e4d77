"""DRF filter backends with the API's error contract."""

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
            raise ValidationError({self.search_param: [f"Search for at most {SEARCH_MAX_TERMS} words."]})
        return terms
