from django.contrib.auth import views as auth_views
from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import views
from accounts.api import views as api

router = SimpleRouter()
router.register("api/users", api.UserViewSet, basename="user")

urlpatterns = [
    path("api/auth/token/", api.PasswordLoginView.as_view(), name="token-obtain"),
    path("api/auth/token/refresh/", api.RefreshView.as_view(), name="token-refresh"),
    path("api/auth/token/verify/", api.VerifyView.as_view(), name="token-verify"),
    path("api/auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("api/auth/telegram/", api.TelegramLoginView.as_view(), name="telegram-login"),
    path("api/auth/telegram/webapp/", api.TelegramWebAppView.as_view(), name="telegram-webapp"),
    path("api/auth/telegram/link/", api.TelegramLinkView.as_view(), name="telegram-link"),
    path("api/auth/telegram/confirm/", api.TelegramConfirmView.as_view(), name="telegram-confirm"),
    path(".well-known/jwks.json", api.JwksView.as_view(), name="jwks"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/telegram/", views.telegram_widget_login, name="login-telegram"),
    path("login/confirm/", views.TelegramConfirmLoginView.as_view(), name="login-confirm"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language_choose, name="language"),
    *router.urls,
]
