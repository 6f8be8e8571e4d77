"""Who may open a page: the role checks of the server-rendered dashboards (accounts.permissions decides)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from accounts.permissions import is_staff_member


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; a signed-in club client gets the 403 page (templates/403.html)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied(gettext("The dashboards are for club staff: trainers and administrators."))
        return view(request, *args, **kwargs)

    return wrapped
