from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("clients/<int:pk>/", views.client_detail, name="client-detail"),
]
