"""Only the club and training API, for checking that their part of the schema raises no warning."""

from django.urls import include, path

urlpatterns = [path("api/", include("club.api.urls")), path("api/", include("training.api.urls"))]
