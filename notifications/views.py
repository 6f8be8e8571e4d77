"""The member's Notifications page: a checkbox per kind, saved through the API's service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from notifications import services
from notifications.models import NotificationKind


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # An unchecked checkbox is not sent at all: every kind the page shows is decided by this POST.
        chosen = set(request.POST.getlist("kinds"))
        services.notification_preferences_set(
            user=request.user, preferences={kind: kind in chosen for kind in NotificationKind.values}
        )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    current = services.notification_preferences_get(user=request.user)
    context = {
        "kinds": [(kind, label, current[kind]) for kind, label in NotificationKind.choices],
        "telegram_linked": request.user.telegram_id is not None,
        "unreachable": request.user.telegram_unreachable_at is not None,
    }
    return render(request, "notifications/preferences.html", context)
