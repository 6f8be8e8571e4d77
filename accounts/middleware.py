"""The signed-in user's language, over the browser's."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """Activate `User.language` when the signed-in user chose one; otherwise keep LocaleMiddleware's pick.

    It runs after AuthenticationMiddleware (it needs `request.user`) and after LocaleMiddleware, which
    already chose from the language cookie and Accept-Language; LocaleMiddleware's response half then
    reads the active language back for `Content-Language`, so the header matches what was rendered.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
