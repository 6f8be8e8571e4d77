"""The "My clients" filter of the client, training and plan lists, and the searchable client pickers."""

import re

import pytest
from django.urls import reverse

from club.models import Client
from club.tests.factories import ClientFactory
from training.models import Training
from training.tests.factories import TrainingFactory, TrainingPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_trainers_clients(trainer):
    """Olga trains with `trainer`; Ivan with nobody. Each has a training and a plan."""
    olga = ClientFactory(first_name="Olga", last_name="Sidorova", trainer=trainer)
    ivan = ClientFactory(first_name="Ivan", last_name="Petrov")
    for member in (olga, ivan):
        TrainingFactory(client=member, title=f"{member.first_name}'s legs")
        TrainingPlanFactory(user=member.user, title=f"{member.first_name}'s block")
    return olga, ivan


def listed(client, name: str, **query) -> list[str]:
    return [str(row) for row in client.get(reverse(name), query).context["page"].object_list]


def test_a_trainers_lists_show_their_own_clients_by_default_and_everyone_on_request(
    client, trainer, two_trainers_clients
):
    client.force_login(trainer)

    assert listed(client, "club:client-list") == ["Olga Sidorova"]
    assert [t.split(" ·")[0] for t in listed(client, "training:training-list")] == ["Olga's legs"]
    assert [p.split(" ·")[0] for p in listed(client, "training:plan-list")] == ["Olga's block"]
    assert sorted(listed(client, "club:client-list", clients="all")) == ["Ivan Petrov", "Olga Sidorova"]
    assert len(listed(client, "training:training-list", clients="all")) == 2
    assert len(listed(client, "training:plan-list", clients="all")) == 2
    body = client.get(reverse("club:client-list")).content.decode()
    assert re.search(r'<option value="mine" selected>My clients</option>', body)


def test_my_clients_combines_with_the_search(client, trainer, two_trainers_clients):
    client.force_login(trainer)

    assert listed(client, "club:client-list", q="ivan") == []
    assert listed(client, "club:client-list", q="ivan", clients="all") == ["Ivan Petrov"]
    assert "Show all clients" in client.get(reverse("club:client-list"), {"q": "ivan"}).content.decode()


def test_an_admin_sees_every_client_and_no_my_clients_choice(client, admin_user, two_trainers_clients):
    client.force_login(admin_user)

    assert sorted(listed(client, "club:client-list")) == ["Ivan Petrov", "Olga Sidorova"]
    assert len(listed(client, "training:training-list")) == 2
    assert "My clients" not in client.get(reverse("club:client-list")).content.decode()


def option_values(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html)


def test_the_training_forms_client_picker_lists_at_most_20_and_still_takes_any_client(client, trainer):
    clients = [ClientFactory(last_name=f"Member{n:02d}") for n in range(30)]
    far = clients[-1]  # Member29: not among the first 20 by name
    client.force_login(trainer)

    form = client.get(reverse("training:training-create")).content.decode()
    picker = form[form.index('name="client"') :]
    picker = picker[: picker.index("</select>")]
    assert len(option_values(picker)) == 20
    assert str(far.pk) not in option_values(picker)
    assert 'hx-get="/dashboard/client-options/?value=client"' in form

    response = client.post(
        reverse("training:training-create"),
        {"client": far.pk, "title": "Push day", "duration_min": 45, "date": "2026-11-20"}
        | {"rows-TOTAL_FORMS": 0, "rows-INITIAL_FORMS": 0, "rows-MAX_NUM_FORMS": 50},
    )

    assert response.status_code == 302
    training = Training.objects.get(title="Push day")
    assert training.client == far
    # Editing it lists its client although it is not among the first 20.
    edit = client.get(reverse("training:training-edit", args=[training.pk])).content.decode()
    assert f'<option value="{far.pk}" selected>' in edit


def test_the_client_search_answers_at_most_20_matches_the_trainers_own_first(client, trainer):
    for n in range(25):
        ClientFactory(first_name="Anna", last_name=f"Member{n:02d}")
    own = ClientFactory(first_name="Anna", last_name="Zolotova", trainer=trainer)
    ClientFactory(first_name="Boris", last_name="Other")
    client.force_login(trainer)

    by_client = client.get(reverse("training:client-options"), {"q": "anna", "value": "client"}).content.decode()
    by_user = client.get(reverse("training:client-options"), {"q": "zolot", "value": "user"}).content.decode()
    nothing = client.get(reverse("training:client-options"), {"q": "nobody"}).content.decode()

    values = option_values(by_client)
    assert len(values) == 20
    assert values[0] == str(own.pk)  # the trainer's own client first
    assert "Choose one of the first 20 matches" in by_client
    assert "type more of the name or phone" in by_client
    assert option_values(by_user) == [str(own.user_id)]
    assert "Zolotova Anna" not in by_user
    assert "Anna Zolotova · @" in by_user
    assert option_values(nothing) == []
    assert "No client matches" in nothing


def test_the_client_search_is_for_staff_only(client, client_user):
    client.force_login(client_user)

    assert client.get(reverse("training:client-options"), {"q": "a"}).status_code == 403


def test_the_plan_forms_client_picker_is_bounded_too(client, trainer):
    for n in range(25):
        ClientFactory(last_name=f"Member{n:02d}")
    client.force_login(trainer)

    form = client.get(reverse("training:plan-create")).content.decode()
    picker = form[form.index('name="user"') :]
    picker = picker[: picker.index("</select>")]

    assert len(option_values(picker)) == 20
    assert Client.objects.count() == 25


def test_a_client_a_trainer_signs_up_is_theirs_unless_they_pick_another(client, trainer):
    client.force_login(trainer)

    form = client.get(reverse("club:client-create")).context["form"]

    assert form["trainer"].value() == trainer.pk
