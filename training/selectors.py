"""Reads of the exercise catalog, trainings and plans, scoped to what the acting user may see."""

from django.db.models import Count, F, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.permissions import is_staff_member
from training.models import Exercise, Training, TrainingExercise, TrainingPlan


def exercise_list() -> QuerySet[Exercise]:
    return Exercise.objects.all()


def training_list(*, user: User) -> QuerySet[Training]:
    # select_related("client") serves the object check (can_view_training) without a query per row.
    trainings = Training.objects.select_related("client").prefetch_related(
        Prefetch("exercise_rows", queryset=TrainingExercise.objects.order_by("order_in_training"))
    )
    if not user.is_authenticated:
        return trainings.none()
    if is_staff_member(user):
        return trainings
    return trainings.filter(client__user=user)


def training_exercise_list(*, training: Training) -> QuerySet[TrainingExercise]:
    return training.exercise_rows.order_by("order_in_training")


def training_plan_list(*, user: User) -> QuerySet[TrainingPlan]:
    plans = TrainingPlan.objects.prefetch_related(Prefetch("trainings", queryset=Training.objects.only("id")))
    if not user.is_authenticated:
        return plans.none()
    if is_staff_member(user):
        return plans
    return plans.filter(user=user)


def exercise_search(*, search: str = "", muscle_group: str = "", complexity_lvl: str = "") -> QuerySet[Exercise]:
    """The dashboard's catalog: title or description contains `search`, optionally one group and level."""
    exercises = exercise_list()
    if search:
        exercises = exercises.filter(Q(title__icontains=search) | Q(description__icontains=search))
    if muscle_group:
        exercises = exercises.filter(muscle_group=muscle_group)
    if complexity_lvl:
        exercises = exercises.filter(complexity_lvl=complexity_lvl)
    return exercises


def training_search(
    *,
    user: User,
    search: str = "",
    training_type: str = "",
    client_id: int | None = None,
    trainer: User | None = None,
) -> QuerySet[Training]:
    """The dashboard's training list: title or client name contains `search`; rows counted, not loaded.
    `trainer`: only the trainings of that trainer's clients ("My clients")."""
    # The rows are counted in SQL, so the list drops training_list's prefetch of them.
    trainings = (
        training_list(user=user)
        .prefetch_related(None)
        .annotate(exercise_count=Count("exercise_rows"))
        .order_by(F("date").desc(nulls_last=True), "-id")  # a GROUP BY drops Meta.ordering
    )
    for word in search.split():
        trainings = trainings.filter(
            Q(title__icontains=word) | Q(client__first_name__icontains=word) | Q(client__last_name__icontains=word)
        )
    if training_type:
        trainings = trainings.filter(training_type=training_type)
    if client_id is not None:
        trainings = trainings.filter(client_id=client_id)
    if trainer is not None:
        trainings = trainings.filter(client__trainer=trainer)
    return trainings


def training_plan_search(
    *, user: User, search: str = "", status: str = "", trainer: User | None = None
) -> QuerySet[TrainingPlan]:
    """The dashboard's plan list, with the owner's client profile and a count of trainings.
    `trainer`: only the plans of that trainer's clients ("My clients")."""
    plans = (
        training_plan_list(user=user)
        .prefetch_related(None)
        .select_related("user__client")
        .annotate(training_count=Count("training_links"))
        .order_by("-created_at", "-id")  # a GROUP BY drops Meta.ordering
    )
    if search:
        plans = plans.filter(
            Q(title__icontains=search)
            | Q(user__client__first_name__icontains=search)
            | Q(user__client__last_name__icontains=search)
        )
    if status:
        plans = plans.filter(status=status)
    if trainer is not None:
        plans = plans.filter(user__client__trainer=trainer)
    return plans
