from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import member_link
from core.admin import ClubAdmin
from workouts.models import WorkoutSession


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(ClubAdmin):
    list_display = ("created_at", "member", "exercise_type", "total_reps")
    list_display_links = ("created_at",)
    list_filter = ("exercise_type",)
    list_select_related = ("user", "user__client")
    search_fields = ("user__username", "user__client__first_name", "user__client__last_name", "exercise_type")
    search_help_text = _("Search by the member's name or username, or the exercise (squat, push_up, …).")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    empty_message = _("A session is saved when a member finishes a workout on a device (POST /workout/finish).")
    help_texts = {
        "exercise_type": _("A short lowercase name, as devices send it: squat, push_up, lunge, …"),
        "total_reps": _("Reps counted in the session."),
    }

    @admin.display(description=_("member"), ordering="user__client__last_name")
    def member(self, session: WorkoutSession) -> str:
        return member_link(session.user)
