"""Visits are a log (written only by check-in): the admin reads them; printed cards are reissued, never edited."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from attendance import services
from attendance.models import MemberCard, Visit, VisitResult
from core.admin import ClubAdmin, change_link, pill


@admin.register(Visit)
class VisitAdmin(ClubAdmin):
    list_display = ("checked_in_at", "client_link", "outcome", "method", "staff")
    list_filter = ("result", "reason", "method", "checked_in_at")
    list_select_related = ("client", "staff")
    search_fields = ("client__first_name", "client__last_name", "client__phone_number")
    search_help_text = _("Search by the member's name or phone.")
    date_hierarchy = "checked_in_at"
    ordering = ("-checked_in_at", "-id")
    fields = ("client_link", "checked_in_at", "outcome", "method", "staff")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # only check-in (services.check_in) records a visit

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("Member"), ordering="client__last_name")
    def client_link(self, visit: Visit) -> str:
        return change_link(visit.client)

    @admin.display(description=_("Result"), ordering="result")
    def outcome(self, visit: Visit) -> str:
        if visit.result == VisitResult.ADMITTED:
            return pill(_("Admitted"), "ok")
        return pill(_("Denied: %(reason)s") % {"reason": visit.get_reason_display()}, "lapsed")


@admin.register(MemberCard)
class MemberCardAdmin(ClubAdmin):
    list_display = ("client_link", "issued_at", "issued_by")
    list_select_related = ("client", "issued_by")
    search_fields = ("client__first_name", "client__last_name")
    fields = ("client_link", "issued_at", "issued_by")
    readonly_fields = fields
    actions = ["reissue"]

    def has_add_permission(self, request) -> bool:
        return False  # issued from the client's printed-card page or the API

    @admin.display(description=_("Member"), ordering="client__last_name")
    def client_link(self, card: MemberCard) -> str:
        return change_link(card.client)

    @admin.action(description=_("Reissue the selected cards (earlier prints stop working)"))
    def reissue(self, request, queryset) -> None:
        for card in queryset.select_related("client"):
            services.member_card_issue(client=card.client, staff=request.user)
        count = queryset.count()
        messages.success(
            request, ngettext("Reissued %(count)d card.", "Reissued %(count)d cards.", count) % {"count": count}
        )
