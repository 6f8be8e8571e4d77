from rest_framework import serializers

from workouts.models import WorkoutSession
from workouts.protocol import DEFAULT_EXERCISE_TYPE, exercise_type_error


class WorkoutSessionSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = WorkoutSession
        fields = ["id", "user_id", "username", "exercise_type", "total_reps", "created_at"]
        read_only_fields = fields


class WorkoutFinishSerializer(serializers.Serializer):
    type = serializers.CharField(required=False, default=DEFAULT_EXERCISE_TYPE)

    def validate_type(self, value: str) -> str:
        if error := exercise_type_error(value):
            raise serializers.ValidationError(error)
        return value


class WorkoutFinishResponseSerializer(serializers.Serializer):
    status = serializers.CharField()
    workout_id = serializers.IntegerField()
