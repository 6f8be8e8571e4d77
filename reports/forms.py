from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from club.forms import DateInput
from reports.models import MONEY_REPORT_KINDS, ReportFormat, ReportKind
from reports.permissions import MONEY_REPORTS_ARE_ADMINS, can_read_money_reports
from training.forms import ClientChoiceField


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    format = forms.ChoiceField(label=_("File format"), choices=ReportFormat.choices, initial=ReportFormat.PDF)
    date_from = forms.DateField(label=_("From"), widget=DateInput())
    date_to = forms.DateField(label=_("To (inclusive)"), widget=DateInput())
    client = ClientChoiceField(
        label=_("Client"),
        required=False,
        queryset=None,
        empty_label=_("Choose a client"),
        help_text=_("Only for a client progress report."),
    )

    def __init__(self, *args, clients, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.refused_kind = False
        # Only the kinds this user may run are offered: a trainer is not shown the money reports
        # (and one posted anyway is refused by clean_kind with the reason, not as an unknown choice).
        self.fields["kind"].widget.choices = [
            (kind, label)
            for kind, label in ReportKind.choices
            if kind not in MONEY_REPORT_KINDS or can_read_money_reports(user)
        ]
        self.fields["client"].queryset = clients.order_by("last_name", "first_name")
        if not self.is_bound:
            # The month so far: what staff ask for most.
            today = timezone.localdate()
            self.initial.setdefault("date_from", today.replace(day=1))
            self.initial.setdefault("date_to", today)

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind in MONEY_REPORT_KINDS and not can_read_money_reports(self.user):
            self.refused_kind = True
            raise forms.ValidationError(MONEY_REPORTS_ARE_ADMINS)
        return kind

    def clean(self) -> dict:
        cleaned = super().clean()
        # Said next to the field before the service would say it about `client_id`.
        if cleaned.get("kind") == ReportKind.CLIENT_PROGRESS and not cleaned.get("client"):
            self.add_error("client", _("Choose the client this progress report is about."))
        elif cleaned.get("kind") != ReportKind.CLIENT_PROGRESS:
            cleaned["client"] = None
        return cleaned
