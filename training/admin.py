from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from core.admin import CheckedDeleteAdmin
from training.models import Exercise, Training, TrainingExercise, TrainingPlan, TrainingPlanTraining


@admin.register(Exercise)
class ExerciseAdmin(CheckedDeleteAdmin):
    list_display = ("title", "muscle_group", "complexity_lvl", "equipment_required")
    list_filter = ("muscle_group", "complexity_lvl", "equipment_required")
    search_fields = ("title", "description")
    ordering = ("title",)


class TrainingExerciseInline(admin.TabularInline):
    model = TrainingExercise
    extra = 1
    autocomplete_fields = ("exercise",)
    fields = ("order_in_training", "exercise", "sets", "reps", "rest_time_sec", "extra_weight")
    ordering = ("order_in_training",)


@admin.register(Training)
class TrainingAdmin(CheckedDeleteAdmin):
    list_display = ("title", "client_link", "training_type", "intensity", "duration_min", "date", "exercise_count")
    list_filter = ("training_type", "intensity", "date")
    list_select_related = ("client",)
    search_fields = ("title", "client__first_name", "client__last_name")
    autocomplete_fields = ("client",)
    readonly_fields = ("created_at",)
    date_hierarchy = "date"
    ordering = ("-date", "-id")
    inlines = [TrainingExerciseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(exercise_count=Count("exercise_rows"))

    @admin.display(description="exercises", ordering="exercise_count")
    def exercise_count(self, training: Training) -> int:
        return training.exercise_count

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, training: Training) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:club_client_change", args=[training.client_id]), training.client
        )

    def get_view_on_site_url(self, obj=None):
        # The trainers' editor, where exercises are reordered by drag or buttons.
        return reverse("training:training-edit", args=[obj.pk]) if obj is not None else None


class TrainingPlanTrainingInline(admin.TabularInline):
    model = TrainingPlanTraining
    extra = 1
    autocomplete_fields = ("training",)
    verbose_name = "training"
    verbose_name_plural = "trainings"


@admin.register(TrainingPlan)
class TrainingPlanAdmin(CheckedDeleteAdmin):
    list_display = ("title", "user_link", "status", "created_at", "training_count")
    list_filter = ("status",)
    list_select_related = ("user",)
    search_fields = ("title", "user__username")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [TrainingPlanTrainingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(training_count=Count("training_links"))

    @admin.display(description="trainings", ordering="training_count")
    def training_count(self, plan: TrainingPlan) -> int:
        return plan.training_count

    @admin.display(description="user", ordering="user__username")
    def user_link(self, plan: TrainingPlan) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[plan.user_id]), plan.user)

    def get_view_on_site_url(self, obj=None):
        return reverse("training:plan-edit", args=[obj.pk]) if obj is not None else None
