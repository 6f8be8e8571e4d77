"""The trainers' pages for trainings, plans and the exercise catalog: thin views over training.selectors/services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import staff_page
from club.selectors import client_list, client_picker_search
from core.dashboard import PICKER_LIMIT, add_service_errors, paginate, render_list
from training import selectors, services
from training.forms import (
    ClientChoiceField,
    ExerciseFilterForm,
    ExerciseRowFormSet,
    PlanFilterForm,
    PlanStatusForm,
    PlanUserField,
    TrainingFilterForm,
    TrainingForm,
    TrainingPlanForm,
)
from training.models import Training, TrainingPlan

EXERCISE_ROWS_PREFIX = "rows"


def _criteria(form) -> dict:
    # A junk filter value (an unknown level) lists everything; the form shows what was wrong.
    return form.cleaned_data if form.is_valid() else {}


# ---------------------------------------------------------------------------
# Exercise catalog
# ---------------------------------------------------------------------------
@staff_page
@require_GET
def exercise_list(request: HttpRequest) -> HttpResponse:
    filters = ExerciseFilterForm(request.GET)
    criteria = _criteria(filters)
    exercises = selectors.exercise_search(
        search=criteria.get("q", ""),
        muscle_group=criteria.get("muscle_group", ""),
        complexity_lvl=criteria.get("complexity_lvl", ""),
    )
    context = {
        "filters": filters,
        "page": paginate(request, exercises, per_page=24),
        "filtered": any(criteria.values()),
    }
    return render_list(request, "training/exercise_list.html", "training/_exercise_results.html", context)


# ---------------------------------------------------------------------------
# Trainings
# ---------------------------------------------------------------------------
def _training_or_404(request: HttpRequest, pk: int) -> Training:
    return get_object_or_404(selectors.training_list(user=request.user).select_related("client"), pk=pk)


@staff_page
@require_GET
def training_list(request: HttpRequest) -> HttpResponse:
    filters = TrainingFilterForm(request.GET, user=request.user)
    criteria = _criteria(filters)
    trainings = selectors.training_search(
        user=request.user,
        search=criteria.get("q", ""),
        training_type=criteria.get("training_type", ""),
        trainer=filters.trainer_scope(),
    )
    context = {"filters": filters, "page": paginate(request, trainings), "filtered": filters.narrowed()}
    return render_list(request, "training/training_list.html", "training/_training_results.html", context)


def _training_form_page(request: HttpRequest, training: Training | None) -> HttpResponse:
    clients = client_list(user=request.user)
    initial = {}
    if training is None and (client_id := request.GET.get("client", "")).isdigit():
        initial["client"] = clients.filter(pk=client_id).first()
    form = TrainingForm(request.POST or None, instance=training, clients=clients, initial=initial)
    rows_initial = (
        [
            {field: getattr(row, field) for field in ("exercise", "sets", "reps", "rest_time_sec", "extra_weight")}
            | {"ORDER": row.order_in_training}
            for row in selectors.training_exercise_list(training=training).select_related("exercise")
        ]
        if training
        else []
    )
    rows = ExerciseRowFormSet(request.POST or None, initial=rows_initial, prefix=EXERCISE_ROWS_PREFIX)
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        data = dict(form.cleaned_data)
        try:
            if training is None:
                training = services.training_create(exercises=rows.rows(), **data)
                count = len(rows.rows())
                messages.success(
                    request,
                    ngettext(
                        "Created “%(title)s” with %(count)d exercise.",
                        "Created “%(title)s” with %(count)d exercises.",
                        count,
                    )
                    % {"title": training.title, "count": count},
                )
            else:
                services.training_update(training=training, data=data, exercises=rows.rows())
                messages.success(request, _("Saved “%(title)s”.") % {"title": training.title})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("training:training-edit", training.pk)
    return render(request, "training/training_form.html", {"form": form, "rows": rows, "training": training})


@staff_page
@require_http_methods(["GET", "POST"])
def training_create(request: HttpRequest) -> HttpResponse:
    return _training_form_page(request, None)


@staff_page
@require_http_methods(["GET", "POST"])
def training_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _training_form_page(request, _training_or_404(request, pk))


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------
def _plan_or_404(request: HttpRequest, pk: int) -> TrainingPlan:
    return get_object_or_404(selectors.training_plan_list(user=request.user), pk=pk)


def _trainings_of(request: HttpRequest):
    def trainings_of(user_id: int | None) -> QuerySet[Training]:
        trainings = selectors.training_list(user=request.user).prefetch_related(None)
        return trainings.filter(client__user_id=user_id) if user_id else trainings.none()

    return trainings_of


@staff_page
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    filters = PlanFilterForm(request.GET, user=request.user)
    criteria = _criteria(filters)
    plans = selectors.training_plan_search(
        user=request.user,
        search=criteria.get("q", ""),
        status=criteria.get("status", ""),
        trainer=filters.trainer_scope(),
    )
    context = {
        "filters": filters,
        "page": paginate(request, plans),
        "filtered": filters.narrowed(),
        "status_form": PlanStatusForm(),
    }
    return render_list(request, "training/plan_list.html", "training/_plan_results.html", context)


def _plan_form_page(request: HttpRequest, plan: TrainingPlan | None) -> HttpResponse:
    initial = {}
    if plan is None and (client_id := request.GET.get("client", "")).isdigit():
        client = client_list(user=request.user).filter(pk=client_id).first()
        initial["user"] = client.user_id if client else None
    form = TrainingPlanForm(request.POST or None, instance=plan, initial=initial, trainings_of=_trainings_of(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        trainings = data.pop("trainings")
        try:
            if plan is None:
                plan = services.training_plan_create(trainings=trainings, **data)
                messages.success(
                    request,
                    _("Created the plan “%(title)s” for %(client)s.")
                    % {"title": plan.title, "client": plan.user.client},
                )
            else:
                services.training_plan_update(plan=plan, data=data, trainings=trainings)
                messages.success(request, _("Saved the plan “%(title)s”.") % {"title": plan.title})
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("training:plan-list")
    return render(request, "training/plan_form.html", {"form": form, "plan": plan})


@staff_page
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(request, None)


@staff_page
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_form_page(request, _plan_or_404(request, pk))


@staff_page
@require_GET
def plan_training_choices(request: HttpRequest) -> HttpResponse:
    """The plan form's training checkboxes for the client just chosen (htmx swaps them in)."""
    form = TrainingPlanForm(initial={"user": request.GET.get("user")}, trainings_of=_trainings_of(request))
    return render(request, "training/_plan_trainings.html", {"form": form})


