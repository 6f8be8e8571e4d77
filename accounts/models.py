from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import choices_check


class Role(models.TextChoices):
    ADMIN = "ADMIN", _("Admin")
    TRAINER = "TRAINER", _("Trainer")
    USER = "USER", _("Client")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, email: str, password: str | None = None, **fields) -> "User":
        if not username:
            raise ValueError("A user needs a username.")
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(username=username, email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_superuser=True, role=Role.ADMIN)
        return self.create_user(username, email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: club staff, trainers and club clients (table `users` of the seed)."""

    username = models.CharField(
        _("username"),
        max_length=50,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only, 50 characters at most."),
        error_messages={"unique": _("A user with that username already exists.")},
    )
    # The seed keeps the hash in `password_hash`; 255 characters leave room for any hasher.
    password = models.CharField(_("password"), max_length=255, db_column="password_hash")
    email = models.EmailField(
        _("email"), max_length=100, unique=True, error_messages={"unique": _("A user with that email already exists.")}
    )
    role = models.CharField(_("role"), max_length=7, choices=Role.choices, default=Role.USER, db_default=Role.USER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    telegram_id = models.BigIntegerField(
        _("telegram id"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("Telegram account linked for sign-in and login confirmation."),
    )
    # Set when Telegram answered 403 (the member blocked the bot): nothing more is sent until they
    # write to the bot again or link another account.
    telegram_unreachable_at = models.DateTimeField(_("telegram unreachable at"), null=True, blank=True, editable=False)
    # The member's choice for pages and messages; empty follows the browser (pages) or Telegram (bot).
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", db_default="", choices=settings.LANGUAGES
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        db_table = "users"
        ordering = ["username"]
        constraints = [
            choices_check("role", Role, model="users"),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role=Role.ADMIN),
                name="users_superuser_is_admin",
                violation_error_message=_("A superuser must have the ADMIN role."),
            ),
        ]
        indexes = [models.Index(fields=["role"], name="users_role_idx")]

    def __str__(self) -> str:
        return self.username

    # Derived from the role and the soft delete instead of stored, so they can never disagree.
    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_staff(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_trainer(self) -> bool:
        return self.role == Role.TRAINER

    def has_perm(self, perm: str, obj=None) -> bool:
        return (self.is_active and self.is_staff) or super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return (self.is_active and self.is_staff) or super().has_module_perms(app_label)


class ChallengePurpose(models.TextChoices):
    LOGIN = "LOGIN", _("Confirm a password login")
    LINK = "LINK", _("Link a Telegram account")
    UNLINK = "UNLINK", _("Unlink the Telegram account")
    RELINK = "RELINK", _("Link another Telegram account")


class TelegramChallenge(models.Model):
    """A request the user answers by sending `/start <nonce>` to the club bot.

    LOGIN: a password login waiting for the linked Telegram account's approval, redeemed once by
    `verification_id`. LINK: a signed-in user linking the Telegram account that sends the nonce.
    UNLINK / RELINK: removing the linked Telegram account, or replacing it by `telegram_id`, approved
    by the Telegram account linked now. LOGIN, UNLINK and RELINK are approved with the Confirm button
    of the bot's message, which names the `device` and `address` that asked; Deny sets `denied_at`.
    Only SHA-256 digests of the secrets are stored: a database reader can neither confirm nor redeem.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.DB_CASCADE, related_name="telegram_challenges"
    )
    purpose = models.CharField(_("purpose"), max_length=6, choices=ChallengePurpose.choices)
    nonce_digest = models.CharField(_("nonce digest"), max_length=64, unique=True)
    verification_digest = models.CharField(_("verification digest"), max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    expires_at = models.DateTimeField(_("expires at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    denied_at = models.DateTimeField(_("denied at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # Who asked, shown in the bot's confirmation message: a shortened User-Agent and the client address.
    device = models.CharField(_("device"), max_length=80, blank=True, default="")
    address = models.CharField(_("address"), max_length=45, blank=True, default="")
    telegram_id = models.BigIntegerField(
        _("telegram id"), null=True, blank=True, help_text=_("RELINK: the Telegram account to link.")
    )

    class Meta:
        verbose_name = _("telegram challenge")
        verbose_name_plural = _("telegram challenges")
        db_table = "telegram_challenges"
        constraints = [choices_check("purpose", ChallengePurpose, model="telegram_challenges")]
        indexes = [models.Index(fields=["expires_at"], name="telegram_challenges_exp_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.user}"


class TelegramAuthUse(models.Model):
    """A Login Widget or Mini App payload that was accepted once: a replay finds its row and is refused.

    `digest` is the SHA-256 of the payload's `hash` (Telegram's HMAC over every field, so one row per
    payload); the unique index makes the check-and-record one atomic INSERT, across every process.
    Rows are pruned once `expires_at` passed: by then the payload is refused as expired anyway.
    """

    digest = models.CharField(_("digest"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_default=Now())
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("telegram auth use")
        verbose_name_plural = _("telegram auth uses")
        db_table = "telegram_auth_uses"
        indexes = [models.Index(fields=["expires_at"], name="telegram_auth_uses_exp_idx")]

    def __str__(self) -> str:
        return f"Telegram payload used at {self.used_at:%Y-%m-%d %H:%M:%S}"
