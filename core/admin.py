from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Model, ProtectedError
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.db import delete_checked

# The club's own apps first, in the order staff use them; the libraries' tables (auth groups,
# Celery results, JWT blacklist) after them, for support.
APP_ORDER = ["club", "training", "workouts", "reports", "accounts"]


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete answers labelled by the model admin's `autocomplete_label(obj)` when it has one."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if label := getattr(self.model_admin, "autocomplete_label", None):
            result["text"] = label(obj)
        return result


class ClubAdminSite(admin.AdminSite):
    site_header = _("Fitness club administration")
    site_title = _("Fitness club admin")
    index_title = _("Run the club")
    empty_value_display = "—"

    def autocomplete_view(self, request):
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        rank = {label: position for position, label in enumerate(APP_ORDER)}
        return sorted(apps, key=lambda app: (rank.get(app["app_label"], len(rank)), app["name"].lower()))


class ClubAdminMixin:
    """What every page of the club's admin shares: a scannable page size, empty states and help for staff.

    `field_labels` and `help_texts` are the admin's words for a model's fields (the API keeps the
    models' own); `empty_message` is what an empty list says before anything was ever added.
    """

    list_per_page = 50
    empty_message: str | Promise = ""
    field_labels: dict[str, str] = {}
    help_texts: dict[str, str | Promise] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            if db_field.name in self.field_labels:
                formfield.label = self.field_labels[db_field.name]
            if db_field.name in self.help_texts:
                formfield.help_text = self.help_texts[db_field.name]
        return formfield


class ClubAdmin(ClubAdminMixin, admin.ModelAdmin):
    pass


class CheckedDeleteAdmin(ClubAdmin):
    """Deletes that the database would refuse (NO ACTION references) become a message, not a 500."""

    def delete_model(self, request, obj):
        try:
            delete_checked(obj)
        except ProtectedError as refusal:
            self.message_user(request, refusal.args[0], messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        # delete_model may have refused: only claim success when the row is gone.
        if self.model._default_manager.filter(pk=obj_id).exists():
            return self.response_post_save_change(request, None)
        return super().response_delete(request, obj_display, obj_id)


def change_link(obj: Model | None, text: object = None) -> str:
    """A link to the object's admin page, reading `text` (default: the object itself); "—" for no object."""
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj if text is None else text)


def pill(text: str | Promise, tone: str) -> str:
    """A short coloured label (static/css/admin.css): the word carries the meaning, the colour helps scanning."""
    return format_html('<span class="pill pill-{}">{}</span>', tone, text)
