from django.contrib import admin

from notifications.models import Notification, NotificationOptOut


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["user__username", "dedupe_key"]
    list_select_related = ["user"]
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(NotificationOptOut)
class NotificationOptOutAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
