from django.contrib import admin, messages
from django.db.models import ProtectedError

from core.db import delete_checked


class CheckedDeleteAdmin(admin.ModelAdmin):
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
