from django.db import IntegrityError, connections, models, router, transaction
from django.utils.translation import gettext as _


def referencing_counts(instance: models.Model) -> dict[str, int]:
    """Rows that still point at `instance` through NO ACTION foreign keys (the database refuses its delete)."""
    counts = {}
    for relation in instance._meta.related_objects:
        if (relation.one_to_many or relation.one_to_one) and relation.on_delete is models.DO_NOTHING:
            count = relation.related_model._default_manager.filter(**{relation.field.name: instance}).count()
            if count:
                counts[str(relation.related_model._meta.verbose_name_plural)] = count
    return counts


def delete_checked(instance: models.Model) -> None:
    """Delete `instance` now, or raise ProtectedError saying what still refers to it.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED on PostgreSQL and SQLite, so a refused
    delete would otherwise surface only at commit — as a 500 outside any view's reach. Checking the
    constraints inside a savepoint turns it into an error the caller can show.
    """
    if counts := referencing_counts(instance):
        still = ", ".join(f"{count} {name}" for name, count in counts.items())
        raise models.ProtectedError(
            _("“%(object)s” cannot be deleted: %(references)s still refer to it.")
            % {"object": instance, "references": still},
            set(),
        )
    alias = router.db_for_write(type(instance))
    try:
        with transaction.atomic(using=alias):
            instance.delete()
            connections[alias].check_constraints()
    except IntegrityError as error:
        raise models.ProtectedError(
            _("“%(object)s” cannot be deleted: other records still refer to it.") % {"object": instance}, set()
        ) from error
