"""The schedule pages: the week of classes and trainings, and a session's roster (thin views over the services)."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import staff_page
from classes import selectors, services
from classes.models import Booking, SessionStatus
from club.selectors import client_search
from core.exceptions import ApplicationError


def _monday(request: HttpRequest) -> datetime.date:
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = today  # a junk ?week= shows this week
    return day - datetime.timedelta(days=day.weekday())


@staff_page
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    monday = _monday(request)
    sunday = monday + datetime.timedelta(days=6)
    today = timezone.localdate()
    days = {monday + datetime.timedelta(days=n): [] for n in range(7)}
    for session in selectors.session_list(user=request.user, date_from=monday, date_to=sunday):
        start = timezone.localtime(session.starts_at)
        days[start.date()].append(("class", start.time(), session))
    for training in selectors.trainer_trainings(user=request.user, date_from=monday, date_to=sunday):
        days[training.date].append(("training", training.start_time, training))
    context = {
        "monday": monday,
        "sunday": sunday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "this_week": today - datetime.timedelta(days=today.weekday()),
        "days": [
            {
                "date": day,
                "today": day == today,
                # Classes and trainings by time; a training without a start time comes last.
                "items": sorted(items, key=lambda item: (item[1] is None, item[1] or datetime.time.min)),
            }
            for day, items in days.items()
        ],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "classes/_week.html", context)
    return render(request, "classes/schedule.html", context)


def _session_or_404(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.session_list(user=request.user), pk=pk)


@staff_page
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    query = request.GET.get("q", "").strip()
    candidates = client_search(user=request.user, search=query)[:10] if query else []
    roster = selectors.session_roster(session=session)
    places = {b.client_id: b for b in [*roster["spots"], *roster["waitlist"]]}
    context = {
        "session": session,
        "roster": roster,
        # Members found who already hold a place are shown with it instead of a "Book" button.
        "candidates": [(client, places.get(client.pk)) for client in candidates],
        "query": query,
        "spots_left": max(0, session.capacity - session.booked),
        "open": session.status == SessionStatus.SCHEDULED and session.starts_at > timezone.now(),
        "can_mark": session.status == SessionStatus.SCHEDULED
        and session.starts_at - services.ATTENDANCE_WINDOW <= timezone.now(),
    }
    return render(request, "classes/session_detail.html", context)


def _refused(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, error.message)


@staff_page
@require_POST
def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    client = get_object_or_404(client_search(user=request.user), pk=request.POST.get("client_id") or 0)
    try:
        booking = services.booking_create(session=session, client=client, actor=request.user)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        if booking.waitlist_position:
            messages.warning(
                request,
                _("%(client)s is on the waitlist at position %(position)s.")
                % {"client": client, "position": booking.waitlist_position},
            )
        else:
            messages.success(request, _("%(client)s is booked.") % {"client": client})
    return redirect("classes:session-detail", pk=session.pk)


@staff_page
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_or_404(request, pk)
    try:
        services.session_cancel(session=session, reason=request.POST.get("reason", ""), actor=request.user)
    except (ApplicationError, ValidationError) as error:
        _refused(request, error)
    else:
        messages.success(request, _("The session is cancelled; its members are told why."))
    return redirect("classes:session-detail", pk=session.pk)


@staff_page
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("client"), pk=pk)
    try:
        booking = services.booking_cancel(booking=booking, actor=request.user)
    except ApplicationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("%(client)s's booking is %(status)s.")
            % {"client": booking.client, "status": booking.get_status_display().lower()},
        )
    return redirect("classes:session-detail", pk=booking.session_id)


@staff_page
@require_POST
def booking_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking, pk=pk)
    try:
        services.booking_set_attendance(
            booking=booking, attended=request.POST.get("attended") == "1", actor=request.user
        )
    except ApplicationError as error:
        _refused(request, error)
    return redirect("classes:session-detail", pk=booking.session_id)
