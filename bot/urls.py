from django.urls import path

from bot import views

urlpatterns = [
    path("api/telegram/webhook/", views.TelegramWebhookView.as_view(), name="telegram-webhook"),
]
