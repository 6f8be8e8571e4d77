from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ReadOnlyModelViewSet

from core.exceptions import Conflict
from workouts.api.filters import WorkoutSessionFilter
from workouts.api.serializers import (
    WorkoutFinishResponseSerializer,
    WorkoutFinishSerializer,
    WorkoutSessionSerializer,
)
from workouts.counter import CounterBusy, CounterUnavailable
from workouts.models import WorkoutSession
from workouts.selectors import workout_session_list
from workouts.services import workout_finish

IDEMPOTENCY_KEY_MAX_LENGTH = WorkoutSession._meta.get_field("idempotency_key").max_length


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy("A service the request needs is unavailable; retry shortly.")
    default_code = "service_unavailable"


class VisibleWorkoutSessionsMixin:
    """The saved workouts the caller may see: a client its own, staff everyone's."""

    queryset = WorkoutSession.objects.none()  # for the schema generator; requests use get_queryset
    serializer_class = WorkoutSessionSerializer
    filterset_class = WorkoutSessionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return workout_session_list(user=self.request.user)


class WorkoutSessionViewSet(VisibleWorkoutSessionsMixin, ReadOnlyModelViewSet):
    """Saved real-time workouts: a client sees its own, staff everyone's."""

    search_fields = ["user__username", "exercise_type"]
    ordering_fields = ["created_at", "total_reps", "exercise_type"]


class WorkoutSessionListView(VisibleWorkoutSessionsMixin, ListAPIView):
    """`GET /workout/sessions` of the workout service: the caller's saved workouts (staff: everyone's), newest first."""


class WorkoutFinishView(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        # The database may already fail in authentication, before `post` runs: still a 503, and the
        # counter was not touched.
        if isinstance(exc, (OperationalError, InterfaceError)):
            exc = ServiceUnavailable(gettext("The database is unavailable; your reps are kept, retry the finish."))
        return super().handle_exception(exc)

    @extend_schema(
        request=WorkoutFinishSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=False,
                description="A retry with the same key returns the same workout_id and saves nothing twice.",
            )
        ],
        responses={
            201: WorkoutFinishResponseSerializer,
            200: OpenApiResponse(WorkoutFinishResponseSerializer, description="A retry of an earlier finish."),
            503: OpenApiResponse(description="Database or counter unavailable; the reps are kept for a retry."),
        },
    )
    def post(self, request: Request) -> Response:
        """Save the caller's running total of one exercise type as a workout (SPEC `POST /workout/finish`)."""
        serializer = WorkoutFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        idempotency_key = request.headers.get("Idempotency-Key") or None
        if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [gettext("At most %(max)s characters.") % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}]}
            )
        try:
            session, created = workout_finish(
                user=request.user, exercise_type=serializer.validated_data["type"], idempotency_key=idempotency_key
            )
        except CounterUnavailable as error:
            raise ServiceUnavailable(
                gettext("The rep counter is unavailable; your reps are kept, retry the finish.")
            ) from error
        except CounterBusy as error:
            raise Conflict(gettext("Another finish of this workout is in progress; retry it.")) from error
        return Response(
            {"status": "success", "workout_id": session.pk},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
