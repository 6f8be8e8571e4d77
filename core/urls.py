from django.urls import path

from core import views

urlpatterns = [
    path("", views.root, name="root"),
    path("health", views.health, name="health"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("metrics", views.metrics, name="metrics"),
]
