import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from club.models import DEFAULT_MEMBERSHIP_ID, Client, ClientStatus, Membership, Payment
from club.services import MEMBERSHIP_DAYS_PER_PAYMENT, client_update
from core.admin import CheckedDeleteAdmin
from reports.models import ReportFormat, ReportKind
from reports.services import report_request

# The period of the progress report the client admin's action asks for.
PROGRESS_REPORT_DAYS = 30


@admin.register(Membership)
class MembershipAdmin(CheckedDeleteAdmin):
    list_display = ("__str__", "access_level", "price", "client_count", "description")
    list_filter = ("access_level",)
    search_fields = ("description", "access_level")
    ordering = ("price", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(client_count=Count("clients"))

    @admin.display(description="clients", ordering="client_count")
    def client_count(self, membership: Membership) -> str:
        url = reverse("admin:club_client_changelist") + f"?membership__id__exact={membership.pk}"
        return format_html('<a href="{}">{}</a>', url, membership.client_count)

    def has_delete_permission(self, request, obj=None):
        # Clients of a deleted membership move to the default one, so it has to stay.
        if obj is not None and obj.pk == DEFAULT_MEMBERSHIP_ID:
            return False
        return super().has_delete_permission(request, obj)


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("membership", "amount", "status", "created_at", "paid_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Client)
class ClientAdmin(CheckedDeleteAdmin):
    # No username column: it is searchable, and the list has to fit beside the admin's sidebar and filters.
    list_display = (
        "full_name",
        "phone_number",
        "membership",
        "status",
        "expiration_date",
        "trainer",
    )
    list_display_links = ("full_name",)
    list_filter = ("status", "membership__access_level", "gender", "trainer")
    list_select_related = ("user", "membership", "trainer")
    search_fields = ("first_name", "last_name", "phone_number", "user__username", "user__email")
    autocomplete_fields = ("user", "membership", "trainer")
    readonly_fields = ("created_at", "updated_at", "related_links")
    date_hierarchy = "expiration_date"
    ordering = ("last_name", "first_name")
    inlines = [PaymentInline]
    fieldsets = (
        (None, {"fields": ("user", ("first_name", "last_name"), "phone_number", "gender", "date_of_birth")}),
        ("Body", {"fields": (("weight_kg", "height_cm"),)}),
        ("Membership", {"fields": ("membership", "status", "expiration_date", "trainer")}),
        ("History", {"fields": ("related_links", "created_at", "updated_at")}),
    )
    actions = ["deactivate_clients", "extend_memberships", "request_progress_reports"]

    def get_view_on_site_url(self, obj=None):
        # "View on site" opens the trainers' page of the client: its charts, plans and sessions.
        return reverse("club:client-detail", args=[obj.pk]) if obj is not None else None

    @admin.display(description="name", ordering="last_name")
    def full_name(self, client: Client) -> str:
        return client.full_name

    @admin.display(description="related")
    def related_links(self, client: Client) -> str:
        if client.pk is None:
            return "—"
        links = [
            (reverse("admin:accounts_user_change", args=[client.user_id]), "User account"),
            (reverse("admin:training_training_changelist") + f"?client__id__exact={client.pk}", "Trainings"),
            (reverse("admin:training_trainingplan_changelist") + f"?user__id__exact={client.user_id}", "Plans"),
            (reverse("admin:workouts_workoutsession_changelist") + f"?user__id__exact={client.user_id}", "Workouts"),
            (reverse("admin:reports_report_changelist") + f"?client__id__exact={client.pk}", "Reports"),
            (reverse("club:client-detail", args=[client.pk]), "Trainer's page"),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.action(description="Deactivate selected clients")
    def deactivate_clients(self, request, queryset) -> None:
        clients = list(queryset.exclude(status=ClientStatus.INACTIVE))
        for client in clients:
            client_update(client=client, data={"status": ClientStatus.INACTIVE})
        count = len(clients)
        self.message_user(
            request, ngettext("%d client deactivated.", "%d clients deactivated.", count) % count, messages.SUCCESS
        )

    @admin.action(description=f"Extend membership by {MEMBERSHIP_DAYS_PER_PAYMENT} days (paid at the desk)")
    def extend_memberships(self, request, queryset) -> None:
        # As a paid payment would: from the later of today and the current last day, and active again.
        today = timezone.localdate()
        for client in queryset:
            paid_until = max(today, client.expiration_date or today)
            client_update(
                client=client,
                data={
                    "expiration_date": paid_until + datetime.timedelta(days=MEMBERSHIP_DAYS_PER_PAYMENT),
                    "status": ClientStatus.ACTIVE,
                },
            )
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%d membership extended.", "%d memberships extended.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=f"Request a progress report ({PROGRESS_REPORT_DAYS} days, PDF)")
    def request_progress_reports(self, request, queryset) -> None:
        today = timezone.localdate()
        for client in queryset:
            try:
                report = report_request(
                    requested_by=request.user,
                    kind=ReportKind.CLIENT_PROGRESS,
                    format=ReportFormat.PDF,
                    date_from=today - datetime.timedelta(days=PROGRESS_REPORT_DAYS - 1),
                    date_to=today,
                    client=client,
                )
            except (ValidationError, PermissionDenied) as error:
                self.message_user(
                    request, f"{client}: {' '.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
            else:
                url = reverse("reports:report-detail", args=[report.pk])
                self.message_user(
                    request,
                    format_html('Progress report of {} requested: <a href="{}">follow it</a>.', client, url),
                    messages.SUCCESS,
                )


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("id", "client_link", "membership", "amount", "status", "created_at", "paid_at")
    list_filter = ("status", "membership__access_level")
    list_select_related = ("client", "membership")
    search_fields = ("client__first_name", "client__last_name", "provider_reference")
    autocomplete_fields = ("client", "membership")
    readonly_fields = ("created_at", "updated_at", "paid_at", "provider_reference", "pay_url")
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        # Payments are the club's financial record: cancel them, never delete them.
        return False

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, payment: Payment) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:club_client_change", args=[payment.client_id]), payment.client
        )
