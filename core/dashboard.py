"""Shared plumbing of the dashboards' pages: service errors shown on forms, pages of lists, searchable pickers.

Who may open a page is the accounts app's (accounts.decorators.staff_page); core imports no app."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext

from core.exceptions import ApplicationError

PAGE_SIZE = 25


def add_service_errors(form: forms.BaseForm, error: ValidationError | ApplicationError) -> None:
    """Put a service's refusal next to the form fields it names; a domain rule's, above the form.

    Services name foreign keys by column (`membership_id`) as the API does; the forms name the field.
    Errors about anything the form does not show go to the top of the form.
    """
    if not (isinstance(error, ValidationError) and hasattr(error, "error_dict")):
        form.add_error(None, getattr(error, "messages", None) or [error.message])
        return
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


# ---------------------------------------------------------------------------
# Searchable client pickers
# ---------------------------------------------------------------------------
PICKER_LIMIT = 20


class SearchableSelect(forms.Select):
    """A `<select>` of a ModelChoiceField that lists at most `limit` choices (the chosen one first), with
    a search box above it: typing fetches the matches from `search_url` (htmx) as the select's options.

    The form still posts the select's value (the id) and the field still validates against its whole
    queryset; only the rendering is bounded, so a club of thousands of clients is never listed whole.
    """

    def __init__(self, *, search_url: str, placeholder: str | None = None, limit: int = PICKER_LIMIT):
        super().__init__()
        self.search_url = search_url
        self.placeholder = placeholder or gettext("Search by name or phone")
        self.limit = limit

    @classmethod
    def install(cls, field: forms.ModelChoiceField, *, search_url: str) -> None:
        """Make `field` (its queryset already set) a searchable picker."""
        widget = cls(search_url=search_url)
        widget.is_required = field.required
        widget.choices = field.choices
        field.widget = widget

    def _bounded_choices(self, value: list) -> list:
        iterator = self.choices
        queryset = getattr(iterator, "queryset", None)
        if queryset is None:  # not a model field's choices: nothing to bound
            return list(iterator)
        chosen = [str(v) for v in value if str(v).isdigit()]
        picked = list(queryset.filter(pk__in=chosen)) if chosen else []
        others = list(queryset.exclude(pk__in=chosen)[: self.limit])
        empty = [("", iterator.field.empty_label)] if iterator.field.empty_label is not None else []
        return empty + [iterator.choice(obj) for obj in picked + others]

    def optgroups(self, name, value, attrs=None):
        every = self.choices
        self.choices = self._bounded_choices(value)
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = every

    def render(self, name, value, attrs=None, renderer=None):
        select = super().render(name, value, attrs, renderer)
        search = format_html(
            '<input type="search" class="picker-search" name="q" placeholder="{}" aria-label="{}" '
            'autocomplete="off" hx-get="{}" hx-params="q" hx-trigger="input changed delay:250ms, search" '
            'hx-target="next select" hx-swap="innerHTML" hx-sync="this:replace">',
            gettext("Type to search…"),
            gettext("%(placeholder)s: the list below shows the first %(limit)s matches")
            % {"placeholder": self.placeholder, "limit": self.limit},
            self.search_url,
        )
        return format_html('<div class="picker">{}{}</div>', search, select)
