import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from club.models import (
    DEFAULT_MEMBERSHIP_ID,
    Client,
    ClientStatus,
    Membership,
    MembershipEvent,
    MembershipHold,
    Payment,
    PaymentStatus,
    ReceiptSequence,
)
from club.selectors import phone_search_digits
from club.services import MEMBERSHIP_DAYS_PER_PAYMENT, client_update
from core.admin import CheckedDeleteAdmin, ClubAdmin, ClubAdminMixin, change_link, pill
from core.selectors import EXPIRY_WINDOW_DAYS
from reports.models import ReportFormat, ReportKind
from reports.services import ReportQuotaExceeded, report_request

# The period of the progress report the client admin's action asks for.
PROGRESS_REPORT_DAYS = 30

STATUS_TONES = {ClientStatus.ACTIVE: "ok", ClientStatus.ON_HOLD: "soon", ClientStatus.INACTIVE: "quiet"}
PAYMENT_TONES = {
    PaymentStatus.PAID: "ok",
    PaymentStatus.PENDING: "soon",
    PaymentStatus.FAILED: "lapsed",
    PaymentStatus.EXPIRED: "quiet",
    PaymentStatus.CANCELLED: "quiet",
    PaymentStatus.REFUNDED: "quiet",
}


def payment_status_pill(payment: Payment) -> str:
    return pill(payment.get_status_display(), PAYMENT_TONES.get(payment.status, "quiet"))


