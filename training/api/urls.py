from django.urls import path
from rest_framework.routers import SimpleRouter

from training.api.views import ExerciseViewSet, TrainingExerciseViewSet, TrainingPlanViewSet, TrainingViewSet

router = SimpleRouter()
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("trainings", TrainingViewSet, basename="training")
router.register("training-plans", TrainingPlanViewSet, basename="training-plan")

rows = TrainingExerciseViewSet.as_view({"get": "list", "post": "create"})
row = TrainingExerciseViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
)

urlpatterns = [
    *router.urls,
    path("trainings/<int:training_pk>/exercises/", rows, name="training-exercise-list"),
    path("trainings/<int:training_pk>/exercises/<int:pk>/", row, name="training-exercise-detail"),
]
