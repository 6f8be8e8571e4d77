"""Each app's Russian catalog is complete and its compiled `.mo` is the one the `.po` builds.

A new string wrapped in gettext but not extracted is caught by the root catalog's missing-translation
test; here, an extracted string left untranslated or fuzzy (which gettext ignores) fails, and so does a
`.po` edited without running `compilemessages`.
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

APPS = ["core", "accounts", "club", "training", "workouts", "reports", "classes", "attendance"]


def catalog(app: str) -> Path:
    return Path(settings.BASE_DIR) / app / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def entries(po: Path) -> list[str]:
    return [block for block in po.read_text(encoding="utf-8").split("\n\n") if "msgid " in block]


@pytest.mark.parametrize("app", APPS)
def test_every_message_of_the_app_has_a_russian_translation(app):
    blocks = entries(catalog(app))[1:]  # the header's msgstr is its metadata

    untranslated = [block for block in blocks if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', block, re.M)]
    fuzzy = [block for block in blocks if re.search(r"^#,.*\bfuzzy\b", block, re.M)]

    assert blocks
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt")
@pytest.mark.parametrize("app", APPS)
def test_the_committed_mo_is_compiled_from_the_po(app, tmp_path):
    po = catalog(app)
    built = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", built, po], check=True)

    committed = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    fresh = gettext.GNUTranslations(built.open("rb"))

    assert committed._catalog == fresh._catalog
