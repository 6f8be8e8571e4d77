from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.health import component_states
from core.metrics import UserCheck, metrics_allowed, render_metrics


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    # The workout seed's liveness probe answered JSON here; people with a browser want the app.
    if "text/html" in request.headers.get("Accept", ""):
        return redirect(settings.LOGIN_REDIRECT_URL)
    return JsonResponse({"status": "ok"})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    components = component_states()
    healthy = "down" not in components.values()
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "components": components}, status=200 if healthy else 503
    )


@never_cache
@require_GET
def metrics(request: HttpRequest, *, user_allowed: UserCheck | None = None) -> HttpResponse:
    """Prometheus metrics, for a scraper holding METRICS_TOKEN or a signed-in user `user_allowed` lets in.

    The URLconf (config/urls.py) passes accounts' rule, a club admin: core knows no roles.
    """
    if not metrics_allowed(request, user_allowed=user_allowed):
        detail = gettext("Metrics need the METRICS_TOKEN bearer token or an admin login.")
        return JsonResponse({"detail": detail}, status=403)
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
