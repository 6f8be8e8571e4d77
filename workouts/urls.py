from django.urls import path

from workouts import views
from workouts.api.views import WorkoutFinishView, WorkoutSessionListView

# The workout service's paths, kept as the seed had them (no trailing slash).
urlpatterns = [
    path("workout/finish", WorkoutFinishView.as_view(), name="workout-finish"),
    path("workout/sessions", WorkoutSessionListView.as_view(), name="workout-sessions"),
    # The trainers' live page (a dashboard, so under /dashboard/ with the others).
    path("dashboard/live/", views.live_workouts, name="live-workouts"),
    path("dashboard/live/token/", views.live_token, name="live-token"),
    path("dashboard/live/end/", views.live_end, name="live-end"),
]
