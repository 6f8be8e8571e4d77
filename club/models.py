import contextlib
import contextvars
import datetime
import re
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from core.models import choices_check, range_check

# Clients of a deleted membership move to this one (ON DELETE SET DEFAULT). A data migration
# creates it; the database refuses to delete it while clients use it.
DEFAULT_MEMBERSHIP_ID = 1
MIN_DATE_OF_BIRTH = datetime.date(1900, 1, 1)


class AccessLevel(models.TextChoices):
    STANDARD = "STANDARD", _("Standard")
    PREMIUM = "PREMIUM", _("Premium")
    VIP = "VIP", _("VIP")


class Gender(models.TextChoices):
    MALE = "MALE", _("Male")
    FEMALE = "FEMALE", _("Female")


class ClientStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    INACTIVE = "INACTIVE", _("Inactive")
    ON_HOLD = "ON_HOLD", _("On hold")


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    PAID = "PAID", _("Paid")
    EXPIRED = "EXPIRED", _("Expired")
    CANCELLED = "CANCELLED", _("Cancelled")
    FAILED = "FAILED", _("Failed")
    REFUNDED = "REFUNDED", _("Refunded")


class PaymentMethod(models.TextChoices):
    CASH = "CASH", _("Cash")
    CARD = "CARD", _("Card")
    TRANSFER = "TRANSFER", _("Bank transfer")
    PROVIDER = "PROVIDER", _("Online (payment provider)")


# What the front desk may take at a sale; PROVIDER payments come from the provider's events.
DESK_PAYMENT_METHODS = [PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.TRANSFER]


class MembershipEventKind(models.TextChoices):
    SALE = "SALE", _("Sale at the desk")
    PAYMENT = "PAYMENT", _("Online payment")
    HOLD = "HOLD", _("Hold")
    HOLD_CANCELLED = "HOLD_CANCELLED", _("Hold cancelled")
    REFUND = "REFUND", _("Refund")
    CORRECTION = "CORRECTION", _("Correction")


