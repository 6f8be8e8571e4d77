"""The staff admin: every page opens for a superuser, and the actions go through the apps' services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import AdminFactory
from club.models import Client, ClientStatus
from club.tests.factories import ClientFactory, PaymentFactory
from reports.models import Report, ReportKind, ReportStatus

pytestmark = pytest.mark.django_db

MODEL_ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser(client):
    user = AdminFactory(username="root", is_superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def one_of_everything(member, make_report):
    """At least one row of every model the admin shows, so each change page has something to open."""
    PaymentFactory(client=member)
    make_report(ReportStatus.SUCCESS, client=member, kind=ReportKind.CLIENT_PROGRESS)
    return member


def test_the_admin_registers_every_model_of_the_apps():
    labels = {model._meta.label for model in admin.site._registry}
    assert {
        "accounts.User",
        "club.Client",
        "club.Membership",
        "club.Payment",
        "training.Exercise",
        "training.Training",
        "training.TrainingPlan",
        "workouts.WorkoutSession",
        "reports.Report",
    } <= labels


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=[m._meta.label for m, _ in MODEL_ADMINS])
def test_every_admin_page_opens_for_a_superuser(client, superuser, one_of_everything, model, model_admin):
    info = (model._meta.app_label, model._meta.model_name)
    pages = [reverse("admin:{}_{}_changelist".format(*info))]
    pages.append(pages[0] + "?q=anna")  # the search box
    if model_admin.has_add_permission(client.request().wsgi_request):
        pages.append(reverse("admin:{}_{}_add".format(*info)))
    if obj := model._default_manager.order_by("pk").first():
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        pages.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))

    statuses = {page: client.get(page).status_code for page in pages}

    assert statuses == dict.fromkeys(pages, 200)


@pytest.mark.parametrize(("model", "model_admin"), MODEL_ADMINS, ids=[m._meta.label for m, _ in MODEL_ADMINS])
def test_an_empty_add_form_answers_with_errors_not_a_500(client, superuser, model, model_admin):
    if not model_admin.has_add_permission(client.request().wsgi_request):
        pytest.skip(f"{model._meta.label} has no add page")

    response = client.post(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"), {})

    # Third-party models with no required field (django-celery-results) may save an empty row.
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["errors"]


def run_action(client, action: str, clients: list[Client]):
    return client.post(
        reverse("admin:club_client_changelist"),
        {"action": action, "_selected_action": [c.pk for c in clients]},
        follow=True,
    )


def test_deactivating_clients_from_the_admin(client, superuser):
    active, on_hold = ClientFactory(), ClientFactory(status=ClientStatus.ON_HOLD)

    response = run_action(client, "deactivate_clients", [active, on_hold])

    assert "2 clients deactivated." in response.content.decode()
    assert set(Client.objects.values_list("status", flat=True)) == {ClientStatus.INACTIVE}


def test_the_admin_has_no_action_that_moves_a_paid_until_date_without_a_payment(client, superuser):
    # The old "Extend membership by 30 days (paid at the desk)" moved the date with no payment and no ledger row.
    changelist = client.get(reverse("admin:club_client_changelist")).content.decode()

    assert "extend_memberships" not in changelist
    assert "Extend membership" not in changelist


def test_requesting_progress_reports_from_the_admin(client, superuser, django_capture_on_commit_callbacks, eager_tasks):
    member = ClientFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "request_progress_reports", [member])

    report = Report.objects.get()
    assert (report.kind, report.client, report.requested_by, report.status) == (
        ReportKind.CLIENT_PROGRESS,
        member,
        superuser,
        ReportStatus.SUCCESS,
    )
    assert reverse("reports:report-detail", args=[report.pk]) in response.content.decode()


def test_progress_reports_beyond_the_staff_quota_are_refused_once_with_the_limit(
    client, superuser, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_MAX_ACTIVE_PER_STAFF = 2
    members = ClientFactory.create_batch(4)

    with django_capture_on_commit_callbacks():
        response = run_action(client, "request_progress_reports", members)

    body = response.content.decode()
    assert response.status_code == 200
    assert Report.objects.count() == 2
    assert body.count("and the rest not requested: Too many reports at a time: you may have 2 being generated") == 1


def test_a_client_change_page_links_to_its_related_objects(client, superuser, member):
    body = client.get(reverse("admin:club_client_change", args=[member.pk])).content.decode()

    for url in [
        reverse("admin:accounts_user_change", args=[member.user_id]),
        reverse("admin:training_training_changelist") + f"?client__id__exact={member.pk}",
        reverse("admin:workouts_workoutsession_changelist") + f"?user__id__exact={member.user_id}",
        reverse("dashboard:client-detail", args=[member.pk]),
    ]:
        assert url in body
