"""Writes of the exercise catalog, trainings with their exercise rows, and training plans."""

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from club.models import Client
from core.exceptions import ApplicationError
from core.services import model_full_clean, model_update
from training.models import Exercise, Training, TrainingExercise, TrainingPlan

# One row of a training as the API passes it: {"exercise": Exercise, "order_in_training": int,
# and optionally "sets", "reps", "rest_time_sec", "extra_weight"}; omitted values take the defaults.
ExerciseRow = dict[str, Any]


@transaction.atomic
def exercise_create(*, title: str, **fields: Any) -> Exercise:
    exercise = Exercise(title=title, **fields)
    model_full_clean(exercise)
    exercise.save()
    return exercise


@transaction.atomic
def exercise_update(*, exercise: Exercise, data: dict[str, Any]) -> Exercise:
    return model_update(instance=exercise, data=data)


@transaction.atomic
def exercise_delete(*, exercise: Exercise) -> None:
    """Delete an exercise; the database removes it from every training too (the seed's ON DELETE CASCADE)."""
    exercise.delete()


@transaction.atomic
def training_create(*, client: Client, title: str, exercises: Sequence[ExerciseRow] = (), **fields: Any) -> Training:
    """Create a training with its exercise rows, all or nothing."""
    training = Training(client=client, title=title, **fields)
    model_full_clean(training)
    training.save()
    _replace_rows(training=training, rows=exercises)
    return training


@transaction.atomic
def training_update(
    *, training: Training, data: dict[str, Any], exercises: Sequence[ExerciseRow] | None = None
) -> Training:
    """Update a training; `exercises`, when given, replaces all of its rows in the same transaction."""
    model_update(instance=training, data=data)
    if exercises is not None:
        _replace_rows(training=training, rows=exercises)
    return training


@transaction.atomic
def training_delete(*, training: Training) -> None:
    # Its exercise rows and plan links go with it (ON DELETE CASCADE in the database).
    training.delete()


def _replace_rows(*, training: Training, rows: Sequence[ExerciseRow]) -> None:
    taken_twice = sorted(position for position, n in Counter(row["order_in_training"] for row in rows).items() if n > 1)
    if taken_twice:
        raise ValidationError(
            {
                "exercises": gettext("Each row needs its own order_in_training; taken twice: %(positions)s.")
                % {"positions": ", ".join(map(str, taken_twice))}
            }
        )
    # The old rows go first: the new ones may reuse their positions (UNIQUE training + position).
    training.exercise_rows.all().delete()
    new_rows = [TrainingExercise(training=training, **row) for row in rows]
    for row in new_rows:
        model_full_clean(row)
    TrainingExercise.objects.bulk_create(new_rows)


def _ensure_position_free(*, training: Training, position: int, row: TrainingExercise | None = None) -> None:
    others = training.exercise_rows.filter(order_in_training=position)
    if row is not None:
        others = others.exclude(pk=row.pk)
    if others.exists():
        raise ApplicationError(
            gettext("Position %(position)s of this training is already taken.") % {"position": position},
            extra={"order_in_training": position},
        )


@transaction.atomic
def training_exercise_add(
    *, training: Training, exercise: Exercise, order_in_training: int, **fields: Any
) -> TrainingExercise:
    """Add one exercise row; 409 when the position is taken (move or remove that row first)."""
    _ensure_position_free(training=training, position=order_in_training)
    row = TrainingExercise(training=training, exercise=exercise, order_in_training=order_in_training, **fields)
    model_full_clean(row)
    row.save()
    return row


@transaction.atomic
def training_exercise_update(*, row: TrainingExercise, data: dict[str, Any]) -> TrainingExercise:
    if "order_in_training" in data:
        _ensure_position_free(training=row.training, position=data["order_in_training"], row=row)
    return model_update(instance=row, data=data)


@transaction.atomic
def training_exercise_remove(*, row: TrainingExercise) -> None:
    row.delete()


@transaction.atomic
def training_plan_create(*, user: User, title: str, trainings: Iterable[Training] = (), **fields: Any) -> TrainingPlan:
    plan = TrainingPlan(user=user, title=title, **fields)
    model_full_clean(plan)
    plan.save()
    _set_plan_trainings(plan=plan, trainings=list(trainings))
    return plan


@transaction.atomic
def training_plan_update(
    *, plan: TrainingPlan, data: dict[str, Any], trainings: Iterable[Training] | None = None
) -> TrainingPlan:
    model_update(instance=plan, data=data)
    if trainings is not None or "user" in data:
        _set_plan_trainings(plan=plan, trainings=list(plan.trainings.all() if trainings is None else trainings))
    return plan


@transaction.atomic
def training_plan_delete(*, plan: TrainingPlan) -> None:
    # The plan's links go with it; the trainings stay (ON DELETE CASCADE on the link table only).
    plan.delete()


def _set_plan_trainings(*, plan: TrainingPlan, trainings: list[Training]) -> None:
    # A plan shows its trainings to its user: only that user's own trainings may be in it.
    foreign = sorted(
        training.pk
        for training in Training.objects.filter(pk__in=[t.pk for t in trainings]).exclude(client__user_id=plan.user_id)
    )
    if foreign:
        raise ValidationError(
            {
                "training_ids": gettext("Not trainings of the plan's user: %(ids)s.")
                % {"ids": ", ".join(map(str, foreign))}
            }
        )
    plan.trainings.set(trainings)
