from django.urls import path

from club import views

app_name = "club"

urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_create, name="client-create"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
]
