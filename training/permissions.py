"""Who may do what with exercises, trainings and plans (SPEC "Roles"), as plain predicates."""

from accounts.models import User
from accounts.permissions import is_staff_member
from training.models import Training, TrainingPlan


def can_manage_exercises(user: User) -> bool:
    return is_staff_member(user)


def can_manage_trainings(user: User) -> bool:
    return is_staff_member(user)


def can_view_training(user: User, training: Training) -> bool:
    return is_staff_member(user) or training.client.user_id == user.pk


def can_edit_plan(user: User, plan: TrainingPlan) -> bool:
    """Staff edit every plan; a club client its own (SPEC: it may create and edit its own plans)."""
    return is_staff_member(user) or plan.user_id == user.pk


def can_create_plans(user: User) -> bool:
    # Every signed-in user: a club client makes plans for itself, staff for anyone.
    return bool(user.is_authenticated and user.is_active)