@staff_page
@require_GET
def client_options(request: HttpRequest) -> HttpResponse:
    """The `<option>`s of a searchable client picker for what was typed (at most PICKER_LIMIT matches).

    `value=client` gives client ids (the training form), `value=user` their account ids (the plan form).
    """
    by_user = request.GET.get("value") == "user"
    matches = client_picker_search(user=request.user, search=request.GET.get("q", ""), with_account=by_user)
    matches = list(matches[: PICKER_LIMIT + 1])
    if by_user:
        options = [(c.user_id, PlanUserField.label_from_instance(None, c.user)) for c in matches[:PICKER_LIMIT]]
    else:
        options = [(c.pk, ClientChoiceField.label_from_instance(None, c)) for c in matches[:PICKER_LIMIT]]
    context = {"options": options, "more": len(matches) > PICKER_LIMIT}
    return render(request, "training/_client_options.html", context)


@staff_page
@require_POST
def plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_or_404(request, pk)
    form = PlanStatusForm(request.POST)
    if form.is_valid():
        try:
            services.training_plan_update(plan=plan, data={"status": form.cleaned_data["status"]})
        except ValidationError as error:
            messages.error(
                request,
                _("The status of “%(title)s” was not changed: %(reason)s")
                % {"title": plan.title, "reason": " ".join(error.messages)},
            )
        else:
            messages.success(
                request,
                _("“%(title)s” is now %(status)s.")
                % {"title": plan.title, "status": plan.get_status_display().lower()},
            )
    else:
        messages.error(request, _("Choose one of the listed statuses."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("training:plan-list")
