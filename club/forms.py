import secrets

from django import forms
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from club.models import DESK_PAYMENT_METHODS, Client, ClientStatus, Gender, Membership, PaymentMethod
from club.services import SALE_MAX_MONTHS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        # ISO format: what <input type="date"> sends and expects.
        super().__init__(format="%Y-%m-%d", **kwargs)


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        level = obj.get_access_level_display() if obj.access_level else _("Membership")
        return _("%(level)s · %(price)s a month") % {"level": level, "price": localize(obj.price)}


# ---------------------------------------------------------------------------
# "My clients": the trainers' default scope of the client, training and plan lists
# ---------------------------------------------------------------------------
MY_CLIENTS = "mine"
ALL_CLIENTS = "all"


class ClientScopeMixin(forms.Form):
    """A list filter's "Clients" choice: only the signed-in trainer's own clients (`Client.trainer`), or all.

    Shown to trainers only, where "My clients" is the default; admins (who train nobody) see every client.
    """

    clients = forms.ChoiceField(
        label=_("Clients"),
        required=False,
        choices=[(MY_CLIENTS, _("My clients")), (ALL_CLIENTS, _("All clients"))],
    )

    field_order = ["q", "clients"]

    def __init__(self, data=None, *, user: User, **kwargs):
        self.trainer = user if getattr(user, "role", None) == Role.TRAINER else None
        if self.trainer is not None and data is not None and not data.get("clients"):
            data = data.copy()
            data["clients"] = MY_CLIENTS
        super().__init__(data, **kwargs)
        if self.trainer is None:
            del self.fields["clients"]

    def trainer_scope(self) -> User | None:
        """The trainer whose clients alone to list, or None for every client."""
        if self.trainer is None or not self.is_valid():
            return None
        return self.trainer if self.cleaned_data.get("clients") == MY_CLIENTS else None

    def narrowed(self) -> bool:
        """Whether any filter (the default "My clients" included) narrows the list."""
        if not self.is_valid():
            return False
        return any(value for name, value in self.cleaned_data.items() if name != "clients") or (
            self.trainer_scope() is not None
        )


class ClientFilterForm(ClientScopeMixin):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Name or phone"), "autocomplete": "off"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ClientStatus.choices]
    )
    membership = MembershipChoiceField(
        label=_("Membership"), required=False, queryset=Membership.objects.all(), empty_label=_("Any membership")
    )


CLIENT_FIELDS = [
    "first_name",
    "last_name",
    "phone_number",
    "gender",
    "date_of_birth",
    "weight_kg",
    "height_cm",
    "membership",
    "status",
    "trainer",
]
# No `expiration_date`: the paid-until date moves only through the front desk's sales, holds and
# corrections (ADMIN, club.services), each written to the membership ledger; trainers only read it.


class ClientForm(forms.ModelForm):
    """The profile; its model validation runs here, the rules of who may do what in club.services."""

    class Meta:
        model = Client
        fields = CLIENT_FIELDS
        field_classes = {"membership": MembershipChoiceField}
        labels = {"weight_kg": _("Weight (kg)"), "height_cm": _("Height (cm)")}
        widgets = {
            "date_of_birth": DateInput(),
            "phone_number": forms.TelInput(attrs={"autocomplete": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer"].queryset = User.objects.filter(role=Role.TRAINER, deleted_at__isnull=True)
        self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")

    def fieldsets(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The form's fields in the groups the page shows them in; groups the form lacks are left out."""
        groups = [
            (_("Sign-in account"), ["username", "email", "password"]),
            (
                _("Person"),
                ["first_name", "last_name", "phone_number", "gender", "date_of_birth", "weight_kg", "height_cm"],
            ),
            (_("Membership"), ["membership", "status", "trainer"]),
        ]
        return [
            (str(title), [self[name] for name in names if name in self.fields])
            for title, names in groups
            if any(name in self.fields for name in names)
        ]


class ClientSignUpForm(ClientForm):
    """A new member: the USER account it signs in with, then its profile, saved by `client_register`."""

    username = forms.CharField(label=_("Username"), max_length=50, help_text=_("What the member signs in with."))
    email = forms.EmailField(label=_("Email"), max_length=100)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )

    field_order = ["username", "email", "password"]


# ---------------------------------------------------------------------------
# The front desk's admin forms: they only collect input; club.services decides (and its errors come back
# next to these fields through `add_service_errors`).
# ---------------------------------------------------------------------------
DESK_METHOD_CHOICES = [(method.value, method.label) for method in PaymentMethod if method in DESK_PAYMENT_METHODS]


def generated_password() -> str:
    """A password the desk can read out or write down: four groups of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


class SaleForm(forms.Form):
    """Sell / renew: months of a membership paid at the desk (club.services.membership_sale)."""

    membership = MembershipChoiceField(label=_("Membership"), queryset=Membership.objects.all(), empty_label=None)
    months = forms.IntegerField(label=_("Months"), min_value=1, max_value=SALE_MAX_MONTHS, initial=1)
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=DESK_METHOD_CHOICES,
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect(attrs={"class": "radiolist inline"}),
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("Leave empty for the price × months; 0 for a gift."),
    )


class MemberJoinForm(SaleForm):
    """The admin's "New member": sign-in account, profile and first sale, saved by club.services.member_join."""

    username = forms.CharField(label=_("Username"), max_length=50, help_text=_("What the member signs in with."))
    email = forms.EmailField(label=_("Email"), max_length=100)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once after saving, to hand to the member."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=50)
    last_name = forms.CharField(label=_("Last name"), max_length=50)
    phone_number = forms.CharField(
        label=_("Phone"),
        max_length=20,
        widget=forms.TelInput,
        help_text=_("However it is written: +7 912 345-67-89."),
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", "—"), *Gender.choices])

    field_order = [
        "username", "email", "password",
        "first_name", "last_name", "phone_number", "date_of_birth", "gender",
        "membership", "months", "method", "amount",
    ]  # fmt: skip

    def clean_gender(self) -> str | None:
        return self.cleaned_data["gender"] or None

    def service_arguments(self) -> dict:
        """What club.services.member_join takes; an empty password becomes a generated one."""
        data = dict(self.cleaned_data)
        data["password"] = data["password"] or generated_password()
        return data


class HoldForm(forms.Form):
    starts_on = forms.DateField(label=_("First day"), widget=DateInput())
    ends_on = forms.DateField(label=_("Last day"), widget=DateInput(), help_text=_("Both days are on hold."))
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.TextInput(attrs={"class": "vTextField"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()


class CorrectionForm(forms.Form):
    expiration_date = forms.DateField(
        label=_("New paid-until date"), required=False, widget=DateInput(), help_text=_("Empty: no paid days.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text=_("Kept in the membership ledger."),
    )


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text=_("Kept with the payment and the ledger."),
    )


class CashUpForm(forms.Form):
    date = forms.DateField(label=_("Day"), required=False, widget=DateInput())


class HoldCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.TextInput(attrs={"class": "vTextField"})
    )
