"""Shared plumbing of the trainers' dashboards: who may open them, and service errors shown on forms."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import is_staff_member

PAGE_SIZE = 25


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; a signed-in club client gets the 403 page (templates/403.html)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff_member(request.user):
            raise PermissionDenied("The dashboards are for club staff: trainers and administrators.")
        return view(request, *args, **kwargs)

    return wrapped


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form fields it names.

    Services name foreign keys by column (`membership_id`) as the API does; the forms name the field.
    Errors about anything the form does not show go to the top of the form.
    """
    for key, messages in error.message_dict.items():
        # `membership_id` → membership, `training_ids` → trainings.
        candidates = (key, key.removesuffix("_id"), f"{key.removesuffix('_ids')}s" if key.endswith("_ids") else key)
        name = next((candidate for candidate in candidates if candidate in form.fields), None)
        form.add_error(name, messages)


def paginate(request: HttpRequest, items, per_page: int = PAGE_SIZE) -> Page:
    # get_page() turns a junk or out-of-range ?page= into the nearest real page instead of a 404.
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def render_list(request: HttpRequest, template: str, partial: str, context: dict) -> HttpResponse:
    """The whole page, or only its results when htmx asks for them (the live search of list pages).

    htmx restoring history after the back button asks for the whole page again, so it gets one.
    """
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, partial, context)
    return render(request, template, context)
