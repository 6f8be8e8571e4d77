from django.contrib import admin
from django.db.models import Count
from django.urls import reverse

from accounts.admin import member_link, user_label
from accounts.models import User
from core.admin import CheckedDeleteAdmin, ClubAdminMixin, change_link, pill
from training.models import Exercise, PlanStatus, Training, TrainingExercise, TrainingPlan, TrainingPlanTraining

PLAN_TONES = {PlanStatus.ACTIVE: "ok", PlanStatus.PREPARED: "soon", PlanStatus.COMPLETED: "quiet"}


@admin.register(Exercise)
class ExerciseAdmin(CheckedDeleteAdmin):
    list_display = ("title", "muscle_group", "level", "needs_equipment")
    list_filter = ("muscle_group", "complexity_lvl", "equipment_required")
    search_fields = ("title", "description")
    search_help_text = "Search by title or description."
    ordering = ("title",)
    empty_message = "The catalog trainers build trainings from: add the exercises the club teaches."
    field_labels = {"complexity_lvl": "Level", "equipment_required": "Needs equipment"}
    help_texts = {
        "title": "Unique in the catalog: trainers pick exercises by it.",
        "muscle_group": "The main group it works, for the catalog's filters.",
        "complexity_lvl": "How experienced a member should be to do it safely.",
        "equipment_required": "Needs the gym's equipment (bars, machines, weights), so not for a workout at home.",
    }

    @admin.display(description="level", ordering="complexity_lvl")
    def level(self, exercise: Exercise) -> str:
        return exercise.get_complexity_lvl_display()

    @admin.display(description="equipment", boolean=True, ordering="equipment_required")
    def needs_equipment(self, exercise: Exercise) -> bool:
        return exercise.equipment_required


class TrainingExerciseInline(ClubAdminMixin, admin.TabularInline):
    model = TrainingExercise
    extra = 1
    autocomplete_fields = ("exercise",)
    fields = ("order_in_training", "exercise", "sets", "reps", "rest_time_sec", "extra_weight")
    ordering = ("order_in_training",)
    verbose_name = "exercise"
    verbose_name_plural = "exercises, in order"
    field_labels = {
        "order_in_training": "#",
        "rest_time_sec": "Rest (s)",
        "extra_weight": "Extra kg",
    }
    help_texts = {
        "order_in_training": "Position in the training, from 1; two rows cannot share one.",
        "rest_time_sec": "Rest after each set, in seconds.",
        "extra_weight": "Weight added to the exercise, in kilograms; empty for none.",
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "exercise":
            # In a row, editing or deleting the catalog's exercise is a detour: keep only "add".
            widget = formfield.widget
            widget.can_change_related = widget.can_delete_related = widget.can_view_related = False
        return formfield


@admin.register(Training)
class TrainingAdmin(CheckedDeleteAdmin):
    list_display = ("title", "client_link", "kind", "intensity", "duration", "day", "exercise_count")
    list_filter = ("training_type", "intensity", "date")
    list_select_related = ("client",)
    search_fields = ("title", "client__first_name", "client__last_name")
    search_help_text = "Search by title, or the client's first or last name."
    autocomplete_fields = ("client",)
    readonly_fields = ("created_at",)
    date_hierarchy = "date"
    ordering = ("-date", "-id")
    inlines = [TrainingExerciseInline]
    fields = ("client", "title", ("training_type", "intensity"), ("date", "duration_min"), "description", "created_at")
    empty_message = (
        "Trainers build trainings for their clients on the dashboard (Trainings → New training), "
        "where exercises are reordered by drag. One added here shows up there too."
    )
    field_labels = {"training_type": "Type", "duration_min": "Duration (min)"}
    help_texts = {
        "client": "The member it is for: search by first or last name.",
        "title": "What the member sees in the club app, e.g. “Leg day”.",
        "date": "The day it is planned for; empty while it is not scheduled.",
        "duration_min": "Minutes, 1 to 1440.",
        "description": "Notes for the member: warm-up, goals, what to watch.",
    }

    def get_queryset(self, request):
        # The client is part of a training's name (its __str__), shown by the plans' training picker too.
        return super().get_queryset(request).select_related("client").annotate(exercise_count=Count("exercise_rows"))

    @admin.display(description="exercises", ordering="exercise_count")
    def exercise_count(self, training: Training) -> int:
        return training.exercise_count

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, training: Training) -> str:
        return change_link(training.client)

    @admin.display(description="type", ordering="training_type")
    def kind(self, training: Training) -> str | None:
        return training.get_training_type_display() if training.training_type else None

    @admin.display(description="duration", ordering="duration_min")
    def duration(self, training: Training) -> str:
        return f"{training.duration_min} min"

    @admin.display(description="date", ordering="date")
    def day(self, training: Training):
        return training.date or "not scheduled"

    def get_view_on_site_url(self, obj=None):
        # The trainers' editor, where exercises are reordered by drag or buttons.
        return reverse("training:training-edit", args=[obj.pk]) if obj is not None else None


class TrainingPlanTrainingInline(ClubAdminMixin, admin.TabularInline):
    model = TrainingPlanTraining
    extra = 1
    autocomplete_fields = ("training",)
    verbose_name = "training"
    verbose_name_plural = "trainings"
    help_texts = {"training": "Type the member's name or the training's title: each reads “title · client · date”."}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "training":
            # A training's name includes its client: one query for the chosen rows, not one per row.
            kwargs["queryset"] = Training.objects.select_related("client")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(TrainingPlan)
class TrainingPlanAdmin(CheckedDeleteAdmin):
    list_display = ("title", "member", "status_label", "created_at", "training_count")
    list_filter = ("status",)
    list_select_related = ("user", "user__client")
    search_fields = ("title", "user__username", "user__client__first_name", "user__client__last_name")
    search_help_text = "Search by title, the member's name or username."
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [TrainingPlanTrainingInline]
    fields = ("user", "title", "status", "description", "created_at")
    empty_message = "Trainers make plans on the dashboard (Plans → New plan) from a member's trainings."
    field_labels = {"user": "Member"}
    help_texts = {
        "user": "The member who follows it: search by name, username or email.",
        "status": "Prepared: ready, not started yet. Active: being followed. Completed: done.",
        "description": "The goal of the plan, for the member and the trainers.",
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(training_count=Count("training_links"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # The chosen member reads "Anna Berg · @client00012", as the picker's answers do.
            kwargs["queryset"] = User.objects.select_related("client")
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = user_label
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="trainings", ordering="training_count")
    def training_count(self, plan: TrainingPlan) -> int:
        return plan.training_count

    @admin.display(description="member", ordering="user__client__last_name")
    def member(self, plan: TrainingPlan) -> str:
        return member_link(plan.user)

    @admin.display(description="status", ordering="status")
    def status_label(self, plan: TrainingPlan) -> str:
        return pill(plan.get_status_display(), PLAN_TONES.get(plan.status, "quiet"))

    def get_view_on_site_url(self, obj=None):
        return reverse("training:plan-edit", args=[obj.pk]) if obj is not None else None
