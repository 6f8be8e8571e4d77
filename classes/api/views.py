from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from classes import selectors, services
from classes.api.serializers import (
    BookingCreateSerializer,
    BookingSerializer,
    ClassSessionSerializer,
    ClassTypeSerializer,
    SessionCancelSerializer,
    TimetableRuleSerializer,
)
from classes.models import Booking, ClassSession
from classes.permissions import can_cancel_booking, can_manage_classes, can_view_booking
from club.api.permissions import read_or_write_if
from core.parsers import JSONParser

CLASS_TYPE_EXAMPLE = {
    "id": 3,
    "name": "Yoga flow",
    "description": "Vinyasa for every level",
    "capacity": 12,
    "duration_min": 60,
    "access_levels": ["PREMIUM", "VIP"],
}
SESSION_EXAMPLE = {
    "id": 118,
    "class_type_id": 3,
    "class_type_name": "Yoga flow",
    "trainer_id": 7,
    "trainer_name": "coach",
    "starts_at": "2026-12-07T18:00:00Z",
    "ends_at": "2026-12-07T19:00:00Z",
    "capacity": 12,
    "room": "Studio 1",
    "status": "SCHEDULED",
    "cancel_reason": "",
    "booked": 12,
    "waitlisted": 3,
    "spots_left": 0,
    "my_booking": {"id": 951, "status": "WAITLISTED", "waitlist_position": 2},
}
BOOKING_EXAMPLE = {
    "id": 951,
    "session_id": 118,
    "client_id": 42,
    "class_type_name": "Yoga flow",
    "starts_at": "2026-12-07T18:00:00Z",
    "status": "WAITLISTED",
    "waitlist_position": 2,
    "created_at": "2026-12-05T09:12:00Z",
    "promoted_at": None,
    "cancelled_at": None,
    "attended_at": None,
}
CONFLICT_EXAMPLES = [
    OpenApiExample(
        "Already booked",
        value={"detail": "This member already has a place in this session.", "extra": {"reason": "ALREADY_BOOKED"}},
        response_only=True,
        status_codes=["409"],
    ),
    OpenApiExample(
        "Membership lapsed",
        value={"detail": "The membership is not active on the day of this class.", "extra": {"reason": "LAPSED"}},
        response_only=True,
        status_codes=["409"],
    ),
]


class SessionQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    trainer_id = serializers.IntegerField(required=False, min_value=1)
    class_type_id = serializers.IntegerField(required=False, min_value=1)


