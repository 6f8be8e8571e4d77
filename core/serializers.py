"""Serializer pieces the API's apps share."""

import copy
from collections.abc import Mapping
from decimal import Decimal
from functools import partial

from django.db import models
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import api_settings


class StrictFieldsMixin:
    """Refuse the body keys DRF would silently drop: unknown names and read-only fields (400 per key).

    Mass assignment then fails loudly: `{"status": "PAID"}` on a new payment, `{"user_id": 7}` on a
    client's own plan, or a typo like `{"membership": 3}` is an error naming the key, and nothing is
    written, instead of a 2xx that quietly did something else than asked.
    """

    # field name → why the caller may not set it, when that says more than "read-only"
    read_only_reasons: dict[str, str] = {}

    def to_internal_value(self, data):
        refused = {}
        if isinstance(data, Mapping):
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    refused[key] = ["Unknown field."]
                elif field.read_only:
                    refused[key] = [self.read_only_reasons.get(key, "Read-only: the server sets this field.")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                raise serializers.ValidationError({**error.detail, **refused}) from error
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value


class FastReadMixin:
    """`to_representation` without DRF's per-field machinery for plain model fields: the same JSON, faster.

    A page of 50 clients is 750 fields; DRF's generic path (get_attribute, PKOnlyObject, quantize with
    a copied decimal context, …) made serialization half of the list endpoints' time. The plan — one
    getter and one converter per field — is built from the declared fields, so it cannot drift from
    them; anything it does not know (method fields, dotted sources, other nested serializers) takes
    DRF's own path. `test_fast_representation_matches_drfs` pins the equality.

    When every step is plain (columns, ids of related rows, nested lists of fast serializers), the
    plan is the same for every instance of the class and is kept on the class: DRF then never builds
    the serializer's fields to read (ModelSerializer.get_fields was 14% of a list request's CPU).
    A serializer whose `__init__` removes or swaps readable fields per request must not use this
    mixin (changing querysets or `read_only`, as TrainingPlanSerializer does, is fine).
    """

    def _fast_plan(self) -> list:
        plan = _CLASS_PLANS.get(type(self))
        if plan is None:
            plan = getattr(self, "_fast_plan_cache", None)
        if plan is None:
            plan = self._fast_plan_cache = [self._fast_step(field) for field in self._readable_fields]
            if all(step[1] is not None for step in plan):
                _CLASS_PLANS[type(self)] = plan
        return plan

    def _fast_step(self, field):
        simple = field.source != "*" and len(field.source_attrs) == 1
        kind = type(field)
        if simple and kind is serializers.ListSerializer and isinstance(field.child, FastReadMixin):
            child_plan = field.child._fast_plan()
            if type(field.child) in _CLASS_PLANS:
                return field.field_name, field.source, partial(_fast_rows, plan=child_plan)
        if (
            simple
            and kind is serializers.ManyRelatedField
            and type(field.child_relation) is serializers.PrimaryKeyRelatedField
            and field.child_relation.pk_field is None
        ):
            return field.field_name, field.source, _related_ids
        if simple and kind is serializers.PrimaryKeyRelatedField and field.pk_field is None:
            # The foreign key's column (`client_id`): the related row is never loaded.
            model_field = self.Meta.model._meta.get_field(field.source)
            return field.field_name, model_field.attname, None
        if simple and kind in (serializers.CharField, serializers.ChoiceField):
            return field.field_name, field.source, _plain_str
        if simple and kind is serializers.BooleanField:
            return field.field_name, field.source, bool
        if simple and kind is serializers.IntegerField:
            return field.field_name, field.source, int
        date_format = getattr(field, "format", api_settings.DATE_FORMAT)
        if (
            simple
            and kind is serializers.DateField
            and isinstance(date_format, str)
            and date_format.lower() == "iso-8601"
        ):
            return field.field_name, field.source, _iso_date
        datetime_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if simple and kind is serializers.DateTimeField and isinstance(datetime_format, str):
            field_timezone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
            if datetime_format.lower() == "iso-8601" and field_timezone is not None:
                # An unbound copy: the plan may outlive this serializer (and its request).
                unbound = copy.deepcopy(field)
                return field.field_name, field.source, partial(_iso_datetime, field=unbound, tz=field_timezone)
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        decimal_string = (
            coerce and not getattr(field, "localize", False) and not getattr(field, "normalize_output", False)
        )
        if simple and kind is serializers.DecimalField and decimal_string and field.decimal_places is not None:
            return field.field_name, field.source, partial(_fixed_point, places=field.decimal_places)
        return field.field_name, None, field

    def to_representation(self, instance):
        return _represent(self._fast_plan(), instance)


# Serializer class → its plan, for the classes whose plan is the same for every instance.
_CLASS_PLANS: dict[type, list] = {}


def _represent(plan: list, instance) -> dict:
    ret = {}
    for name, source, convert in plan:
        if source is None:
            # DRF's own path, exactly as Serializer.to_representation takes it.
            try:
                attribute = convert.get_attribute(instance)
            except serializers.SkipField:
                continue
            check = attribute.pk if isinstance(attribute, serializers.PKOnlyObject) else attribute
            ret[name] = None if check is None else convert.to_representation(attribute)
            continue
        value = getattr(instance, source)
        ret[name] = value if value is None or convert is None else convert(value)
    return ret


def _fast_rows(manager, *, plan: list) -> list[dict]:
    # ListSerializer.to_representation: a related manager's rows (prefetched ones when prefetched).
    rows = manager.all() if isinstance(manager, models.manager.BaseManager) else manager
    return [_represent(plan, row) for row in rows]


def _related_ids(manager) -> list:
    # ManyRelatedField of PrimaryKeyRelatedField: the related rows' primary keys, in the manager's order.
    return [row.pk for row in manager.all()]


def _fixed_point(value, *, places: int) -> str:
    # Columns are NUMERIC(x, 2): a value never has more places, so no rounding rule comes into play.
    return f"{value if isinstance(value, Decimal) else Decimal(str(value).strip()):.{places}f}"


def _plain_str(value) -> str:
    # Rows read from the database hold plain strings; a fresh instance may hold a TextChoices member.
    return value if type(value) is str else str(value)


def _iso_datetime(value, *, field, tz) -> str:
    if isinstance(value, str) or timezone.is_naive(value):
        return field.to_representation(value)  # rare: let DRF make it aware or pass it through
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _iso_date(value):
    return value if isinstance(value, str) else value.isoformat()
