from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification, NotificationOptOut


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """What was sent to whom, and why not: the outbox is written by its services only, so read-only here."""

    list_display = ["created_at", "user", "kind", "status", "attempts", "sent_at", "reason"]
    list_filter = ["status", "kind", ("created_at", admin.DateFieldListFilter), ("sent_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "dedupe_key"]
    search_help_text = _("Search by username or dedupe key (e.g. RECEIPT:42).")
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("error"), ordering="error")
    def reason(self, notification: Notification) -> str:
        # Our own reasons are stored in English and translated here; Telegram's descriptions stay as sent.
        return gettext(notification.error) if notification.error else ""

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        # The row is the proof of "sent once": deleting it would let the same event be sent again.
        return False


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
