"""The membership ledger's guard in PostgreSQL: no commit leaves a client's paid-until date unexplained.

Deferred constraint triggers run at COMMIT for every client whose expiration_date was inserted or
changed, and for every client that got a membership_events row, and check the invariant: the newest
event (highest id) has expiration_after = clients.expiration_date (a client with no event must have
no date). The Python guard (club.models.ledger_write) catches mistakes early and on SQLite; this one
also covers raw SQL, other services sharing the database and any misuse of the Python flag.
Deferred, so the service may update the client and insert the event in either order.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION membership_ledger_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target integer;
    paid_until date;
    newest record;
BEGIN
    IF TG_TABLE_NAME = 'clients' THEN target := NEW.id; ELSE target := NEW.client_id; END IF;
    SELECT expiration_date INTO paid_until FROM clients WHERE id = target;
    IF NOT FOUND THEN
        RETURN NULL;  -- deleted in the same transaction (its events go with it)
    END IF;
    SELECT expiration_after INTO newest FROM membership_events WHERE client_id = target ORDER BY id DESC LIMIT 1;
    IF (NOT FOUND AND paid_until IS NOT NULL) OR (FOUND AND newest.expiration_after IS DISTINCT FROM paid_until) THEN
        RAISE EXCEPTION 'membership ledger: client % is paid until %, its newest membership event says %',
            target, paid_until, newest.expiration_after
            USING HINT = 'Change expiration_date through club.services, which writes the membership_events row.';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER clients_ledger_on_insert AFTER INSERT ON clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.expiration_date IS NOT NULL)
    EXECUTE FUNCTION membership_ledger_check();
CREATE CONSTRAINT TRIGGER clients_ledger_on_update AFTER UPDATE OF expiration_date ON clients
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.expiration_date IS DISTINCT FROM NEW.expiration_date)
    EXECUTE FUNCTION membership_ledger_check();
CREATE CONSTRAINT TRIGGER membership_events_ledger_on_insert AFTER INSERT ON membership_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION membership_ledger_check();
"""

DROP = """
DROP TRIGGER IF EXISTS membership_events_ledger_on_insert ON membership_events;
DROP TRIGGER IF EXISTS clients_ledger_on_update ON clients;
DROP TRIGGER IF EXISTS clients_ledger_on_insert ON clients;
DROP FUNCTION IF EXISTS membership_ledger_check();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("club", "0005_ledger_opening")]

    operations = [migrations.RunPython(create, drop)]
