from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.permissions import is_admin
from core.views import metrics

urlpatterns = [
    path("", include("core.urls")),
    # The Russian (or English) strings of static/js, for the pages whose scripts write text (docs/i18n.md).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # core serves the metrics; who may read them besides a scraper with the token is accounts' rule.
    path("metrics", metrics, {"user_allowed": is_admin}, name="metrics"),
    path("dashboard/", include("dashboard.urls")),
    path("dashboard/", include("club.urls")),
    path("dashboard/", include("training.urls")),
    path("dashboard/", include("reports.urls")),
    path("dashboard/", include("classes.urls")),
    path("dashboard/", include("attendance.urls")),
    path("dashboard/", include("notifications.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("bot.urls")),
    path("", include("workouts.urls")),
    path("api/", include("club.api.urls")),
    path("api/", include("training.api.urls")),
    path("api/", include("workouts.api.urls")),
    path("api/", include("reports.api.urls")),
    path("api/", include("classes.api.urls")),
    path("api/", include("attendance.api.urls")),
    path("api/", include("notifications.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

# JSON under /api/, the HTML pages elsewhere (core/exceptions.py).
handler404 = "core.exceptions.not_found"
handler500 = "core.exceptions.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
