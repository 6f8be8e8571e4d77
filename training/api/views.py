from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from club.api.permissions import read_or_write_if
from core.parsers import JSONParser
from training import selectors, services
from training.api.filters import ExerciseFilter, TrainingFilter, TrainingPlanFilter
from training.api.serializers import (
    ExerciseSerializer,
    TrainingExerciseSerializer,
    TrainingPlanSerializer,
    TrainingSerializer,
)
from training.models import Training, TrainingExercise
from training.permissions import (
    can_create_plans,
    can_edit_plan,
    can_manage_exercises,
    can_manage_trainings,
    can_view_training,
)


@extend_schema_view(list=extend_schema(summary="The exercise catalog (every signed-in user; staff write)"))
class ExerciseViewSet(viewsets.ModelViewSet):
    serializer_class = ExerciseSerializer
    parser_classes = [JSONParser]  # the API speaks JSON only (SPEC)
    permission_classes = [read_or_write_if(can_manage_exercises)]
    filterset_class = ExerciseFilter
    search_fields = ["title"]
    ordering_fields = ["title", "complexity_lvl", "muscle_group", "id"]

    def get_queryset(self):
        return selectors.exercise_list()

    def perform_create(self, serializer):
        serializer.instance = services.exercise_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.exercise_update(exercise=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.exercise_delete(exercise=instance)


@extend_schema_view(
    list=extend_schema(summary="List trainings with their exercise rows (staff: all; USER: its own)"),
    create=extend_schema(summary="Create a training and its exercise rows in one transaction (staff)"),
)
class TrainingViewSet(viewsets.ModelViewSet):
    serializer_class = TrainingSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_trainings, can_view_training)]
    filterset_class = TrainingFilter
    search_fields = ["title"]
    ordering_fields = ["date", "duration_min", "created_at", "title", "id"]

    def get_queryset(self):
        trainings = selectors.training_list(user=self.request.user)
        # The joined client serves the object check of a single training; a page of them needs no client rows.
        return trainings.select_related(None) if self.action == "list" else trainings

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        rows = data.pop("exercise_rows", [])
        training = services.training_create(exercises=rows, **data)
        # Read back through the selector, so the response shows the rows as stored, in order.
        serializer.instance = self.get_queryset().get(pk=training.pk)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        rows = data.pop("exercise_rows", None)
        training = services.training_update(training=serializer.instance, data=data, exercises=rows)
        serializer.instance = self.get_queryset().get(pk=training.pk)

    def perform_destroy(self, instance):
        services.training_delete(training=instance)


@extend_schema_view(
    list=extend_schema(summary="The exercise rows of one training, in order"),
    create=extend_schema(summary="Add an exercise row (staff); 409 when its position is taken"),
    partial_update=extend_schema(summary="Change an exercise row (staff); 409 when moving to a taken position"),
)
@extend_schema(parameters=[OpenApiParameter("training_pk", int, OpenApiParameter.PATH, description="The training.")])
class TrainingExerciseViewSet(viewsets.ModelViewSet):
    serializer_class = TrainingExerciseSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_trainings)]
    filter_backends = []
    queryset = TrainingExercise.objects.none()  # for the schema generator; requests use get_queryset

    def get_training(self) -> Training:
        # Another client's training answers 404, like an unknown one.
        trainings = selectors.training_list(user=self.request.user).prefetch_related(None)
        return get_object_or_404(trainings, pk=self.kwargs["training_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.training_exercise_list(training=self.get_training())

    def perform_create(self, serializer):
        serializer.instance = services.training_exercise_add(training=self.get_training(), **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.training_exercise_update(row=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.training_exercise_remove(row=instance)


@extend_schema_view(
    list=extend_schema(summary="List training plans (staff: all; USER: its own)"),
    create=extend_schema(summary="Create a training plan (a USER: for itself)"),
)
class TrainingPlanViewSet(viewsets.ModelViewSet):
    serializer_class = TrainingPlanSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_create_plans, can_edit_plan)]
    filterset_class = TrainingPlanFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "title", "status", "id"]

    def get_queryset(self):
        return selectors.training_plan_list(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.setdefault("user", self.request.user)
        serializer.instance = services.training_plan_create(**data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        trainings = data.pop("trainings", None)
        serializer.instance = services.training_plan_update(plan=serializer.instance, data=data, trainings=trainings)

    def perform_destroy(self, instance):
        services.training_plan_delete(plan=instance)
