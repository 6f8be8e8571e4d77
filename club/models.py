import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import formats, timezone

from core.models import choices_check, range_check

# Clients of a deleted membership move to this one (ON DELETE SET DEFAULT). A data migration
# creates it; the database refuses to delete it while clients use it.
DEFAULT_MEMBERSHIP_ID = 1
MIN_DATE_OF_BIRTH = datetime.date(1900, 1, 1)


class AccessLevel(models.TextChoices):
    STANDARD = "STANDARD", "Standard"
    PREMIUM = "PREMIUM", "Premium"
    VIP = "VIP", "VIP"


class Gender(models.TextChoices):
    MALE = "MALE", "Male"
    FEMALE = "FEMALE", "Female"


class ClientStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"
    ON_HOLD = "ON_HOLD", "On hold"


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PAID = "PAID", "Paid"
    EXPIRED = "EXPIRED", "Expired"
    CANCELLED = "CANCELLED", "Cancelled"
    FAILED = "FAILED", "Failed"


class Membership(models.Model):
    access_level = models.CharField(max_length=8, choices=AccessLevel.choices, null=True, blank=True)
    description = models.TextField(null=True, blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        db_table = "memberships"
        ordering = ["price", "id"]
        constraints = [
            choices_check("access_level", AccessLevel, model="memberships"),
            range_check("price", model="memberships", low=0),
        ]

    def __str__(self) -> str:
        # What staff pick it by: "Premium · 49.00/month" (a payment buys MEMBERSHIP_DAYS_PER_PAYMENT days).
        level = self.get_access_level_display() if self.access_level else "Membership"
        return f"{level} · {self.price}/month" if self.price else f"{level} · free"


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{4,18}$", "Enter a phone number of digits, spaces, brackets or dashes."
)


class Client(models.Model):
    """A club member: the profile of a `USER` account, with its membership."""

    # NO ACTION in the database, as the seed says: a user with a client is soft-deleted instead.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="client")
    # The seed marks membership_id UNIQUE, which would allow one client per membership; memberships
    # are tariffs shared by many clients, so the column is a plain foreign key (docs/schema.md).
    membership = models.ForeignKey(
        Membership,
        on_delete=models.DB_SET_DEFAULT,
        default=DEFAULT_MEMBERSHIP_ID,
        db_default=DEFAULT_MEMBERSHIP_ID,
        related_name="clients",
    )
    first_name = models.CharField(max_length=50)
    last_name = models.CharField(max_length=80)
    phone_number = models.CharField(max_length=20, validators=[phone_validator])
    gender = models.CharField(max_length=6, choices=Gender.choices, null=True, blank=True)
    date_of_birth = models.DateField()
    weight_kg = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # The seed's column is `height_sm` and holds centimetres; the API calls it height_cm.
    height_cm = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, db_column="height_sm")
    status = models.CharField(
        max_length=8, choices=ClientStatus.choices, default=ClientStatus.ACTIVE, db_default=ClientStatus.ACTIVE
    )
    expiration_date = models.DateField(null=True, blank=True, help_text="Last day the membership is paid for.")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="trained_clients",
        limit_choices_to={"role": "TRAINER"},
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "clients"
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            choices_check("gender", Gender, model="clients"),
            choices_check("status", ClientStatus, model="clients"),
            range_check("weight_kg", model="clients", low=1, high=500),
            range_check("height_cm", model="clients", low=30, high=300),
        ]
        indexes = [
            models.Index(fields=["status", "expiration_date"], name="clients_status_expiry_idx"),
            models.Index(fields=["last_name", "first_name"], name="clients_name_idx"),
            models.Index(fields=["phone_number"], name="clients_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        if self.date_of_birth and not MIN_DATE_OF_BIRTH <= self.date_of_birth <= timezone.localdate():
            raise ValidationError({"date_of_birth": f"Enter a date between {MIN_DATE_OF_BIRTH} and today."})

    @property
    def full_name(self) -> str:
        return str(self)


class Payment(models.Model):
    """A payment for a membership; the provider reports its outcome on `payment_queue`."""

    # Payments are financial history: NO ACTION keeps a client or membership that has any.
    client = models.ForeignKey(Client, on_delete=models.DO_NOTHING, related_name="payments")
    membership = models.ForeignKey(Membership, on_delete=models.DO_NOTHING, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=9, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_default=PaymentStatus.PENDING
    )
    provider_reference = models.CharField(max_length=100, null=True, blank=True, unique=True)
    pay_url = models.URLField(max_length=500, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments"
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", PaymentStatus, model="payments"),
            range_check("amount", model="payments", low=0),
        ]
        indexes = [models.Index(fields=["status", "paid_at"], name="payments_status_paid_idx")]

    def __str__(self) -> str:
        created = formats.date_format(timezone.localtime(self.created_at)) if self.created_at else "not saved"
        return f"{self.amount} on {created} · {self.get_status_display()}"
