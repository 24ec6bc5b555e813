"""The README and .env.example document the settings the code reads."""

import re
from pathlib import Path

from core import settings

ROOT = Path(__file__).resolve().parents[2]


def names(text: str) -> set[str]:
    return set(re.findall(r"\bHELPLINE_[A-Z_]+[A-Z]\b", text))


def test_env_example_and_readme_list_the_same_settings():
    readme_table = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Configure")[1]
    readme_table = readme_table.split("## ")[0]
    example = names(ROOT.joinpath(".env.example").read_text(encoding="utf-8"))
    assert names(readme_table) == example


def test_every_documented_setting_exists():
    defaults = {d.variable for d in settings.documented()}
    example = names(ROOT.joinpath(".env.example").read_text(encoding="utf-8"))
    assert example <= defaults, example - defaults


def test_readme_table_lists_every_setting_and_nothing_else():
    readme_table = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Configure")[1]
    rows = re.findall(r"^\| `(HELPLINE_[A-Z_]+)` \|", readme_table.split("## ")[0], re.MULTILINE)
    assert len(rows) == len(set(rows))  # each variable once
    assert set(rows) == {d.variable for d in settings.documented()}


def test_every_setting_has_its_meaning():
    documented = list(settings.documented())
    assert len(documented) > 40
    assert all(d.doc.strip() for d in documented), [d.key for d in documented if not d.doc]
    # the derived token is a setting but not a variable
    assert "WEBHOOK_AUTH_TOKEN" in settings.keys()
    assert "HELPLINE_WEBHOOK_AUTH_TOKEN" not in {d.variable for d in documented}


def test_ci_runs_the_readme_test_command():
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    command = re.search(r"## Test\s+```sh\n(.+?)\n```", readme).group(1).strip()
    assert command in ROOT.joinpath(".ci/run").read_text(encoding="utf-8")


def test_readme_names_every_system_package_ci_installs():
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Requirements")[1]
    named = set(re.findall(r"`([a-z0-9][a-z0-9.+\-]+)`", readme.split("## ")[0]))
    script = ROOT.joinpath(".ci/run").read_text(encoding="utf-8")
    installed = set(re.search(r"^packages=\(([^)]*)\)", script, re.MULTILINE).group(1).split())
    assert installed and installed <= named, installed - named
