"""Admin for classes: writes go through classes.services, so the clash and waitlist rules hold here too."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from classes import services
from classes.models import Booking, ClassSession, ClassType, SessionStatus, TimetableRule


@admin.register(ClassType)
class ClassTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "capacity", "duration_min", "access_levels"]
    search_fields = ["name", "description"]


@admin.register(TimetableRule)
class TimetableRuleAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start_time", "class_type", "trainer", "room", "active"]
    list_filter = ["weekday", "active", "class_type"]
    list_select_related = ["class_type", "trainer"]
    actions = ["generate_now"]

    def save_model(self, request, obj, form, change):
        # The rule's future unbooked sessions follow the change (classes.services.timetable_rule_update).
        if change:
            services.timetable_rule_update(rule=obj, data={})
        else:
            obj.save()
            services.timetable_generate(rules=[obj])

    def delete_model(self, request, obj):
        services.timetable_rule_delete(rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            services.timetable_rule_delete(rule=rule)

    @admin.action(description=_("Create the sessions of the selected rules now"))
    def generate_now(self, request, queryset):
        result = services.timetable_generate(rules=list(queryset.select_related("class_type", "trainer")))
        self.message_user(
            request,
            _("%(created)s sessions created, %(skipped)s skipped (clashes).")
            % {"created": result["created"], "skipped": result["skipped"]},
        )


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    can_delete = False
    fields = ["client", "status", "waitlist_position", "created_at", "promoted_at", "cancelled_at", "attended_at"]
    readonly_fields = fields
    ordering = ["waitlist_position", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False  # bookings are made on the session page or the API, where capacity is enforced


class ClassSessionForm(forms.ModelForm):
    class Meta:
        model = ClassSession
        fields = ["class_type", "trainer", "starts_at", "ends_at", "capacity", "room"]

    def clean(self):
        cleaned = super().clean()
        # The instance gets the form's values only after clean(): ask about a copy carrying them.
        session = ClassSession(
            pk=self.instance.pk,
            status=self.instance.status,
            **{name: cleaned.get(name) for name in ("class_type", "trainer", "starts_at", "ends_at", "room")},
        )
        if not self.errors and session.status == SessionStatus.SCHEDULED:
            # A friendly form error first; the database's exclusion constraint still has the last word.
            for field in ("trainer", "room"):
                if other := services.session_clash(session, field=field):
                    raise ValidationError(services.clash_error(session, field, other).message)
        return cleaned


@admin.register(ClassSession)
class ClassSessionAdmin(admin.ModelAdmin):
    form = ClassSessionForm
    list_display = ["class_type", "starts_at", "trainer", "room", "capacity", "status"]
    list_filter = ["status", "class_type", "trainer"]
    list_select_related = ["class_type", "trainer"]
    date_hierarchy = "starts_at"
    readonly_fields = ["status", "cancel_reason", "cancelled_at", "rule"]
    inlines = [BookingInline]

    def save_model(self, request, obj, form, change):
        services.session_save(session=obj)
