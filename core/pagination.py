from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination as BasePageNumberPagination


class PageNumberPagination(BasePageNumberPagination):
    """SPEC's pagination; a `page` or `page_size` that is not a whole number is a 400, not a guess.

    DRF would answer `?page=abc` with 404 ("Invalid page.") and serve `?page_size=abc` at the
    default size; an app developer sees the mistake at once this way. A page past the last one is
    still a 404, and a `page_size` above 200 is served at 200.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_number(self, request, paginator):
        page_number = super().get_page_number(request, paginator)
        if page_number not in self.last_page_strings:
            _whole_number(self.page_query_param, page_number)
        return page_number

    def get_page_size(self, request):
        if self.page_size_query_param in request.query_params:
            _whole_number(self.page_size_query_param, request.query_params[self.page_size_query_param])
        return super().get_page_size(request)


def _whole_number(parameter: str, value) -> None:
    if not str(value).isascii() or not str(value).isdigit() or int(value) < 1:
        raise ValidationError(
            {parameter: [_("Must be a whole number from 1 up; got %(value)r.") % {"value": str(value)[:50]}]}
        )
