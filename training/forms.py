from django import forms
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from club.forms import ClientScopeMixin, DateInput
from core.dashboard import SearchableSelect
from training.models import Complexity, Exercise, MuscleGroup, PlanStatus, Training, TrainingPlan, TrainingType


class ExerciseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Exercise name"), "autocomplete": "off"}),
    )
    muscle_group = forms.ChoiceField(
        label=_("Muscle group"), required=False, choices=[("", _("All muscle groups")), *MuscleGroup.choices]
    )
    complexity_lvl = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *Complexity.choices]
    )


class TrainingFilterForm(ClientScopeMixin):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Title or client"), "autocomplete": "off"}),
    )
    training_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *TrainingType.choices]
    )


class PlanFilterForm(ClientScopeMixin):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Plan or client"), "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *PlanStatus.choices])


class ClientChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.last_name} {obj.first_name} · {obj.phone_number}"


class TrainingForm(forms.ModelForm):
    class Meta:
        model = Training
        fields = ["client", "title", "training_type", "intensity", "duration_min", "date", "start_time", "description"]
        field_classes = {"client": ClientChoiceField}
        labels = {"duration_min": _("Duration (minutes)"), "training_type": _("Type")}
        widgets = {"date": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients.order_by("last_name", "first_name")
        SearchableSelect.install(self.fields["client"], search_url=f"{reverse('training:client-options')}?value=client")


class ExerciseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Exercise) -> str:
        group = obj.get_muscle_group_display() if obj.muscle_group else _("Other")
        return f"{obj.title} · {group}"


class ExerciseRowForm(forms.Form):
    """One exercise of a training; the defaults are the seed's (3 × 10, 60 s rest)."""

    exercise = ExerciseChoiceField(label=_("Exercise"), queryset=Exercise.objects.order_by("muscle_group", "title"))
    sets = forms.IntegerField(label=_("Sets"), min_value=1, max_value=100, initial=3)
    reps = forms.IntegerField(label=_("Reps"), min_value=1, max_value=1000, initial=10)
    rest_time_sec = forms.IntegerField(label=_("Rest (s)"), min_value=0, max_value=3600, initial=60)
    extra_weight = forms.DecimalField(label=_("Extra kg"), required=False, min_value=0, max_digits=5, decimal_places=2)

    def as_row(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("exercise", "sets", "reps", "rest_time_sec", "extra_weight")}


class BaseExerciseRowFormSet(forms.BaseFormSet):
    # The browser script keeps ORDER in step with the rows' places and flags removed rows in DELETE.
    ordering_widget = forms.HiddenInput
    deletion_widget = forms.HiddenInput

    def rows(self) -> list[dict]:
        """The kept rows in their chosen order, numbered from 1 as `order_in_training`."""
        return [{**form.as_row(), "order_in_training": n} for n, form in enumerate(self.ordered_forms, start=1)]


ExerciseRowFormSet = forms.formset_factory(
    ExerciseRowForm, formset=BaseExerciseRowFormSet, extra=0, can_order=True, can_delete=True, max_num=50
)


class PlanUserField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        client = getattr(obj, "client", None)
        return f"{client.first_name} {client.last_name} · @{obj.username}" if client else obj.username


class TrainingChoicesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Training) -> str:
        when = date_format(obj.date, "j M Y") if obj.date else _("not scheduled")
        values = {"title": obj.title, "when": when, "minutes": obj.duration_min}
        return _("%(title)s · %(when)s · %(minutes)s min") % values


class TrainingPlanForm(forms.ModelForm):
    """A plan for a club member, built from that member's trainings (the list follows the chosen member)."""

    class Meta:
        model = TrainingPlan
        fields = ["user", "title", "description", "status", "trainings"]
        field_classes = {"user": PlanUserField, "trainings": TrainingChoicesField}
        labels = {"user": _("For client")}
        widgets = {"trainings": forms.CheckboxSelectMultiple, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, trainings_of, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(role=Role.USER, deleted_at__isnull=True, client__isnull=False)
            .select_related("client")
            .order_by("client__last_name", "client__first_name")
        )
        SearchableSelect.install(self.fields["user"], search_url=f"{reverse('training:client-options')}?value=user")
        # Choosing another client swaps in that client's trainings (htmx, training:plan-training-choices).
        self.fields["user"].widget.attrs.update(
            {
                "hx-get": reverse("training:plan-training-choices"),
                "hx-trigger": "change",
                "hx-target": "#plan-trainings",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.fields["trainings"].queryset = trainings_of(self.chosen_user_id())
        self.fields["trainings"].required = False
        self.fields["trainings"].help_text = _("Only the chosen client's own trainings can be in the plan.")

    def chosen_user_id(self) -> int | None:
        raw = self.data.get(self.add_prefix("user")) if self.is_bound else self.initial.get("user")
        if raw is None and self.instance.pk:
            raw = self.instance.user_id
        raw = getattr(raw, "pk", raw)
        return int(raw) if str(raw).isdigit() else None


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PlanStatus.choices)
