from django.urls import path

from workouts.consumers import LiveConsumer, WorkoutConsumer

websocket_urlpatterns = [
    path("ws/workout", WorkoutConsumer.as_asgi()),
    path("ws/live", LiveConsumer.as_asgi()),
]
