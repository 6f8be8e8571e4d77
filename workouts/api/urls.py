from rest_framework.routers import SimpleRouter

from workouts.api.views import WorkoutSessionViewSet

router = SimpleRouter()
router.register("workout-sessions", WorkoutSessionViewSet, basename="workout-session")

urlpatterns = router.urls
