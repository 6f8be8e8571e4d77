"""Russian is shipped complete: every string of the code has a translation, and the compiled catalogs
(committed, so `make run` needs no gettext) say what their .po sources say.

The first test extracts the strings as `make messages` does, into a copy of the project, so the
working tree is left alone: a string added without a translation shows up there as an empty or fuzzy
entry of whichever catalog (the root one or an app's own) it belongs to.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LANGUAGE = "ru"
# What makemessages and compilemessages need; msgfmt only for the .mo files `make messages` writes.
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")
# The Makefile's I18N_IGNORE: other people's code and generated files.
IGNORED = (".venv", "staticfiles", "build", "node_modules", "media", "static/vendor", "docs")
NOT_COPIED = (".venv", ".git", "staticfiles", "build", "media", "node_modules", "docs", "keys", "__pycache__")


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    plural: str | None = None
    translations: list[str] = field(default_factory=list)
    fuzzy: bool = False

    @property
    def label(self) -> str:
        return f"[{self.context}] {self.msgid}" if self.context else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (no header, no obsolete `#~` ones)."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, str] = {}
        fuzzy = False
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line):
                key = match.group(1)
                fields[key] = _unquote(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += _unquote(line)
        if fields.get("msgid"):
            translations = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            context, plural = fields.get("msgctxt"), fields.get("msgid_plural")
            entries.append(Entry(fields["msgid"], context, plural, translations, fuzzy))
    return entries


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), match.group(0)), quoted[1:-1])


def catalogs(root: Path) -> list[Path]:
    """Every Russian .po under `root`: the root locale/ and each app's own."""
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in NOT_COPIED]
        if Path(directory).parts[-3:] == (LANGUAGE, "LC_MESSAGES") or directory.endswith(f"{LANGUAGE}/LC_MESSAGES"):
            found += [Path(directory) / name for name in files if name.endswith(".po")]
    return sorted(found)


def untranslated(path: Path) -> list[str]:
    return [entry.label for entry in read_po(path) if entry.fuzzy or not all(entry.translations)]


def require_gettext() -> None:
    absent = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if absent:
        reason = f"GNU gettext is not installed ({', '.join(absent)} not found): apt-get install gettext"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A copy of the project whose catalogs `makemessages` has just refreshed from the code."""
    require_gettext()
    copy = tmp_path_factory.mktemp("project") / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED, "*.png", "db.sqlite3*"))
    ignore = [f"--ignore={pattern}" for pattern in IGNORED]
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--locale", LANGUAGE, "--no-obsolete", "-d", domain, *ignore],
            cwd=copy,
            check=True,
            capture_output=True,
        )
    return copy


@pytest.mark.slow
def test_every_string_of_the_code_has_a_russian_translation(extracted):
    missing = {
        str(path.relative_to(extracted)): entries for path in catalogs(extracted) if (entries := untranslated(path))
    }

    assert missing == {}, "run `make messages`, then translate these (docs/i18n.md)"


@pytest.mark.slow
def test_extraction_writes_no_catalog_that_is_not_committed(extracted):
    assert [path.relative_to(extracted) for path in catalogs(extracted)] == [
        path.relative_to(ROOT) for path in catalogs(ROOT)
    ]


def test_the_committed_catalogs_are_complete():
    assert catalogs(ROOT), "no Russian catalog found"
    assert {str(path.relative_to(ROOT)): untranslated(path) for path in catalogs(ROOT)} == {
        str(path.relative_to(ROOT)): [] for path in catalogs(ROOT)
    }


def test_each_compiled_catalog_says_what_its_source_says():
    for source in catalogs(ROOT):
        compiled = source.with_suffix(".mo")
        assert compiled.exists(), f"{compiled.relative_to(ROOT)} is missing: run `make compilemessages`"
        with compiled.open("rb") as file:
            catalog = {key: value for key, value in gettext.GNUTranslations(file)._catalog.items() if key != ""}
        expected = {}
        for entry in read_po(source):
            if entry.fuzzy or not all(entry.translations):
                continue
            key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
            if entry.plural is None:
                expected[key] = entry.translations[0]
            else:
                expected.update({(key, n): text for n, text in enumerate(entry.translations)})
        assert catalog == expected, f"{compiled.relative_to(ROOT)} is stale: run `make compilemessages`"
