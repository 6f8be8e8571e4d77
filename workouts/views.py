"""The trainers' live workouts page: the page itself, and the short-lived token its script opens `/ws/live` with."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_page
from accounts.services import live_feed_token_issue
from core.exceptions import ApplicationError
from workouts.counter import CounterBusy, CounterUnavailable
from workouts.selectors import workout_session_list
from workouts.services import workout_end

RECENT_FINISHED = 10


@staff_page
@require_GET
def live_workouts(request: HttpRequest) -> HttpResponse:
    # Counts in progress live only in the counters: the socket's first message (`live_snapshot`) brings
    # them, and its events everything counted after it. The page itself starts with the saved workouts.
    recent = workout_session_list(user=request.user).select_related("user__client", "ended_by")[:RECENT_FINISHED]
    context = {"recent": recent, "idle_minutes": settings.WORKOUT_IDLE_MINUTES}
    return render(request, "workouts/live.html", context)


@never_cache
@staff_page
@require_POST
def live_end(request: HttpRequest) -> JsonResponse:
    """Staff end a workout whose device never finished: saved like a finish, with who ended it.

    The page posts `user_id` and `type` (a row of "In progress"); the saved workout then reaches every
    open live page as a `workout_finished` event, like any finish.
    """
    user_id = request.POST.get("user_id", "")
    if not user_id.isdigit():
        return JsonResponse({"detail": "user_id must be a member's id."}, status=400)
    try:
        session = workout_end(actor=request.user, user_id=int(user_id), exercise_type=request.POST.get("type", ""))
    except CounterBusy:
        return JsonResponse({"detail": _("This workout is being finished right now.")}, status=409)
    except CounterUnavailable:
        return JsonResponse({"detail": _("The rep counter is unreachable: try again in a moment.")}, status=503)
    except ApplicationError as error:
        return JsonResponse({"detail": error.message}, status=409)
    return JsonResponse(
        {
            "workout_id": session.pk,
            "user_id": session.user_id,
            "type": session.exercise_type,
            "total_reps": session.total_reps,
        }
    )


@never_cache
@staff_page
@require_GET
def live_token(request: HttpRequest) -> JsonResponse:
    """A live-feed token for `/ws/live`, fetched by the page before each (re)connect.

    A browser cannot set headers on a WebSocket and the socket authenticates with a JWT, not the
    session; the token is never written into the HTML, so a page left open for hours still
    reconnects after its first token expired. It opens nothing but `/ws/live` (accounts/tokens.py).
    """
    token = live_feed_token_issue(user=request.user)
    return JsonResponse({"token": str(token), "expires_in": int(token.lifetime.total_seconds())})
