from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import TelegramChallenge, User
from accounts.permissions import can_change_role, can_delete_user
from accounts.services import (
    SELF_DELETION_REFUSED,
    telegram_confirmation_required,
    user_refresh_tokens_revoke,
    user_restore,
    user_soft_delete,
)
from accounts.views import throttle_sign_in
from core.admin import ClubAdmin, ClubAdminMixin, change_link


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login form, minus a bypass: Telegram-linked accounts sign in where the bot confirms."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if telegram_confirmation_required(user):
            raise ValidationError(
                _("This account confirms its logins in Telegram: sign in on the club's login page."),
                code="telegram_confirmation_required",
            )


admin.site.login_form = AdminLoginForm
_admin_login = admin.site.login


def throttled_admin_login(request, extra_context=None):
    """The admin's login under the same brute-force limits as /login/ and the API (per IP and per username)."""
    if request.method == "POST" and (refusal := throttle_sign_in(request, username_too=True)):
        return refusal
    return _admin_login(request, extra_context)


# AdminSite.get_urls() routes "login/" to `self.login`, looked up when the URLconf is built.
admin.site.login = throttled_admin_login


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class PasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" page: like a change through /api/users/, it ends the user's refresh tokens."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=commit)
        if commit:
            user_refresh_tokens_revoke(user=user)
        return user


def user_label(user: User) -> str:
    """A user as staff recognise one in a picker: a member by name, anyone by username.

    Reads `user.client`: query users with select_related("client").
    """
    client = getattr(user, "client", None)
    return f"{client.full_name} · @{user.username}" if client is not None else user.username


def member_link(user: User) -> str:
    """A link to the member's client page, by name; to the account page for a user who is no client.

    Reads `user.client`: query with select_related("user__client").
    """
    return change_link(getattr(user, "client", None) or user)


class DeletedFilter(admin.SimpleListFilter):
    title = _("account")
    parameter_name = "account"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("deleted", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(User)
class UserAdmin(ClubAdminMixin, DjangoUserAdmin):
    """Users are never hard-deleted here: "delete" soft-deletes, so their history stays."""

    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = PasswordChangeForm
    list_display = ("username", "name", "email", "role", "telegram", "last_seen", "is_active")
    list_filter = ("role", DeletedFilter, "is_superuser")
    list_select_related = ("client",)
    search_fields = ("username", "email", "client__first_name", "client__last_name", "client__phone_number")
    search_help_text = _("Search by username, email, or a member's name or phone number.")
    ordering = ("username",)
    readonly_fields = ("member_profile", "created_at", "last_login", "deleted_at")
    fieldsets = (
        (None, {"fields": ("username", "password", "member_profile")}),
        (_("Contact"), {"fields": ("email", "telegram_id")}),
        (_("Access"), {"fields": ("role", "is_superuser")}),
        # The role decides what an account may do; groups and single permissions are for exceptions.
        (_("Extra permissions"), {"classes": ("collapse",), "fields": ("groups", "user_permissions")}),
        (_("History"), {"fields": ("created_at", "last_login", "deleted_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "role", "usable_password", "password1", "password2"),
            },
        ),
    )
    field_labels = {"telegram_id": _("Telegram id"), "is_superuser": _("Superuser")}
    help_texts = {
        "role": _(
            "Client: the club app and the API, about themselves. Trainer: the dashboards. "
            "Admin: the dashboards and this admin."
        ),
        "is_superuser": _("Every permission without assigning them; Admins only."),
        "groups": _("Rarely needed: the role decides what the account may do."),
        "user_permissions": _("Rarely needed: the role decides what the account may do."),
    }
    actions = ["soft_delete_users", "restore_users"]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and not can_change_role(request.user, obj):
            # Nobody changes their own role, here either (SPEC "Roles"): another admin must do it.
            return (*readonly, "role", "is_superuser")
        return readonly

    def get_queryset(self, request):
        # The client's name labels a user in lists and in other pages' user pickers (autocomplete_label).
        return super().get_queryset(request).select_related("client")

    def autocomplete_label(self, user: User) -> str:
        return user_label(user)

    @admin.display(boolean=True, description=_("active"))
    def is_active(self, user: User) -> bool:
        return user.is_active

    @admin.display(description=_("member profile"))
    def member_profile(self, user: User) -> str:
        return change_link(getattr(user, "client", None))

    @admin.display(description=_("name"), ordering="client__last_name")
    def name(self, user: User) -> str:
        client = getattr(user, "client", None)
        return client.full_name if client is not None else "—"

    @admin.display(description=_("Telegram"), ordering="telegram_id")
    def telegram(self, user: User) -> str:
        # A word rather than Django's red cross: most accounts have no Telegram, and that is no fault.
        return _("linked") if user.telegram_id is not None else "—"

    @admin.display(description=_("last sign-in"), ordering="last_login")
    def last_seen(self, user: User) -> str:
        return formats.date_format(timezone.localtime(user.last_login)) if user.last_login else _("never")

    def get_deleted_objects(self, objs, request):
        # Nothing cascades: the confirmation page lists only the users being deactivated.
        return [str(user) for user in objs], {}, set(), []

    def has_delete_permission(self, request, obj=None):
        # Hides "Delete" on an admin's own page; the service refuses it anyway (an admin locked out
        # by their own hand needs another admin, and the last one would need the shell).
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_delete_user(request.user, obj))

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        if user is not None and not can_delete_user(request.user, user):
            self.message_user(request, SELF_DELETION_REFUSED, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        user_soft_delete(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_soft_delete(user=user, actor=request.user)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(
            request, _("“%(user)s” was deactivated; their history is kept.") % {"user": obj_display}, messages.SUCCESS
        )
        return HttpResponseRedirect(reverse("admin:accounts_user_changelist"))

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Soft-delete selected users (they can no longer sign in)"))
    def soft_delete_users(self, request, queryset):
        deactivated, refused = 0, False
        for user in queryset.filter(deleted_at__isnull=True):
            try:
                user_soft_delete(user=user, actor=request.user)
            except PermissionDenied as refusal:
                # The others in the selection are still deactivated: each is its own transaction.
                self.message_user(request, str(refusal), messages.ERROR)
                refused = True
            else:
                deactivated += 1
        if deactivated or not refused:
            self.message_user(
                request,
                ngettext("%d user deactivated.", "%d users deactivated.", deactivated) % deactivated,
                messages.SUCCESS,
            )

    @admin.action(description=_("Restore selected users"))
    def restore_users(self, request, queryset):
        users = list(queryset.filter(deleted_at__isnull=False))
        for user in users:
            user_restore(user=user)
        self.message_user(
            request, ngettext("%d user restored.", "%d users restored.", len(users)) % len(users), messages.SUCCESS
        )


@admin.register(TelegramChallenge)
class TelegramChallengeAdmin(ClubAdmin):
    """Pending and past Telegram confirmations, for support; the secrets themselves are never stored."""

    list_display = ("user", "purpose", "device", "address", "created_at", "confirmed_at", "denied_at", "used_at")
    list_filter = ("purpose",)
    search_fields = ("user__username", "address")
    fields = (
        "user",
        "purpose",
        "device",
        "address",
        "telegram_id",
        "created_at",
        "expires_at",
        "confirmed_at",
        "denied_at",
        "used_at",
    )
    list_select_related = ("user",)
    empty_message = (
        "A confirmation appears when a Telegram-linked account signs in with its password, links, unlinks "
        "or replaces Telegram."
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
