import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_links_every_document_in_docs():
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[\w-]+\.md)\)", readme))
    assert linked == {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
