from rest_framework import serializers

from accounts.models import Role, User
from classes.models import Booking, ClassSession, ClassType, TimetableRule
from club.models import AccessLevel, Client

TRAINERS = User.objects.filter(role=Role.TRAINER, deleted_at__isnull=True)


class ClassTypeSerializer(serializers.ModelSerializer):
    access_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=AccessLevel.choices),
        required=False,
        help_text="Membership access levels admitted; empty admits every member.",
    )

    class Meta:
        model = ClassType
        fields = ["id", "name", "description", "capacity", "duration_min", "access_levels"]
        extra_kwargs = {
            "capacity": {"min_value": 1, "max_value": 500},
            "duration_min": {"min_value": 5, "max_value": 600},
        }


class MyBookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "status", "waitlist_position"]


class ClassSessionSerializer(serializers.ModelSerializer):
    class_type_id = serializers.PrimaryKeyRelatedField(source="class_type", queryset=ClassType.objects.all())
    class_type_name = serializers.CharField(source="class_type.name", read_only=True)
    trainer_id = serializers.PrimaryKeyRelatedField(source="trainer", queryset=TRAINERS)
    trainer_name = serializers.CharField(source="trainer.username", read_only=True)
    ends_at = serializers.DateTimeField(required=False, help_text="Default: starts_at + the class type's duration.")
    capacity = serializers.IntegerField(
        required=False, min_value=1, max_value=500, help_text="Default: the class type's capacity."
    )
    booked = serializers.IntegerField(read_only=True, help_text="Spots taken (BOOKED, ATTENDED, NO_SHOW).")
    waitlisted = serializers.IntegerField(read_only=True)
    spots_left = serializers.SerializerMethodField()
    my_booking = serializers.SerializerMethodField(help_text="The caller's own booking of this session, if any.")

    class Meta:
        model = ClassSession
        fields = [
            "id",
            "class_type_id",
            "class_type_name",
            "trainer_id",
            "trainer_name",
            "starts_at",
            "ends_at",
            "capacity",
            "room",
            "status",
            "cancel_reason",
            "booked",
            "waitlisted",
            "spots_left",
            "my_booking",
        ]
        read_only_fields = ["id", "status", "cancel_reason"]

    def get_spots_left(self, session: ClassSession) -> int:
        return max(0, session.capacity - getattr(session, "booked", 0))

    @staticmethod
    def _mine(session: ClassSession) -> Booking | None:
        mine = getattr(session, "my_bookings", None)
        return mine[0] if mine else None

    def get_my_booking(self, session: ClassSession) -> MyBookingSerializer(allow_null=True):  # type: ignore[valid-type]
        booking = self._mine(session)
        return MyBookingSerializer(booking).data if booking else None


class SessionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="Told to the members who had booked.")


class TimetableRuleSerializer(serializers.ModelSerializer):
    class_type_id = serializers.PrimaryKeyRelatedField(source="class_type", queryset=ClassType.objects.all())
    trainer_id = serializers.PrimaryKeyRelatedField(source="trainer", queryset=TRAINERS)

    class Meta:
        model = TimetableRule
        fields = ["id", "weekday", "start_time", "class_type_id", "trainer_id", "room", "active"]
        read_only_fields = ["id"]


class BookingCreateSerializer(serializers.Serializer):
    client_id = serializers.PrimaryKeyRelatedField(
        source="client",
        queryset=Client.objects.all(),
        required=False,
        help_text="Staff only: the member to book. A member books itself and leaves it out.",
    )


class BookingSerializer(serializers.ModelSerializer):
    session_id = serializers.IntegerField(read_only=True)
    client_id = serializers.IntegerField(read_only=True)
    class_type_name = serializers.CharField(source="session.class_type.name", read_only=True)
    starts_at = serializers.DateTimeField(source="session.starts_at", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "session_id",
            "client_id",
            "class_type_name",
            "starts_at",
            "status",
            "waitlist_position",
            "created_at",
            "promoted_at",
            "cancelled_at",
            "attended_at",
        ]
        read_only_fields = fields
