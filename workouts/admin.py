from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from workouts.models import WorkoutSession


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(admin.ModelAdmin):
    list_display = ("id", "user_link", "exercise_type", "total_reps", "created_at")
    list_filter = ("exercise_type",)
    list_select_related = ("user",)
    search_fields = ("user__username", "exercise_type")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"

    @admin.display(description="user", ordering="user__username")
    def user_link(self, session: WorkoutSession) -> str:
        url = reverse("admin:accounts_user_change", args=[session.user_id])
        return format_html('<a href="{}">{}</a>', url, session.user)
