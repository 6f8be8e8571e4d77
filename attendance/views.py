"""The desk's check-in page, the member's card page and the printable card: thin views over services/selectors."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import staff_page
from attendance import cards, selectors, services
from attendance.api.views import qr_svg
from attendance.permissions import has_member_card
from club.selectors import client_list, phone_search_digits

SEARCH_RESULTS = 8
MEMBER_VISITS_SHOWN = 10


def _outcome_context(outcome: services.CheckIn) -> dict:
    client = outcome.client
    return {
        "outcome": outcome,
        "client": client,
        "initials": f"{client.first_name[:1]}{client.last_name[:1]}".upper(),
    }


@staff_page
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """The front desk: one always-focused input for a scanner (keystrokes + Enter) or a member's name."""
    context: dict = {"repeat_minutes": settings.CHECKIN_REPEAT_MINUTES}
    if request.method == "POST":
        context |= _submit(request)
        if request.htmx:
            response = render(request, "attendance/_desk_result.html", context)
            response["HX-Trigger"] = "visit-recorded"
            return response
    context |= {
        "visits": selectors.visits_on(user=request.user, day=timezone.localdate())[: selectors.TODAY_LIST_LENGTH]
    }
    return render(request, "attendance/desk.html", context)


def _submit(request: HttpRequest) -> dict:
    text = request.POST.get("q", "").strip()
    client_id = request.POST.get("client_id", "").strip()
    try:
        if client_id.isdigit():
            return _outcome_context(services.check_in(staff=request.user, client_id=int(client_id)))
        if cards.looks_like_card(text):
            return _outcome_context(services.check_in(staff=request.user, qr_payload=text))
    except ValidationError as error:
        return {"refused": " ".join(message for messages in error.message_dict.values() for message in messages)}
    # Not a card: a name or a phone number typed at the desk and sent with Enter.
    return {"matches": _search(request, text), "query": text}


def _search(request: HttpRequest, text: str):
    if len(text) < 2 or cards.looks_like_card(text):
        return []
    clients = client_list(user=request.user).select_related("membership")
    if digits := phone_search_digits(text):
        clients = clients.filter(phone_normalized__contains=digits)
    else:
        for word in text.split()[:4]:
            clients = clients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return list(clients[:SEARCH_RESULTS])


@staff_page
@require_GET
def desk_search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    if len(text) < 2 or cards.looks_like_card(text):
        # A scan in progress or an input just emptied after an answer: keep the answer on screen (204: no swap).
        return HttpResponse(status=204)
    return render(request, "attendance/_desk_matches.html", {"matches": _search(request, text), "query": text})


@staff_page
@require_GET
def desk_today(request: HttpRequest) -> HttpResponse:
    visits = selectors.visits_on(user=request.user, day=timezone.localdate())[: selectors.TODAY_LIST_LENGTH]
    return render(request, "attendance/_desk_today.html", {"visits": visits})


@never_cache
@login_required
@require_GET
def my_card(request: HttpRequest) -> HttpResponse:
    """The member's own page: the card to show at the door (refreshed before it expires) and its visits."""
    if not has_member_card(request.user):
        raise Http404(_("Only club members have a member card."))
    client = request.user.client
    payload = cards.phone_card_payload(client.pk)
    context = {
        "client": client,
        "qr": qr_svg(payload, scalable=True),
        "expires_at": timezone.now() + datetime.timedelta(seconds=settings.MEMBER_CARD_MAX_AGE),
        "refresh_seconds": max(30, settings.MEMBER_CARD_MAX_AGE - 60),
        "visits": selectors.visit_list(user=request.user)[:MEMBER_VISITS_SHOWN],
    }
    if request.htmx:
        return render(request, "attendance/_my_card_qr.html", context)
    return render(request, "attendance/my_card.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def printed_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A card to print for a member without a phone; "Reissue" revokes every earlier print."""
    client = get_object_or_404(client_list(user=request.user).select_related("membership"), pk=pk)
    if request.method == "POST":
        services.member_card_issue(client=client, staff=request.user)
        messages.success(
            request, _("Issued a new card for %(client)s: earlier printed cards no longer work.") % {"client": client}
        )
        return redirect("attendance:printed-card", client.pk)
    card = services.member_card_current(client=client, staff=request.user)
    context = {
        "client": client,
        "card": card,
        "qr": qr_svg(cards.printed_card_payload(client.pk, card.code), scalable=True),
    }
    return render(request, "attendance/printed_card.html", context)
