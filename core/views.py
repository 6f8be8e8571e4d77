from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from attendance.selectors import attendance_today
from core import selectors
from core.dashboard import staff_page
from core.health import component_states
from core.metrics import metrics_allowed, render_metrics


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    # The workout seed's liveness probe answered JSON here; people with a browser want the app.
    if "text/html" in request.headers.get("Accept", ""):
        return redirect("dashboard")
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


@staff_page
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "core/dashboard.html",
        {
            "today": today,
            "glance": selectors.today_at_a_glance(user=request.user, today=today),
            "expiry_window_days": selectors.EXPIRY_WINDOW_DAYS,
            "attendance": attendance_today(user=request.user, today=today),
        },
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for a scraper holding METRICS_TOKEN or a signed-in club admin."""
    if not metrics_allowed(request):
        return JsonResponse({"detail": "Metrics need the METRICS_TOKEN bearer token or an admin login."}, status=403)
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
