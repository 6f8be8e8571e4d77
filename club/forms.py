from django import forms

from accounts.models import Role, User
from club.models import Client, ClientStatus, Membership
from core.dashboard import ClientScopeMixin


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        # ISO format: what <input type="date"> sends and expects.
        super().__init__(format="%Y-%m-%d", **kwargs)


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        level = obj.get_access_level_display() if obj.access_level else "Membership"
        return f"{level} · {obj.price} a month"


class ClientFilterForm(ClientScopeMixin):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": "Name or phone", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *ClientStatus.choices])
    membership = MembershipChoiceField(
        label="Membership", required=False, queryset=Membership.objects.all(), empty_label="Any membership"
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
        labels = {"weight_kg": "Weight (kg)", "height_cm": "Height (cm)"}
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
            ("Sign-in account", ["username", "email", "password"]),
            (
                "Person",
                ["first_name", "last_name", "phone_number", "gender", "date_of_birth", "weight_kg", "height_cm"],
            ),
            ("Membership", ["membership", "status", "trainer"]),
        ]
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in groups
            if any(name in self.fields for name in names)
        ]


class ClientSignUpForm(ClientForm):
    """A new member: the USER account it signs in with, then its profile, saved by `client_register`."""

    username = forms.CharField(max_length=50, help_text="What the member signs in with.")
    email = forms.EmailField(max_length=100)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )

    field_order = ["username", "email", "password"]
