from django.urls import path

from classes import views

app_name = "classes"

urlpatterns = [
    path("schedule/", views.schedule, name="schedule"),
    path("schedule/sessions/<int:pk>/", views.session_detail, name="session-detail"),
    path("schedule/sessions/<int:pk>/book/", views.session_book, name="session-book"),
    path("schedule/sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("schedule/bookings/<int:pk>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("schedule/bookings/<int:pk>/attendance/", views.booking_attendance, name="booking-attendance"),
]
