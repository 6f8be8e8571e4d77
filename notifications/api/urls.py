from django.urls import path

from notifications.api.views import NotificationPreferencesView

urlpatterns = [
    path("me/notifications/", NotificationPreferencesView.as_view(), name="notification-preferences"),
]
