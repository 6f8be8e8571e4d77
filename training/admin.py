from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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
    search_help_text = _("Search by title or description.")
    ordering = ("title",)
    empty_message = _("The catalog trainers build trainings from: add the exercises the club teaches.")
    field_labels = {"complexity_lvl": _("Level"), "equipment_required": _("Needs equipment")}
    help_texts = {
        "title": _("Unique in the catalog: trainers pick exercises by it."),
        "muscle_group": _("The main group it works, for the catalog's filters."),
        "complexity_lvl": _("How experienced a member should be to do it safely."),
        "equipment_required": _("Needs the gym's equipment (bars, machines, weights), so not for a workout at home."),
    }

    @admin.display(description=_("level"), ordering="complexity_lvl")
    def level(self, exercise: Exercise) -> str:
        return exercise.get_complexity_lvl_display()

    @admin.display(description=_("equipment"), boolean=True, ordering="equipment_required")
    def needs_equipment(self, exercise: Exercise) -> bool:
        return exercise.equipment_required


class TrainingExerciseInline(ClubAdminMixin, admin.TabularInline):
    model = TrainingExercise
    extra = 1
    autocomplete_fields = ("exercise",)
    fields = ("order_in_training", "exercise", "sets", "reps", "rest_time_sec", "extra_weight")
    ordering = ("order_in_training",)
    verbose_name = _("exercise")
    verbose_name_plural = _("exercises, in order")
    field_labels = {
        "order_in_training": _("#"),
        "rest_time_sec": _("Rest (s)"),
        "extra_weight": _("Extra kg"),
    }
    help_texts = {
        "order_in_training": _("Position in the training, from 1; two rows cannot share one."),
        "rest_time_sec": _("Rest after each set, in seconds."),
        "extra_weight": _("Weight added to the exercise, in kilograms; empty for none."),
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
    search_help_text = _("Search by title, or the client's first or last name.")
    autocomplete_fields = ("client",)
    readonly_fields = ("created_at",)
    date_hierarchy = "date"
    ordering = ("-date", "-id")
    inlines = [TrainingExerciseInline]
    fields = ("client", "title", ("training_type", "intensity"), ("date", "duration_min"), "description", "created_at")
    empty_message = _(
        "Trainers build trainings for their clients on the dashboard (Trainings → New training), "
        "where exercises are reordered by drag. One added here shows up there too."
    )
    field_labels = {"training_type": _("Type"), "duration_min": _("Duration (min)")}
    help_texts = {
        "client": _("The member it is for: search by first or last name."),
        "title": _("What the member sees in the club app, e.g. “Leg day”."),
        "date": _("The day it is planned for; empty while it is not scheduled."),
        "duration_min": _("Minutes, 1 to 1440."),
        "description": _("Notes for the member: warm-up, goals, what to watch."),
    }

    def get_queryset(self, request):
        # The client is part of a training's name (its __str__), shown by the plans' training picker too.
        return super().get_queryset(request).select_related("client").annotate(exercise_count=Count("exercise_rows"))

    @admin.display(description=_("exercises"), ordering="exercise_count")
    def exercise_count(self, training: Training) -> int:
        return training.exercise_count

    @admin.display(description=_("client"), ordering="client__last_name")
    def client_link(self, training: Training) -> str:
        return change_link(training.client)

    @admin.display(description=_("type"), ordering="training_type")
    def kind(self, training: Training) -> str | None:
        return training.get_training_type_display() if training.training_type else None

    @admin.display(description=_("duration"), ordering="duration_min")
    def duration(self, training: Training) -> str:
        return _("%(minutes)s min") % {"minutes": training.duration_min}

    @admin.display(description=_("date"), ordering="date")
    def day(self, training: Training):
        return training.date or _("not scheduled")

    def get_view_on_site_url(self, obj=None):
        # The trainers' editor, where exercises are reordered by drag or buttons.
        return reverse("training:training-edit", args=[obj.pk]) if obj is not None else None


class TrainingPlanTrainingInline(ClubAdminMixin, admin.TabularInline):
    model = TrainingPlanTraining
    extra = 1
    autocomplete_fields = ("training",)
    verbose_name = _("training")
    verbose_name_plural = _("trainings")
    help_texts = {"training": _("Type the member's name or the training's title: each reads “title · client · date”.")}

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
    search_help_text = _("Search by title, the member's name or username.")
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [TrainingPlanTrainingInline]
    fields = ("user", "title", "status", "description", "created_at")
    empty_message = _("Trainers make plans on the dashboard (Plans → New plan) from a member's trainings.")
    field_labels = {"user": _("Member")}
    help_texts = {
        "user": _("The member who follows it: search by name, username or email."),
        "status": _("Prepared: ready, not started yet. Active: being followed. Completed: done."),
        "description": _("The goal of the plan, for the member and the trainers."),
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

    @admin.display(description=_("trainings"), ordering="training_count")
    def training_count(self, plan: TrainingPlan) -> int:
        return plan.training_count

    @admin.display(description=_("member"), ordering="user__client__last_name")
    def member(self, plan: TrainingPlan) -> str:
        return member_link(plan.user)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, plan: TrainingPlan) -> str:
        return pill(plan.get_status_display(), PLAN_TONES.get(plan.status, "quiet"))

    def get_view_on_site_url(self, obj=None):
        return reverse("training:plan-edit", args=[obj.pk]) if obj is not None else None
