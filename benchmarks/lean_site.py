"""A lean Django view of the clients and trainings pages: what `benchmarks/api_list.py` compares the API with.

Not product code: it answers the same pages as `/api/clients/?page_size=50` and
`/api/trainings/?page_size=50` (JWT auth, staff only, the page as `.values()`, the count) with no
DRF, no serializers, filters or pagination classes, under the same settings and middleware
(benchmarks/lean_settings.py). Served by gunicorn exactly as the product's web-http is:

    gunicorn -c python:config.gunicorn benchmarks.lean_site:application
"""

import os
from itertools import groupby

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.lean_settings"
application = get_wsgi_application()

from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402

from accounts.permissions import is_staff_member  # noqa: E402
from club.models import Client  # noqa: E402
from training.models import Training, TrainingExercise  # noqa: E402

CLIENT_FIELDS = [
    "id",
    "user_id",
    "membership_id",
    "trainer_id",
    "first_name",
    "last_name",
    "phone_number",
    "gender",
    "date_of_birth",
    "weight_kg",
    "height_cm",
    "expiration_date",
    "created_at",
    "updated_at",
]
TRAINING_FIELDS = ["id", "client_id", "training_type", "title", "intensity", "duration_min", "date", "description"]
TRAINING_FIELDS += ["created_at"]
EXERCISE_FIELDS = ["id", "training_id", "exercise_id", "order_in_training", "sets", "reps", "rest_time_sec"]
EXERCISE_FIELDS += ["extra_weight"]


def staff_page(request):
    """(page, page_size) for a signed-in staff member, or the error response."""
    authenticated = JWTAuthentication().authenticate(request)
    if authenticated is None:
        return None, JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    if not is_staff_member(authenticated[0]):
        return None, JsonResponse({"detail": "Forbidden."}, status=403)
    page_size = min(int(request.GET.get("page_size", 20)), 200)
    return (int(request.GET.get("page", 1)), page_size), None


def page_body(count: int, rows: list[dict]) -> dict:
    return {"count": count, "next": None, "previous": None, "results": rows}


def clients(request):
    page, error = staff_page(request)
    if error:
        return error
    number, size = page
    clients = Client.objects.with_effective_status().order_by("last_name", "first_name", "id")
    rows = list(clients.values(*CLIENT_FIELDS, "effective_status")[(number - 1) * size : number * size])
    for row in rows:
        row["status"] = row.pop("effective_status")
    return JsonResponse(page_body(clients.count(), rows))


def trainings(request):
    page, error = staff_page(request)
    if error:
        return error
    number, size = page
    trainings = Training.objects.order_by("-date", "-id")
    rows = list(trainings.values(*TRAINING_FIELDS)[(number - 1) * size : number * size])
    exercises = TrainingExercise.objects.filter(training_id__in=[row["id"] for row in rows])
    by_training = {
        training_id: [{key: row[key] for key in EXERCISE_FIELDS if key != "training_id"} for row in group]
        for training_id, group in groupby(
            exercises.order_by("training_id", "order_in_training").values(*EXERCISE_FIELDS),
            key=lambda row: row["training_id"],
        )
    }
    for row in rows:
        row["exercises"] = by_training.get(row["id"], [])
    return JsonResponse(page_body(trainings.count(), rows))


urlpatterns = [path("api/clients/", clients), path("api/trainings/", trainings)]
