"""The trainers' live workouts page: the page itself, and the short-lived token its script opens `/ws/live` with."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.services import live_feed_token_issue
from core.dashboard import staff_page
from workouts.selectors import workout_session_list

RECENT_FINISHED = 10


@staff_page
@require_GET
def live_workouts(request: HttpRequest) -> HttpResponse:
    # Counts in progress live only in the counters: the socket's first message (`live_snapshot`) brings
    # them, and its events everything counted after it. The page itself starts with the saved workouts.
    recent = workout_session_list(user=request.user).select_related("user__client")[:RECENT_FINISHED]
    return render(request, "workouts/live.html", {"recent": recent})


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