class Membership(models.Model):
    access_level = models.CharField(_("access level"), max_length=8, choices=AccessLevel.choices, null=True, blank=True)
    description = models.TextField(_("description"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        db_table = "memberships"
        ordering = ["price", "id"]
        constraints = [
            choices_check("access_level", AccessLevel, model="memberships"),
            range_check("price", model="memberships", low=0),
        ]

    def __str__(self) -> str:
        # What staff pick it by: "Premium · 49.00/month" (a payment buys MEMBERSHIP_DAYS_PER_PAYMENT days).
        level = self.get_access_level_display() if self.access_level else _("Membership")
        if self.price:
            return _("%(level)s · %(price)s/month") % {"level": level, "price": self.price}
        return _("%(level)s · free") % {"level": level}


def normalize_phone(raw: str | None) -> str:
    """The digits a phone number is searched by: Russian numbers as their 10-digit national number.

    Non-digits go (`+7 (935) 576-61-26` → `79355766126`); an 11-digit number starting with 8 (the
    domestic trunk prefix) or 7 (the country code) loses that digit, so `+7 935 576-61-26`,
    `89355766126` and `9355766126` are all `9355766126`. Any other number keeps all its digits.
    """
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    return digits


# ---------------------------------------------------------------------------
# The membership ledger's guard
# ---------------------------------------------------------------------------
# Every change of clients.expiration_date must come with its membership_events row, in the same
# transaction (club.services._ledger_write). Two locks keep it so:
# 1. here, in Python: Client.save(), ClientQuerySet.update/bulk_update/bulk_create refuse to change
#    expiration_date unless the ledger function opened `ledger_write()`. Any new code path (a form, an
#    admin field, a task, a fixture) fails at once with LedgerBypassError, on SQLite too.
# 2. in PostgreSQL (migration 0006): deferred constraint triggers compare, at commit, every touched
#    client's expiration_date with its newest event, so even raw SQL or another service sharing the
#    database (or a misuse of the flag) cannot commit a date without its ledger row.
_ledger_write_open: contextvars.ContextVar[bool] = contextvars.ContextVar("ledger_write_open", default=False)


class LedgerBypassError(RuntimeError):
    """A client's expiration_date was changed outside the membership ledger (a bug, never input)."""


@contextlib.contextmanager
def ledger_write() -> Iterator[None]:
    """Only for club.services' ledger function (and bulk loaders writing the events themselves)."""
    token = _ledger_write_open.set(True)
    try:
        yield
    finally:
        _ledger_write_open.reset(token)


def _refuse_unledgered_change(what: str) -> None:
    if not _ledger_write_open.get():
        raise LedgerBypassError(
            f"{what} changes clients.expiration_date outside the membership ledger: "
            "use club.services (membership_sale, hold_create, client_expiration_correct, …)."
        )


class EffectiveStatus(models.Expression):
    """A client's status as of `today` (ClientQuerySet.with_effective_status), written as one SQL CASE.

    The same as `Case(When(Exists(holds today), then ON_HOLD), When(expiration_date < today, then
    INACTIVE), When(expiration_date IS NULL, then status), When(status = INACTIVE, then INACTIVE),
    default ACTIVE)`, but built as text: that tree of ORM expressions cost ~1 ms of CPU to resolve
    and compile on every list request (a fifth of a clients page, docs/performance.md). The
    client's table is the base table of the query compiling it (its alias, "U0" in a subquery).
    """

    output_field = models.CharField(max_length=8)

    def __init__(self, today: datetime.date) -> None:
        super().__init__()
        self.today = today

    def as_sql(self, compiler, connection):
        qn = connection.ops.quote_name
        client = compiler.quote_name(next(iter(compiler.query.alias_map)))
        holds = qn(MembershipHold._meta.db_table)
        day = connection.ops.adapt_datefield_value(self.today)
        # Quoted identifiers of our own tables only; every value is a parameter.
        sql = (
            f"CASE WHEN EXISTS(SELECT 1 FROM {holds} effective_status_hold "  # noqa: S608
            f"WHERE effective_status_hold.{qn('client_id')} = {client}.{qn('id')} "
            f"AND effective_status_hold.{qn('cancelled_at')} IS NULL "
            f"AND effective_status_hold.{qn('starts_on')} <= %s AND effective_status_hold.{qn('ends_on')} >= %s) "
            f"THEN %s "
            f"WHEN {client}.{qn('expiration_date')} < %s THEN %s "
            f"WHEN {client}.{qn('expiration_date')} IS NULL THEN {client}.{qn('status')} "
            f"WHEN {client}.{qn('status')} = %s THEN %s "
            f"ELSE %s END"
        )
        inactive = str(ClientStatus.INACTIVE)
        params = (day, day, str(ClientStatus.ON_HOLD), day, inactive, inactive, inactive, str(ClientStatus.ACTIVE))
        return sql, params


class ClientQuerySet(models.QuerySet["Client"]):
    def with_effective_status(self, *, today: datetime.date | None = None) -> "ClientQuerySet":
        """Annotate `effective_status`: the status as of `today`, whatever the nightly task did.

        ON_HOLD on the days of a (not cancelled) hold; INACTIVE once the last paid day has passed, or
        when staff deactivated the member; ACTIVE otherwise. A member without any paid day keeps its
        stored status. The same rule as Client.status_on(); `?status=`, lists and counts all use it.
        """
        return self.annotate(effective_status=EffectiveStatus(today or timezone.localdate()))

    def update(self, **kwargs):
        if "expiration_date" in kwargs:
            _refuse_unledgered_change("QuerySet.update()")
        if "phone_number" in kwargs:
            kwargs.setdefault("phone_normalized", normalize_phone(kwargs["phone_number"]))
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if "expiration_date" in fields:
            _refuse_unledgered_change("QuerySet.bulk_update()")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if any(obj.expiration_date is not None for obj in objs):
            _refuse_unledgered_change("QuerySet.bulk_create()")
        for obj in objs:
            obj.phone_normalized = normalize_phone(obj.phone_number)
        return super().bulk_create(objs, *args, **kwargs)


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{4,18}$", _("Enter a phone number of digits, spaces, brackets or dashes.")
)


class Client(models.Model):
    """A club member: the profile of a `USER` account, with its membership."""

    # NO ACTION in the database, as the seed says: a user with a client is soft-deleted instead.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.DO_NOTHING, related_name="client"
    )
    # The seed marks membership_id UNIQUE, which would allow one client per membership; memberships
    # are tariffs shared by many clients, so the column is a plain foreign key (docs/schema.md).
    # Annotated: django-stubs would take the int default for the type of `client.membership`.
    membership: "models.ForeignKey[Membership | Combinable, Membership]" = models.ForeignKey(
        Membership,
        verbose_name=_("membership"),
        on_delete=models.DB_SET_DEFAULT,
        default=DEFAULT_MEMBERSHIP_ID,
        db_default=DEFAULT_MEMBERSHIP_ID,  # type: ignore[arg-type]  # a row's id; Django wraps it in Value()
        related_name="clients",
    )
    first_name = models.CharField(_("first name"), max_length=50)
    last_name = models.CharField(_("last name"), max_length=80)
    phone_number = models.CharField(_("phone number"), max_length=20, validators=[phone_validator])
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, null=True, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    weight_kg = models.DecimalField(_("weight kg"), max_digits=5, decimal_places=2, null=True, blank=True)
    # The seed's column is `height_sm` and holds centimetres; the API calls it height_cm.
    height_cm = models.DecimalField(
        _("height cm"), max_digits=5, decimal_places=2, null=True, blank=True, db_column="height_sm"
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=ClientStatus.choices,
        default=ClientStatus.ACTIVE,
        db_default=ClientStatus.ACTIVE,
    )
    # Changed only through the membership ledger (club.services): see the guard above.
    expiration_date = models.DateField(
        _("expiration date"), null=True, blank=True, help_text=_("Last day the membership is paid for.")
    )
    # normalize_phone(phone_number), kept by save(): what phone searches compare, however the number is typed.
    phone_normalized = models.CharField(
        _("phone normalized"), max_length=20, blank=True, default="", db_default="", editable=False
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="trained_clients",
        limit_choices_to={"role": "TRAINER"},
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
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
            # The daily membership notices look for last paid days in a window, whatever the stored status.
            models.Index(fields=["expiration_date"], name="clients_expiration_idx"),
            models.Index(fields=["last_name", "first_name"], name="clients_name_idx"),
            models.Index(fields=["phone_number"], name="clients_phone_idx"),
            models.Index(fields=["phone_normalized"], name="clients_phone_normalized_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        writes_expiration = update_fields is None or "expiration_date" in update_fields
        if writes_expiration and "expiration_date" in self.__dict__:
            before = None if self._state.adding else getattr(self, "_saved_expiration_date", self.expiration_date)
            if self.expiration_date != before:
                _refuse_unledgered_change("Client.save()")
        self.phone_normalized = normalize_phone(self.phone_number)
        if update_fields is not None and "phone_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_normalized"}
        super().save(*args, **kwargs)
        self._remember_expiration()

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._remember_expiration()
        return instance

    def _remember_expiration(self) -> None:
        # What the row holds in the database, to tell a change of expiration_date from a plain save.
        if "expiration_date" in self.__dict__:
            self._saved_expiration_date = self.expiration_date

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_expiration()

    def status_on(self, today: datetime.date | None = None) -> str:
        """The effective status (see ClientQuerySet.with_effective_status), computed for one row."""
        today = today or timezone.localdate()
        if self.pk and self.holds.filter(cancelled_at__isnull=True, starts_on__lte=today, ends_on__gte=today).exists():
            return ClientStatus.ON_HOLD
        if self.expiration_date is None:
            return self.status
        if self.expiration_date < today or self.status == ClientStatus.INACTIVE:
            return ClientStatus.INACTIVE
        return ClientStatus.ACTIVE

    @property
    def current_status(self) -> str:
        """The status shown everywhere: the selector's annotation when present, else computed now."""
        annotated = self.__dict__.get("effective_status")
        return annotated if annotated is not None else self.status_on()

    @property
    def current_status_display(self) -> str:
        return str(ClientStatus(self.current_status).label)

    def clean(self) -> None:
        if self.date_of_birth and not MIN_DATE_OF_BIRTH <= self.date_of_birth <= timezone.localdate():
            raise ValidationError(
                {"date_of_birth": _("Enter a date between %(earliest)s and today.") % {"earliest": MIN_DATE_OF_BIRTH}}
            )

    @property
    def full_name(self) -> str:
        return str(self)


class Payment(models.Model):
    """A payment for a membership; the provider reports its outcome on `payment_queue`."""

    # Payments are financial history: NO ACTION keeps a client or membership that has any.
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.DO_NOTHING, related_name="payments")
    membership = models.ForeignKey(
        Membership, verbose_name=_("membership"), on_delete=models.DO_NOTHING, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=9,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        db_default=PaymentStatus.PENDING,
    )
    # NULL on payments from before the front desk (all of them came through the provider).
    method = models.CharField(_("method"), max_length=8, choices=PaymentMethod.choices, null=True, blank=True)
    # "2026-000042": gap-free and increasing per year, taken from ReceiptSequence in the sale's transaction.
    receipt_number = models.CharField(
        _("receipt number"), max_length=11, null=True, blank=True, unique=True, editable=False
    )
    # Who took the money at the desk (NULL for provider payments).
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="payments_taken",
        editable=False,
    )
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True, editable=False)
    refund_reason = models.TextField(_("refund reason"), blank=True, default="", db_default="", editable=False)
    provider_reference = models.CharField(_("provider reference"), max_length=100, null=True, blank=True, unique=True)
    pay_url = models.URLField(_("pay url"), max_length=500, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        db_table = "payments"
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", PaymentStatus, model="payments"),
            choices_check("method", PaymentMethod, model="payments"),
            range_check("amount", model="payments", low=0),
        ]
        indexes = [
            models.Index(fields=["status", "paid_at"], name="payments_status_paid_idx"),
            models.Index(fields=["refunded_at"], name="payments_refunded_idx", condition=Q(refunded_at__isnull=False)),
        ]

    def __str__(self) -> str:
        created = formats.date_format(timezone.localtime(self.created_at)) if self.created_at else _("not saved")
        return _("%(amount)s on %(created)s · %(status)s") % {
            "amount": self.amount,
            "created": created,
            "status": self.get_status_display(),
        }


