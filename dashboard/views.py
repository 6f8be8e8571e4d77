"""The pages that combine several apps: the trainers' home ("Today") and a client's page.

Thin: each app's scoped selectors read, dashboard.selectors combines; the apps below never import this one.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import staff_page
from attendance import selectors as attendance_selectors
from club.selectors import EXPIRY_WINDOW_DAYS, client_list
from dashboard import selectors
from notifications.selectors import notification_list
from training.selectors import training_list, training_plan_list
from workouts.selectors import workout_session_list

TIMELINE_LENGTH = 20
SESSIONS_SHOWN = 10
NOTIFICATIONS_SHOWN = 10


@staff_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "dashboard/home.html",
        {
            "today": today,
            "glance": selectors.today_at_a_glance(user=request.user, today=today),
            "expiry_window_days": EXPIRY_WINDOW_DAYS,
            "attendance": attendance_selectors.attendance_today(user=request.user, today=today),
        },
    )


@staff_page
@require_GET
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    client = get_object_or_404(client_list(user=user).select_related("membership", "user", "trainer"), pk=pk)
    today = timezone.localdate()
    charts = {
        "minutes": selectors.training_minutes_per_week(user=user, client=client, today=today),
        "volume": selectors.training_volume_by_muscle_group(user=user, client=client),
        "reps": selectors.reps_per_session(user=user, client=client),
    }
    born = client.date_of_birth
    context = {
        "client": client,
        "today": today,
        "age": today.year - born.year - ((today.month, today.day) < (born.month, born.day)),
        "days_left": (client.expiration_date - today).days if client.expiration_date else None,
        "trainings": training_list(user=user).filter(client=client)[:TIMELINE_LENGTH],
        "plans": training_plan_list(user=user).filter(user_id=client.user_id),
        "sessions": workout_session_list(user=user).filter(user_id=client.user_id)[:SESSIONS_SHOWN],
        "notifications": notification_list(user=user).filter(user_id=client.user_id)[:NOTIFICATIONS_SHOWN],
        "charts": {name: series.as_chart_data() for name, series in charts.items()},
        "has_chart": {name: bool(series.values) and any(series.values) for name, series in charts.items()},
    }
    context |= attendance_selectors.client_attendance(user=user, client=client, today=today)
    return render(request, "dashboard/client_detail.html", context)