@extend_schema_view(
    list=extend_schema(
        summary="List class types (every signed-in user)",
        examples=[OpenApiExample("A class type", value=CLASS_TYPE_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Create a class type (staff)",
        examples=[OpenApiExample("Yoga", value={**CLASS_TYPE_EXAMPLE, "id": None}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a class type (staff); 409 while sessions or rules use it"),
)
class ClassTypeViewSet(viewsets.ModelViewSet):
    serializer_class = ClassTypeSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_classes)]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id"]

    def get_queryset(self):
        return selectors.class_type_list()

    def perform_create(self, serializer):
        serializer.instance = services.class_type_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.class_type_update(class_type=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.class_type_delete(class_type=instance)


@extend_schema_view(
    list=extend_schema(
        summary="List class sessions with spots left and the caller's own booking",
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="Sessions starting on or after this day."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Sessions starting on or before this day."),
            OpenApiParameter("trainer_id", OpenApiTypes.INT),
            OpenApiParameter("class_type_id", OpenApiTypes.INT),
        ],
        examples=[
            OpenApiExample("A full session the caller is waitlisted for", value=SESSION_EXAMPLE, response_only=True)
        ],
    ),
    retrieve=extend_schema(summary="One class session"),
    create=extend_schema(
        summary="Schedule a session (staff); 409 when its trainer or room is busy then",
        examples=[
            OpenApiExample(
                "A one-off class",
                value={"class_type_id": 3, "trainer_id": 7, "starts_at": "2026-12-07T18:00:00Z", "room": "Studio 1"},
                request_only=True,
            ),
            OpenApiExample(
                "Trainer busy",
                value={
                    "detail": "Trainer coach is already booked: Yoga flow on 2026-12-07 18:00–19:00.",
                    "extra": {"reason": "TRAINER_BUSY", "clash_session_id": 118},
                },
                response_only=True,
                status_codes=["409"],
            ),
        ],
    ),
)
class ClassSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ClassSessionSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_classes)]
    ordering_fields = ["starts_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the view: no caller
            return ClassSession.objects.none()
        if self.action != "list":
            return selectors.session_list(user=self.request.user)
        query = SessionQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.session_list(user=self.request.user, **query.validated_data)

    def perform_create(self, serializer):
        session = services.session_create(**serializer.validated_data)
        serializer.instance = selectors.session_get(user=self.request.user, pk=session.pk)

    @extend_schema(
        summary="Cancel a session (staff): its bookings are cancelled and the members told the reason",
        request=SessionCancelSerializer,
        responses={200: ClassSessionSerializer},
        examples=[OpenApiExample("Trainer ill", value={"reason": "The trainer is ill"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self.get_object()
        body = SessionCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.session_cancel(session=session, reason=body.validated_data["reason"], actor=request.user)
        return Response(self.get_serializer(selectors.session_get(user=request.user, pk=session.pk)).data)

    @extend_schema(
        methods=["POST"],
        summary="Book a session: a member for itself, staff for `client_id`",
        description="201 with status BOOKED, or WAITLISTED and its `waitlist_position` when the session is full. "
        "409 (with `extra.reason`) for ALREADY_BOOKED, LAPSED, ON_HOLD, ACCESS_LEVEL, SESSION_STARTED, "
        "SESSION_CANCELLED.",
        request=BookingCreateSerializer,
        responses={201: BookingSerializer},
        examples=[
            OpenApiExample("Staff books a member", value={"client_id": 42}, request_only=True),
            OpenApiExample("Waitlisted", value=BOOKING_EXAMPLE, response_only=True, status_codes=["201"]),
            *CONFLICT_EXAMPLES,
        ],
    )
    @extend_schema(
        methods=["GET"], summary="The session's bookings (staff)", responses={200: BookingSerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[IsAuthenticated])
    def bookings(self, request, pk=None):
        session = self.get_object()
        if request.method == "GET":
            if not can_manage_classes(request.user):
                raise exceptions.PermissionDenied(gettext("Only staff see a session's bookings."))
            page = self.paginate_queryset(selectors.booking_list(user=request.user).filter(session=session))
            return self.get_paginated_response(BookingSerializer(page, many=True).data)
        body = BookingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = body.validated_data.get("client")
        if can_manage_classes(request.user):
            if client is None:
                raise exceptions.ValidationError({"client_id": [gettext("Staff book a member: give its client_id.")]})
        else:
            try:
                own = request.user.client
            except ObjectDoesNotExist:
                raise exceptions.PermissionDenied(gettext("Only members with a client profile book classes.")) from None
            if client is not None and client != own:
                raise exceptions.PermissionDenied(gettext("A member books for itself only."))
            client = own
        booking = services.booking_create(session=session, client=client, actor=request.user)
        booking = selectors.booking_list(user=request.user).get(pk=booking.pk)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The weekly timetable's rules"),
    create=extend_schema(
        summary="Add a timetable rule (staff); its sessions are created at once",
        examples=[
            OpenApiExample(
                "Mondays at 18:00",
                value={"weekday": 0, "start_time": "18:00", "class_type_id": 3, "trainer_id": 7, "room": "Studio 1"},
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Change a rule (staff): future sessions nobody booked follow it"),
    partial_update=extend_schema(summary="Change some fields of a rule (staff)"),
    destroy=extend_schema(summary="Delete a rule (staff): its future unbooked sessions go too"),
)
class TimetableRuleViewSet(viewsets.ModelViewSet):
    serializer_class = TimetableRuleSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_classes)]
    ordering_fields = ["weekday", "start_time", "id"]

    def get_queryset(self):
        return selectors.timetable_rule_list()

    def perform_create(self, serializer):
        serializer.instance = services.timetable_rule_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.timetable_rule_update(rule=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.timetable_rule_delete(rule=instance)


@extend_schema_view(
    list=extend_schema(
        summary="Bookings: a member's own (its 'my bookings'), every booking for staff",
        parameters=[
            OpenApiParameter("session_id", OpenApiTypes.INT),
            OpenApiParameter("client_id", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR),
        ],
        examples=[OpenApiExample("A waitlisted booking", value=BOOKING_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(summary="One booking (the member's own, or any for staff)"),
    destroy=extend_schema(
        summary="Cancel a booking (the member or staff)",
        description="CANCELLED, or LATE_CANCELLED within BOOKING_CANCEL_CUTOFF_HOURS of the start; the first "
        "waitlisted member gets the spot. Answers 200 with the cancelled booking.",
        responses={200: BookingSerializer, 409: OpenApiResponse(description="Not active, or the session started")},
        examples=[
            OpenApiExample(
                "Late cancel",
                value={**BOOKING_EXAMPLE, "status": "LATE_CANCELLED", "waitlist_position": None},
                response_only=True,
                status_codes=["200"],
            )
        ],
    ),
)
class BookingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = BookingSerializer
    permission_classes = [IsAuthenticated]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        bookings = selectors.booking_list(user=self.request.user)
        params = self.request.query_params
        for name in ("session_id", "client_id"):
            if value := params.get(name):
                if not value.isdigit():
                    raise exceptions.ValidationError({name: [gettext("A whole number.")]})
                bookings = bookings.filter(**{name: int(value)})
        if value := params.get("status"):
            bookings = bookings.filter(status=value.upper())
        return bookings

    def get_object(self):
        booking = super().get_object()
        if not can_view_booking(self.request.user, booking):
            raise Http404
        return booking

    def destroy(self, request, *args, **kwargs):
        booking = self.get_object()
        if not can_cancel_booking(request.user, booking):
            raise exceptions.PermissionDenied()
        booking = services.booking_cancel(booking=booking, actor=request.user)
        booking = selectors.booking_list(user=request.user).get(pk=booking.pk)
        return Response(BookingSerializer(booking).data)