class ReceiptSequence(models.Model):
    """The last receipt number given in a year: one row per year, locked by each sale (never max()+1)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0, db_default=0)

    class Meta:
        verbose_name = _("receipt sequence")
        verbose_name_plural = _("receipt sequences")
        db_table = "receipt_sequences"

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class MembershipEvent(models.Model):
    """One change of a client's expiration_date and why: the membership ledger (append-only).

    Invariant: a client's newest event (highest id) has expiration_after == clients.expiration_date.
    Each change locks the client's row first, so per client the id order is the order of changes.
    """

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="membership_events"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=MembershipEventKind.choices)
    expiration_before = models.DateField(_("expiration before"), null=True, blank=True)
    expiration_after = models.DateField(_("expiration after"), null=True, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="membership_events",
    )
    hold = models.ForeignKey(
        "MembershipHold",
        verbose_name=_("hold"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="membership_events",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("membership event")
        verbose_name_plural = _("membership events")
        db_table = "membership_events"
        ordering = ["-id"]
        constraints = [choices_check("kind", MembershipEventKind, model="membership_events")]
        indexes = [models.Index(F("client"), F("id").desc(), name="membership_events_client_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.expiration_before or '—'} → {self.expiration_after or '—'}"

    @property
    def days(self) -> int:
        """Days this change added (negative: took back)."""
        if self.expiration_before is None or self.expiration_after is None:
            return 0
        return (self.expiration_after - self.expiration_before).days


class MembershipHold(models.Model):
    """A dated pause of a membership: the client is ON_HOLD from starts_on to ends_on, both included."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="holds")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    reason = models.TextField(_("reason"), blank=True, default="", db_default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership hold")
        verbose_name_plural = _("membership holds")
        db_table = "membership_holds"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="membership_holds_dates_ordered",
                violation_error_message=_("A hold ends on or after the day it starts."),
            )
        ]
        indexes = [models.Index(fields=["client", "starts_on"], name="membership_holds_client_idx")]

    def __str__(self) -> str:
        return f"{formats.date_format(self.starts_on)} – {formats.date_format(self.ends_on)}"

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1
