import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import is_admin
from club import services
from club.forms import CashUpForm, CorrectionForm, HoldCancelForm, HoldForm, MemberJoinForm, RefundForm, SaleForm
from club.models import (
    DEFAULT_MEMBERSHIP_ID,
    Client,
    ClientStatus,
    Membership,
    MembershipEvent,
    MembershipHold,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ReceiptSequence,
)
from club.selectors import EXPIRY_WINDOW_DAYS, payment_takings, phone_search_digits
from club.services import MEMBERSHIP_DAYS_PER_PAYMENT, client_update
from core.admin import CheckedDeleteAdmin, ClubAdmin, ClubAdminMixin, change_link, pill
from core.dashboard import add_service_errors
from core.exceptions import ApplicationError

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


# ---------------------------------------------------------------------------
# The front desk's pages (New member, Sell / renew, Hold, Correct, Refund, Cash-up). Thin: a form
# collects the input, a club.services function decides; its errors come back next to the fields.
# Only ADMINs (and superusers) may use them: anybody else gets 403 and sees no buttons.
# ---------------------------------------------------------------------------
def posted(request: HttpRequest):
    """The submitted data, or None for a GET: a POST of an all-optional form may be empty and still mean it."""
    return request.POST if request.method == "POST" else None


def desk_only(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise PermissionDenied(_("Only the club's admins sell, refund, hold and correct memberships."))


def run_desk_service(request: HttpRequest, form, service, **arguments):
    """What `service(**arguments, **form.cleaned_data)` returns for a valid POSTed form; None when the form
    was not posted, is invalid, or the service refused (its errors are then on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return service(**arguments, **form.cleaned_data)
    except (ValidationError, ApplicationError) as error:
        add_service_errors(form, error)
        return None


def receipt_url(payment: Payment) -> str | None:
    return reverse("payment-receipt", args=[payment.pk]) if payment.receipt_number else None


def receipt_link(payment: Payment) -> str:
    url = receipt_url(payment)
    if url is None:
        return "—"
    return format_html('<a href="{}" target="_blank" rel="noopener">{} (PDF)</a>', url, payment.receipt_number)


def desk_form_response(request, model_admin, *, form, title, submit, obj=None, intro="", fieldsets=None):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "fieldsets": fieldsets or [("", list(form))],
        "submit_label": submit,
        "obj": obj,
        "intro": intro,
        "cancel_url": reverse(f"admin:club_{model_admin.model._meta.model_name}_change", args=[obj.pk])
        if obj is not None
        else reverse(f"admin:club_{model_admin.model._meta.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/club/desk_form.html", context)


def fresh(client_id: int) -> Client:
    """The client as it is now, with the status every page shows (a refreshed row keeps a stale annotation)."""
    return Client.objects.with_effective_status().get(pk=client_id)


def paid_until_text(client: Client) -> str:
    if client.expiration_date is None:
        return gettext("no paid days yet")
    return gettext("paid until %(date)s (%(status)s)") % {
        "date": formats.date_format(client.expiration_date),
        "status": client.current_status_display,
    }


@admin.register(Membership)
class MembershipAdmin(CheckedDeleteAdmin):
    list_display = ("name", "description", "client_count")
    list_filter = ("access_level",)
    search_fields = ("description", "access_level")
    search_help_text = _("Search by access level or what the membership includes.")
    ordering = ("price", "id")
    fields = ("access_level", "price", "description")
    empty_message = _("Add the memberships members can buy: an access level and a price for 30 days.")
    help_texts = {
        "access_level": _("What the member may use. Members and trainers see it in the club app and the dashboards."),
        "price": format_lazy(
            _("Price of {days} days, in the club's currency. 0 makes it free: there is nothing to pay for it."),
            days=MEMBERSHIP_DAYS_PER_PAYMENT,
        ),
        "description": _("What it includes, in words members understand: the club app shows it."),
    }

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(client_count=Count("clients"))

    @admin.display(description=_("membership"), ordering="price")
    def name(self, membership: Membership) -> str:
        if membership.pk == DEFAULT_MEMBERSHIP_ID:
            return format_html("{} {}", membership, pill(_("default"), "quiet"))
        return str(membership)

    @admin.display(description=_("clients"), ordering="client_count")
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

    title = _("membership end")
    parameter_name = "paid_until"

    def lookups(self, request, model_admin):
        return [
            ("lapsed", _("Lapsed")),
            ("week", _("Within %(days)s days") % {"days": EXPIRY_WINDOW_DAYS}),
            ("month", _("Within 30 days")),
            ("none", _("No paid days")),
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
    fields = ("payment_link", "membership", "amount", "method", "status_label", "paid_at", "receipt")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("payments (newest first)")

    @admin.display(description=_("receipt"))
    def receipt(self, payment: Payment) -> str:
        return receipt_link(payment)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("created"))
    def payment_link(self, payment: Payment) -> str:
        return change_link(payment, formats.localize(timezone.localtime(payment.created_at)))

    @admin.display(description=_("status"))
    def status_label(self, payment: Payment) -> str:
        return payment_status_pill(payment)


class ReadOnlyInline(ClubAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MembershipEventInline(ReadOnlyInline):
    """The membership ledger: why the paid-until date is what it is, newest first."""

    model = MembershipEvent
    fields = ("when", "kind", "change", "payment_receipt", "staff", "reason")
    readonly_fields = fields
    verbose_name = _("ledger entry")
    verbose_name_plural = _("membership ledger (newest first)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment", "staff").order_by("-id")

    @admin.display(description=_("when"))
    def when(self, event: MembershipEvent) -> str:
        return formats.localize(timezone.localtime(event.created_at))

    @admin.display(description=_("paid until: before → after"))
    def change(self, event: MembershipEvent) -> str:
        def shown(day):
            return formats.date_format(day) if day else "—"

        days = event.days
        moved = f" ({days:+d} d)" if days else ""
        return f"{shown(event.expiration_before)} → {shown(event.expiration_after)}{moved}"

    @admin.display(description=_("payment"))
    def payment_receipt(self, event: MembershipEvent) -> str:
        if event.payment is None:
            return "—"
        url = receipt_url(event.payment)
        link = change_link(event.payment, event.payment.amount)
        if url is None:
            return link
        return format_html('{} · <a href="{}" target="_blank" rel="noopener">{}</a>', link, url, _("receipt"))


class MembershipHoldInline(ReadOnlyInline):
    model = MembershipHold
    fields = ("period", "days", "reason", "state")
    readonly_fields = fields
    verbose_name_plural = _("holds")

    @admin.display(description=_("period"))
    def period(self, hold: MembershipHold) -> str:
        return str(hold)

    @admin.display(description=_("days"))
    def days(self, hold: MembershipHold) -> int:
        return hold.days

    @admin.display(description=_("state"))
    def state(self, hold: MembershipHold) -> str:
        today = timezone.localdate()
        if hold.cancelled_at is not None:
            return pill(_("Cancelled"), "quiet")
        if hold.ends_on < today:
            return pill(_("Over"), "quiet")
        if hold.starts_on <= today:
            return pill(_("On hold now"), "soon")
        url = reverse("admin:club_client_hold_cancel", args=[hold.client_id, hold.pk])
        return format_html('{} <a href="{}">{}</a>', pill(_("Planned"), "ok"), url, _("Cancel this hold"))


@admin.register(Client)
class ClientAdmin(CheckedDeleteAdmin):
    # The columns a front desk scans; the username, email and body data are on the client's page.
    list_display = ("full_name", "phone_number", "membership", "status_label", "paid_until", "trainer")
    list_display_links = ("full_name",)
    list_filter = ("status", PaidUntilFilter, "membership__access_level", "trainer", "gender")
    list_select_related = ("user", "membership", "trainer")
    search_fields = ("first_name", "last_name", "phone_number", "user__username", "user__email")
    search_help_text = _("Search by first or last name, phone number, username or email.")
    autocomplete_fields = ("user", "membership", "trainer")
    # The paid-until date moves only through the membership ledger (sales, holds, refunds, corrections
    # with a reason: club.services); a plain field here would change it without a ledger row.
    readonly_fields = ("paid_until_ledger", "created_at", "updated_at", "related_links")
    date_hierarchy = "expiration_date"
    ordering = ("last_name", "first_name")
    inlines = [MembershipHoldInline, MembershipEventInline, PaymentInline]
    change_form_template = "admin/club/client/desk_change_form.html"
    change_list_template = "admin/club/client/desk_change_list.html"
    fieldsets = (
        (None, {"fields": ("user", ("first_name", "last_name"), "phone_number", "gender", "date_of_birth")}),
        (_("Body"), {"fields": (("weight_kg", "height_cm"),)}),
        (_("Membership"), {"fields": ("membership", "status", "paid_until_ledger", "trainer")}),
        (_("History"), {"fields": ("related_links", "created_at", "updated_at")}),
    )
    # The old "Extend membership by 30 days (paid at the desk)" action is gone: it moved the date with no
    # payment and no ledger row. The desk's "Sell / renew" (club.services.membership_sale) replaces it.
    # reports.admin adds "Request a progress report" (reports sits above club: club never imports it).
    actions = ["deactivate_clients"]
    empty_message = _(
        "A member who walks in: “New member” (account, profile and first sale at once). Members also sign up "
        "in the club app, or a trainer adds them on the dashboard. “Add client” adds a profile to an existing "
        "user account."
    )
    field_labels = {
        "expiration_date": _("Paid until"),
        "weight_kg": _("Weight (kg)"),
        "height_cm": _("Height (cm)"),
        "phone_number": _("Phone"),
    }
    help_texts = {
        "user": _(
            "The member's sign-in account, a user with the Client role. "
            "Search by username or email; create the account first under Users."
        ),
        "phone_number": _("Digits, spaces, brackets or dashes, e.g. +7 912 345 67 89."),
        "membership": _("What the member is on. A paid payment switches it to the membership paid for."),
        "status": _(
            "Active: may train. On hold: paused; the nightly check leaves it alone. "
            "Inactive: left the club, or an active membership passed its last paid day (set every night)."
        ),
        "expiration_date": _(
            "Last day the membership is paid for. It changes only with a sale, a provider "
            "payment, a hold, a refund or a correction with a reason, each kept in the membership ledger."
        ),
        "trainer": _("The trainer who looks after this member."),
    }

    def get_queryset(self, request):
        return super().get_queryset(request).with_effective_status()

    # ---- The desk's pages ----------------------------------------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("new-member/", view(self.new_member_view), name="club_client_new_member"),
            path("<int:object_id>/sell/", view(self.sell_view), name="club_client_sell"),
            path("<int:object_id>/hold/", view(self.hold_view), name="club_client_hold"),
            path("<int:object_id>/correct/", view(self.correct_view), name="club_client_correct"),
            path(
                "<int:object_id>/holds/<int:hold_id>/cancel/",
                view(self.hold_cancel_view),
                name="club_client_hold_cancel",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        tools = [(reverse("admin:club_client_new_member"), _("New member"))] if is_admin(request.user) else []
        return super().changelist_view(request, {**(extra_context or {}), "desk_tools": tools})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tools = []
        if is_admin(request.user) and str(object_id).isdigit():
            tools = [
                (reverse(f"admin:club_client_{name}", args=[object_id]), label)
                for name, label in (
                    ("sell", _("Sell / renew")),
                    ("hold", _("Hold")),
                    ("correct", _("Correct paid-until")),
                )
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "desk_tools": tools})

    def _desk_client(self, request: HttpRequest, object_id: int) -> Client:
        desk_only(request)
        return get_object_or_404(Client.objects.with_effective_status().select_related("membership"), pk=object_id)

    def _back_to(self, client: Client) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:club_client_change", args=[client.pk]))

    def _sale_message(self, request: HttpRequest, payment: Payment, text: str) -> None:
        url = receipt_url(payment)
        self.message_user(
            request,
            format_html(
                '{} {}: <a href="{}" target="_blank" rel="noopener">{}</a>.',
                text,
                _("Receipt %(number)s") % {"number": payment.receipt_number},
                url,
                _("open the PDF"),
            ),
            messages.SUCCESS,
        )

    def new_member_view(self, request: HttpRequest) -> HttpResponse:
        """Account, profile and first sale in one transaction (club.services.member_join)."""
        desk_only(request)
        form = MemberJoinForm(posted(request))
        if request.method == "POST" and form.is_valid():
            arguments = form.service_arguments()
            try:
                payment = services.member_join(actor=request.user, **arguments)
            except (ValidationError, ApplicationError) as error:
                add_service_errors(form, error)
            else:
                client = payment.client
                names = {"client": client, "paid_until": paid_until_text(client), "username": client.user.username}
                if form.cleaned_data["password"]:
                    text = _("%(client)s is a member, %(paid_until)s; signs in as %(username)s.") % names
                else:
                    text = _(
                        "%(client)s is a member, %(paid_until)s; signs in as %(username)s "
                        "with the password %(password)s (shown once: hand it over now)."
                    ) % {**names, "password": arguments["password"]}
                self._sale_message(request, payment, text)
                return self._back_to(client)
        groups = [
            (_("Sign-in account"), ["username", "email", "password"]),
            (_("Person"), ["first_name", "last_name", "phone_number", "date_of_birth", "gender"]),
            (_("First sale"), ["membership", "months", "method", "amount"]),
        ]
        return desk_form_response(
            request,
            self,
            form=form,
            title=_("New member"),
            submit=_("Create member and take payment"),
            intro=_(
                "A member who walks in: the sign-in account, the profile and the first membership sale, "
                "saved together or not at all."
            ),
            fieldsets=[(title, [form[name] for name in names]) for title, names in groups],
        )

    def sell_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        client = self._desk_client(request, object_id)
        form = SaleForm(posted(request), initial={"membership": client.membership_id})
        payment = run_desk_service(request, form, services.membership_sale, client=client, staff=request.user)
        if payment is not None:
            client = fresh(client.pk)
            self._sale_message(
                request,
                payment,
                _("Sold %(amount)s to %(client)s: %(paid_until)s.")
                % {"amount": payment.amount, "client": client, "paid_until": paid_until_text(client)},
            )
            return self._back_to(client)
        return desk_form_response(
            request,
            self,
            form=form,
            obj=client,
            title=_("Sell / renew: %(client)s") % {"client": client},
            submit=_("Take payment"),
            intro=_("Now %(paid_until)s. The months count from the later of today and the paid-until date.")
            % {"paid_until": paid_until_text(client)},
        )

    def hold_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        client = self._desk_client(request, object_id)
        form = HoldForm(posted(request))
        hold = run_desk_service(request, form, services.hold_create, client=client, staff=request.user)
        if hold is not None:
            client = fresh(client.pk)
            text = ngettext(
                "%(client)s is on hold %(hold)s (%(days)d day): %(paid_until)s.",
                "%(client)s is on hold %(hold)s (%(days)d days): %(paid_until)s.",
                hold.days,
            ) % {"client": client, "hold": hold, "days": hold.days, "paid_until": paid_until_text(client)}
            self.message_user(request, text, messages.SUCCESS)
            return self._back_to(client)
        return desk_form_response(
            request,
            self,
            form=form,
            obj=client,
            title=_("Hold: %(client)s") % {"client": client},
            submit=_("Put on hold"),
            intro=_("Now %(paid_until)s. The paid-until date moves by the hold's days.")
            % {"paid_until": paid_until_text(client)},
        )

    def correct_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        client = self._desk_client(request, object_id)
        form = CorrectionForm(posted(request), initial={"expiration_date": client.expiration_date})
        if run_desk_service(request, form, services.client_expiration_correct, client=client, staff=request.user):
            client = fresh(client.pk)
            self.message_user(
                request,
                _("Corrected: %(client)s is %(paid_until)s.")
                % {"client": client, "paid_until": paid_until_text(client)},
                messages.SUCCESS,
            )
            return self._back_to(client)
        return desk_form_response(
            request,
            self,
            form=form,
            obj=client,
            title=_("Correct paid-until: %(client)s") % {"client": client},
            submit=_("Save correction"),
            intro=_("Now %(paid_until)s. For mistakes only: money goes through Sell / renew or a refund.")
            % {"paid_until": paid_until_text(client)},
        )

    def hold_cancel_view(self, request: HttpRequest, object_id: int, hold_id: int) -> HttpResponse:
        client = self._desk_client(request, object_id)
        hold = get_object_or_404(MembershipHold, pk=hold_id, client=client)
        form = HoldCancelForm(posted(request))
        if run_desk_service(request, form, services.hold_cancel, hold=hold, staff=request.user):
            client = fresh(client.pk)
            self.message_user(
                request,
                _("Hold %(hold)s cancelled: %(paid_until)s.") % {"hold": hold, "paid_until": paid_until_text(client)},
                messages.SUCCESS,
            )
            return self._back_to(client)
        return desk_form_response(
            request,
            self,
            form=form,
            obj=client,
            title=_("Cancel the hold %(hold)s") % {"hold": hold},
            submit=_("Cancel the hold"),
            intro=ngettext(
                "Its %(days)d day comes off the paid-until date (%(paid_until)s).",
                "Its %(days)d days come off the paid-until date (%(paid_until)s).",
                hold.days,
            )
            % {"days": hold.days, "paid_until": paid_until_text(client)},
        )

    def get_search_results(self, request, queryset, search_term):
        # A phone number however it is typed (+7 935 576-61-26, 89355766126): the indexed normalised column.
        digits = phone_search_digits(search_term)
        if digits:
            return queryset.filter(phone_normalized__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    def get_view_on_site_url(self, obj=None):
        # "View on site" opens the trainers' page of the client: its charts, plans and sessions.
        return reverse("dashboard:client-detail", args=[obj.pk]) if obj is not None else None

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, client: Client) -> str:
        return client.full_name

    @admin.display(description=_("status"), ordering="effective_status")
    def status_label(self, client: Client) -> str:
        return pill(client.current_status_display, STATUS_TONES.get(client.current_status, "quiet"))

    @admin.display(description=_("paid until"), ordering="expiration_date")
    def paid_until(self, client: Client) -> str:
        if client.expiration_date is None:
            return "—"
        shown = formats.date_format(client.expiration_date)
        if client.status == ClientStatus.INACTIVE:
            return shown  # nobody to remind: the member has left or already lapsed
        days_left = (client.expiration_date - timezone.localdate()).days
        if days_left < 0:
            return pill(_("%(date)s · lapsed") % {"date": shown}, "lapsed")
        if days_left == 0:
            return pill(_("%(date)s · last day") % {"date": shown}, "soon")
        if days_left <= EXPIRY_WINDOW_DAYS:
            left = ngettext("%(date)s · %(days)d day left", "%(date)s · %(days)d days left", days_left)
            return pill(left % {"date": shown, "days": days_left}, "soon")
        return shown

    @admin.display(description=_("Paid until"))
    def paid_until_ledger(self, client: Client) -> str:
        shown = formats.date_format(client.expiration_date) if client.expiration_date else "—"
        return format_html(
            '{}<div class="help">{}</div>',
            shown,
            _(
                "Changes only with a sale, a provider payment, a hold, a refund or a correction with a reason, "
                "each kept in the membership ledger."
            ),
        )

    @admin.display(description=_("related"))
    def related_links(self, client: Client) -> str:
        if client.pk is None:
            return "—"
        links = [
            (reverse("admin:accounts_user_change", args=[client.user_id]), _("User account")),
            (reverse("admin:training_training_changelist") + f"?client__id__exact={client.pk}", _("Trainings")),
            (reverse("admin:training_trainingplan_changelist") + f"?user__id__exact={client.user_id}", _("Plans")),
            (reverse("admin:workouts_workoutsession_changelist") + f"?user__id__exact={client.user_id}", _("Workouts")),
            (reverse("admin:reports_report_changelist") + f"?client__id__exact={client.pk}", _("Reports")),
            (
                reverse("admin:notifications_notification_changelist") + f"?user__id__exact={client.user_id}",
                _("Notifications"),
            ),
            (reverse("dashboard:client-detail", args=[client.pk]), _("Trainer's page")),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.action(description=_("Deactivate selected clients"))
    def deactivate_clients(self, request, queryset) -> None:
        clients = list(queryset.exclude(status=ClientStatus.INACTIVE))
        for client in clients:
            client_update(client=client, data={"status": ClientStatus.INACTIVE})
        count = len(clients)
        self.message_user(
            request, ngettext("%d client deactivated.", "%d clients deactivated.", count) % count, messages.SUCCESS
        )


@admin.register(Payment)
class PaymentAdmin(ClubAdmin):
    list_display = (
        "created",
        "client_link",
        "membership_level",
        "amount",
        "method",
        "status_label",
        "paid_at",
        "receipt",
    )
    list_display_links = ("created",)
    list_filter = ("status", "method", "membership__access_level")
    list_select_related = ("client", "membership")
    search_fields = ("client__first_name", "client__last_name", "provider_reference", "receipt_number")
    search_help_text = _("Search by the client's first or last name, a receipt number or the provider's reference.")
    # Payments are written by services only: a desk sale (the client's "Sell / renew", club.services.
    # membership_sale), a provider's events (payment_apply_event), a refund (payment_refund). Nothing here
    # is editable and there is no "Add payment": a payment typed in by hand would be money without a
    # ledger row. "Payments › Add" is replaced by the client page's "Sell / renew".
    readonly_fields = (
        "client_link",
        "membership",
        "amount",
        "status",
        "method",
        "receipt",
        "staff",
        "created_at",
        "updated_at",
        "paid_at",
        "refunded_at",
        "refund_reason",
        "provider_reference",
        "pay_link",
    )
    date_hierarchy = "created_at"
    fieldsets = (
        (
            None,
            {
                "fields": ("client_link", "membership", "amount", "status", "method", "receipt", "staff"),
                "description": _(
                    "The status comes from the payment provider's events, which also extend the "
                    "membership once it is paid. Money taken at the desk is a sale: “Sell / renew” on the client's "
                    "page. Money given back is a refund: the button above."
                ),
            },
        ),
        (_("Refund"), {"fields": ("refunded_at", "refund_reason")}),
        (_("Payment provider"), {"fields": ("provider_reference", "pay_link")}),
        (_("History"), {"fields": ("created_at", "paid_at", "updated_at")}),
    )
    change_form_template = "admin/club/payment/desk_change_form.html"
    change_list_template = "admin/club/payment/desk_change_list.html"
    empty_message = _(
        "Payments appear when a member pays for a membership in the club app; the payment provider reports "
        "whether it went through. Money taken at the desk: “Sell / renew” on the client's page."
    )

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("cash-up/", view(self.cash_up_view), name="club_payment_cash_up"),
            path("<int:object_id>/refund/", view(self.refund_view), name="club_payment_refund"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        tools = [(reverse("admin:club_payment_cash_up"), _("Cash-up"))] if is_admin(request.user) else []
        return super().changelist_view(request, {**(extra_context or {}), "desk_tools": tools})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tools = []
        payment = Payment.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if payment is not None:
            if url := receipt_url(payment):
                tools.append((url, _("Receipt (PDF)")))
            if is_admin(request.user) and payment.status == PaymentStatus.PAID:
                tools.append((reverse("admin:club_payment_refund", args=[payment.pk]), _("Refund")))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "desk_tools": tools})

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        desk_only(request)
        payment = get_object_or_404(Payment.objects.select_related("client"), pk=object_id)
        form = RefundForm(posted(request))
        if run_desk_service(request, form, services.payment_refund, payment=payment, staff=request.user):
            client = fresh(payment.client_id)
            text = _("Refunded %(amount)s to %(client)s: %(paid_until)s.") % {
                "amount": payment.amount,
                "client": client,
                "paid_until": paid_until_text(client),
            }
            self.message_user(request, text, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:club_payment_change", args=[payment.pk]))
        return desk_form_response(
            request,
            self,
            form=form,
            obj=payment,
            title=_("Refund %(amount)s to %(client)s") % {"amount": payment.amount, "client": payment.client},
            submit=_("Refund"),
            intro=_(
                "The payment becomes Refunded and the days it bought are taken back, never to before "
                "yesterday: the member keeps the days already used."
            ),
        )

    def cash_up_view(self, request: HttpRequest) -> HttpResponse:
        """The day's takings by method and by staff, and the refunds given (club.selectors.payment_takings)."""
        desk_only(request)
        form = CashUpForm(request.GET or None, initial={"date": timezone.localdate()})
        day = (form.cleaned_data.get("date") if form.is_valid() else None) or timezone.localdate()
        takings = payment_takings(date_from=day, date_to=day)
        staff_ids = [row["staff_id"] for row in takings.by_staff]
        names = {user.pk: user.get_username() for user in User.objects.filter(pk__in=staff_ids)}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Cash-up for %(date)s") % {"date": formats.date_format(day)},
            "form": form,
            "day": day,
            "takings": takings,
            "currency": settings.CLUB_CURRENCY,
            "by_method": [(PaymentMethod(method).label, entry) for method, entry in takings.by_method.items()],
            "by_staff": [(names.get(row["staff_id"], _("Online (no staff)")), row) for row in takings.by_staff],
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
        }
        return TemplateResponse(request, "admin/club/payment/cash_up.html", context)

    @admin.display(description=_("receipt"), ordering="receipt_number")
    def receipt(self, payment: Payment) -> str:
        return receipt_link(payment)

    def has_delete_permission(self, request, obj=None):
        # Payments are the club's financial record: cancel them, never delete them.
        return False

    @admin.display(description=_("pay link"))
    def pay_link(self, payment: Payment) -> str:
        if not payment.pay_url:
            return "—"
        return format_html('<a href="{}" rel="noreferrer">{}</a>', payment.pay_url, payment.pay_url)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, payment: Payment):
        return payment.created_at

    @admin.display(description=_("client"), ordering="client__last_name")
    def client_link(self, payment: Payment) -> str:
        return change_link(payment.client)

    @admin.display(description=_("membership"), ordering="membership__price")
    def membership_level(self, payment: Payment) -> str:
        return payment.membership.get_access_level_display() or _("Membership")

    @admin.display(description=_("status"), ordering="status")
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
