from django.urls import path

from core import views

urlpatterns = [
    path("", views.root, name="root"),
    path("health", views.health, name="health"),
    path("healthz", views.healthz, name="healthz"),
]