@admin.register(Membership)
class MembershipAdmin(CheckedDeleteAdmin):
    list_display = ("name", "description", "client_count")
    list_filter = ("access_level",)
    search_fields = ("description", "access_level")
    search_help_text = "Search by access level or what the membership includes."
    ordering = ("price", "id")
    fields = ("access_level", "price", "description")
    empty_message = "Add the memberships members can buy: an access level and a price for 30 days."
    help_texts = {
        "access_level": "What the member may use. Members and trainers see it in the club app and the dashboards.",
        "price": f"Price of {MEMBERSHIP_DAYS_PER_PAYMENT} days, in the club's currency. 0 makes it free: "
        "there is nothing to pay for it.",
        "description": "What it includes, in words members understand: the club app shows it.",
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(client_count=Count("clients"))

    @admin.display(description="membership", ordering="price")
    def name(self, membership: Membership) -> str:
        if membership.pk == DEFAULT_MEMBERSHIP_ID:
            return format_html("{} {}", membership, pill("default", "quiet"))
        return str(membership)

    @admin.display(description="clients", ordering="client_count")
    def client_count(self, membership: Membership) -> str:
        url = reverse("admin:club_client_changelist") + f"?membership__id__exact={membership.pk}"
        count = membership.client_count
        return format_html('<a href="{}">{}</a>', url, ngettext("%d client", "%d clients", count) % count)

    def has_delete_permission(self, request, obj=None):
        # Clients of a deleted membership move to the default one, so it has to stay.
        if obj is not None and obj.pk == DEFAULT_MEMBERSHIP_ID:
            return False
        return super().has_delete_permission(request, obj)


class PaidUntilFilter(admin.SimpleListFilter):
    """Who to call: memberships that ran out or are about to."""

    title = "membership end"
    parameter_name = "paid_until"

    def lookups(self, request, model_admin):
        return [
            ("lapsed", "Lapsed"),
            ("week", f"Within {EXPIRY_WINDOW_DAYS} days"),
            ("month", "Within 30 days"),
            ("none", "No paid days"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "lapsed":
                return queryset.filter(expiration_date__lt=today)
            case "week":
                return queryset.filter(
                    expiration_date__range=(today, today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS))
                )
            case "month":
                return queryset.filter(expiration_date__range=(today, today + datetime.timedelta(days=30)))
            case "none":
                return queryset.filter(expiration_date__isnull=True)
        return queryset


class PaymentInline(ClubAdminMixin, admin.TabularInline):
    model = Payment
    extra = 0
    fields = ("payment_link", "membership", "amount", "status_label", "paid_at")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "payments (newest first)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="created")
    def payment_link(self, payment: Payment) -> str:
        return change_link(payment, formats.localize(timezone.localtime(payment.created_at)))

    @admin.display(description="status")
    def status_label(self, payment: Payment) -> str:
        return payment_status_pill(payment)


@admin.register(Client)
class ClientAdmin(CheckedDeleteAdmin):
    # The columns a front desk scans; the username, email and body data are on the client's page.
    list_display = ("full_name", "phone_number", "membership", "status_label", "paid_until", "trainer")
    list_display_links = ("full_name",)
    list_filter = ("status", PaidUntilFilter, "membership__access_level", "trainer", "gender")
    list_select_related = ("user", "membership", "trainer")
    search_fields = ("first_name", "last_name", "phone_number", "user__username", "user__email")
    search_help_text = "Search by first or last name, phone number, username or email."
    autocomplete_fields = ("user", "membership", "trainer")
    # The paid-until date moves only through the membership ledger (sales, holds, refunds, corrections
    # with a reason: club.services); a plain field here would change it without a ledger row.
    readonly_fields = ("paid_until_ledger", "created_at", "updated_at", "related_links")
    date_hierarchy = "expiration_date"
    ordering = ("last_name", "first_name")
    inlines = [PaymentInline]
    fieldsets = (
        (None, {"fields": ("user", ("first_name", "last_name"), "phone_number", "gender", "date_of_birth")}),
        ("Body", {"fields": (("weight_kg", "height_cm"),)}),
        ("Membership", {"fields": ("membership", "status", "paid_until_ledger", "trainer")}),
        ("History", {"fields": ("related_links", "created_at", "updated_at")}),
    )
    # The old "Extend membership by 30 days (paid at the desk)" action is gone: it moved the date with no
    # payment and no ledger row. The desk's "Sell / renew" (club.services.membership_sale) replaces it.
    actions = ["deactivate_clients", "request_progress_reports"]
    empty_message = (
        "Members sign up in the club app, or a trainer adds them on the dashboard's “New client” page "
        "(account and profile at once). Here, add a profile to an existing user account."
    )
    field_labels = {
        "expiration_date": "Paid until",
        "weight_kg": "Weight (kg)",
        "height_cm": "Height (cm)",
        "phone_number": "Phone",
    }
    help_texts = {
        "user": "The member's sign-in account, a user with the Client role. "
        "Search by username or email; create the account first under Users.",
        "phone_number": "Digits, spaces, brackets or dashes, e.g. +7 912 345 67 89.",
        "membership": "What the member is on. A paid payment switches it to the membership paid for.",
        "status": "Active: may train. On hold: paused; the nightly check leaves it alone. "
        "Inactive: left the club, or an active membership passed its last paid day (set every night).",
        "expiration_date": "Last day the membership is paid for. It changes only with a sale, a provider "
        "payment, a hold, a refund or a correction with a reason, each kept in the membership ledger.",
        "trainer": "The trainer who looks after this member.",
    }

    def get_queryset(self, request):
        return super().get_queryset(request).with_effective_status()

    def get_search_results(self, request, queryset, search_term):
        # A phone number however it is typed (+7 935 576-61-26, 89355766126): the indexed normalised column.
        digits = phone_search_digits(search_term)
        if digits:
            return queryset.filter(phone_normalized__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    def get_view_on_site_url(self, obj=None):
        # "View on site" opens the trainers' page of the client: its charts, plans and sessions.
        return reverse("club:client-detail", args=[obj.pk]) if obj is not None else None

    @admin.display(description="name", ordering="last_name")
    def full_name(self, client: Client) -> str:
        return client.full_name

    @admin.display(description="status", ordering="effective_status")
    def status_label(self, client: Client) -> str:
        return pill(client.current_status_display, STATUS_TONES.get(client.current_status, "quiet"))

    @admin.display(description="paid until", ordering="expiration_date")
    def paid_until(self, client: Client) -> str:
        if client.expiration_date is None:
            return "—"
        shown = formats.date_format(client.expiration_date)
        if client.status == ClientStatus.INACTIVE:
            return shown  # nobody to remind: the member has left or already lapsed
        days_left = (client.expiration_date - timezone.localdate()).days
        if days_left < 0:
            return pill(f"{shown} · lapsed", "lapsed")
        if days_left == 0:
            return pill(f"{shown} · last day", "soon")
        if days_left <= EXPIRY_WINDOW_DAYS:
            return pill(f"{shown} · {ngettext('%d day left', '%d days left', days_left) % days_left}", "soon")
        return shown

    @admin.display(description="Paid until")
    def paid_until_ledger(self, client: Client) -> str:
        shown = formats.date_format(client.expiration_date) if client.expiration_date else "—"
        return format_html(
            '{}<div class="help">{}</div>',
            shown,
            "Changes only with a sale, a provider payment, a hold, a refund or a correction with a reason, "
            "each kept in the membership ledger.",
        )

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
            except ReportQuotaExceeded as error:
                # The next clients would be refused the same way: say it once.
                self.message_user(request, f"{client} and the rest not requested: {error.message}", messages.ERROR)
                break
            else:
                url = reverse("reports:report-detail", args=[report.pk])
                self.message_user(
                    request,
                    format_html('Progress report of {} requested: <a href="{}">follow it</a>.', client, url),
                    messages.SUCCESS,
                )


@admin.register(Payment)
class PaymentAdmin(ClubAdmin):
    list_display = ("created", "client_link", "membership_level", "amount", "status_label", "paid_at")
    list_display_links = ("created",)
    list_filter = ("status", "membership__access_level")
    list_select_related = ("client", "membership")
    search_fields = ("client__first_name", "client__last_name", "provider_reference")
    search_help_text = "Search by the client's first or last name, or the payment provider's reference."
    autocomplete_fields = ("client", "membership")
    # The status belongs to the provider's events (club.services.payment_apply_event), which also move
    # the membership: a status typed in here would record money the membership never saw.
    readonly_fields = ("status", "created_at", "updated_at", "paid_at", "provider_reference", "pay_link")
    date_hierarchy = "created_at"
    fieldsets = (
        (
            None,
            {
                "fields": ("client", "membership", "amount", "status"),
                "description": "The status comes from the payment provider's events, which also extend the "
                "membership once it is paid. Money taken at the desk is a sale (club.services.membership_sale).",
            },
        ),
        ("Payment provider", {"fields": ("provider_reference", "pay_link")}),
        ("History", {"fields": ("created_at", "paid_at", "updated_at")}),
    )
    empty_message = (
        "Payments appear when a member pays for a membership in the club app; the payment provider reports "
        "whether it went through."
    )
    help_texts = {
        "membership": "The membership paid for: a paid payment moves the member onto it.",
        "amount": "Taken from the membership's price when the payment is created in the app.",
    }

    def has_delete_permission(self, request, obj=None):
        # Payments are the club's financial record: cancel them, never delete them.
        return False

    @admin.display(description="pay link")
    def pay_link(self, payment: Payment) -> str:
        if not payment.pay_url:
            return "—"
        return format_html('<a href="{}" rel="noreferrer">{}</a>', payment.pay_url, payment.pay_url)

    @admin.display(description="created", ordering="created_at")
    def created(self, payment: Payment):
        return payment.created_at

    @admin.display(description="client", ordering="client__last_name")
    def client_link(self, payment: Payment) -> str:
        return change_link(payment.client)

    @admin.display(description="membership", ordering="membership__price")
    def membership_level(self, payment: Payment) -> str:
        return payment.membership.get_access_level_display() or "Membership"

    @admin.display(description="status", ordering="status")
    def status_label(self, payment: Payment) -> str:
        return payment_status_pill(payment)


class ReadOnlyAdmin(ClubAdmin):
    """Rows only the front desk's services write (club.services): staff read them here, never edit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The desk's own screens (New member, Sell / renew, Hold, the ledger inline) come with the admin phase:
# until then the ledger, holds and receipt counters are read-only lists.
@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "client", "kind", "expiration_before", "expiration_after", "payment", "staff")
    list_filter = ("kind",)
    list_select_related = ("client", "payment", "staff")
    search_fields = ("client__first_name", "client__last_name", "reason")


@admin.register(MembershipHold)
class MembershipHoldAdmin(ReadOnlyAdmin):
    list_display = ("client", "starts_on", "ends_on", "reason", "cancelled_at")
    list_select_related = ("client",)
    search_fields = ("client__first_name", "client__last_name")


@admin.register(ReceiptSequence)
class ReceiptSequenceAdmin(ReadOnlyAdmin):
    list_display = ("year", "last_number")
