"""The trainers' client pages: thin views over club.selectors / club.services.

A client's own page combines several apps (trainings, workouts, visits): it is the dashboard app's."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import staff_page
from accounts.models import Role
from club import selectors, services
from club.forms import ClientFilterForm, ClientForm, ClientSignUpForm
from club.models import Client
from core.dashboard import add_service_errors, paginate, render_list


def _client_or_404(request: HttpRequest, pk: int) -> Client:
    return get_object_or_404(
        selectors.client_list(user=request.user).select_related("membership", "user", "trainer"), pk=pk
    )


@staff_page
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    filters = ClientFilterForm(request.GET, user=request.user)
    # A junk filter value (an unknown status) shows every client instead of failing: the form says what was wrong.
    criteria = filters.cleaned_data if filters.is_valid() else {}
    clients = selectors.client_search(
        user=request.user,
        search=criteria.get("q", ""),
        status=criteria.get("status", ""),
        membership=criteria.get("membership"),
        trainer=filters.trainer_scope(),
    )
    context = {"filters": filters, "page": paginate(request, clients), "filtered": filters.narrowed()}
    return render_list(request, "club/client_list.html", "club/_client_results.html", context)


@staff_page
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    # A trainer signing a member up is that member's trainer unless they pick another ("My clients").
    initial = {"trainer": request.user} if request.user.role == Role.TRAINER else {}
    form = ClientSignUpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_register(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(client)s is now a club member and can sign in as %(username)s.")
                % {"client": client, "username": client.user.username},
            )
            return redirect("dashboard:client-detail", client.pk)
    return render(request, "club/client_form.html", {"form": form, "creating": True})


@staff_page
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_or_404(request, pk)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(client=client, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved the profile of %(client)s.") % {"client": client})
            return redirect("dashboard:client-detail", client.pk)
    return render(request, "club/client_form.html", {"form": form, "client": client, "creating": False})
