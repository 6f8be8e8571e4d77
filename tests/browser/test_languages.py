"""The dashboard in Russian in a real Chromium, at desktop and phone width: longer words must still fit.

Screenshots go to build/screenshots/ (git-ignored) to look at: i18n-{login,dashboard}-ru-{1280,390}.png.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import TrainerFactory
from club.tests.factories import ClientFactory, MembershipFactory
from tests.browser.support import DESKTOP, PHONE_390
from training.tests.factories import TrainingFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
SCREENSHOTS = Path(settings.BASE_DIR) / "build" / "screenshots"
# Every button, button-like link, nav link, badge and pill shows its whole label: nothing is clipped or
# spills out of its box. The nav itself may scroll sideways on a phone (by design), the page may not.
NOTHING_CLIPPED = """() => {
  const boxes = [...document.querySelectorAll('button, .button, .nav a, .badge, .pill, .card .label')]
    .filter(element => element.offsetParent !== null);
  const clipped = boxes.filter(element => element.scrollWidth > element.clientWidth + 1
    || element.scrollHeight > element.clientHeight + 1 && getComputedStyle(element).overflow !== 'visible');
  const sideways = document.documentElement.scrollWidth > window.innerWidth;
  return {clipped: clipped.map(element => element.textContent.trim()), sideways: sideways};
}"""


@pytest.fixture
def russian_trainer():
    trainer = TrainerFactory(username="trener", language="ru")
    member = ClientFactory(first_name="Ольга", last_name="Сидорова", membership=MembershipFactory(), trainer=trainer)
    TrainingFactory(client=member, title="День ног", date=timezone.localdate(), duration_min=50)
    WorkoutSessionFactory(user=member.user, total_reps=30)
    return trainer


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_390], ids=["1280px", "390px"])
def test_the_russian_dashboard_fits_at_desktop_and_phone_width(server, browser, problems, russian_trainer, viewport):
    # A Russian browser: the login page is Russian before anyone signs in.
    context = browser.new_context(viewport=viewport, locale="ru-RU", reduced_motion="reduce")
    page = problems.watch(context.new_page())
    page.goto(f"{server.url}/login/?next=/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"i18n-login-ru-{viewport['width']}.png", full_page=True)
    assert page.evaluate(NOTHING_CLIPPED) == {"clipped": [], "sideways": False}
    page.get_by_label("Имя пользователя").fill("trener")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{server.url}/dashboard/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Сегодня в клубе")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Новый клиент")).to_be_visible()
    layout = page.evaluate(NOTHING_CLIPPED)
    page.screenshot(path=SCREENSHOTS / f"i18n-dashboard-ru-{viewport['width']}.png", full_page=True)
    assert layout == {"clipped": [], "sideways": False}

    # The switcher in the header, reachable at this width: English, saved on the account, then back.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today at a glance")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Сегодня в клубе")
    expect(page.get_by_role("button", name="Русский")).to_have_attribute("aria-pressed", "true")
    context.close()
    assert problems.found == []
