from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("exercises/", views.exercise_list, name="exercise-list"),
    path("trainings/", views.training_list, name="training-list"),
    path("trainings/new/", views.training_create, name="training-create"),
    path("trainings/<int:pk>/edit/", views.training_edit, name="training-edit"),
    path("client-options/", views.client_options, name="client-options"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/trainings/", views.plan_training_choices, name="plan-training-choices"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/status/", views.plan_status, name="plan-status"),
]
