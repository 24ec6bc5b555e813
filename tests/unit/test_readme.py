"""The README and .env.example document the settings the code reads."""

import re
from pathlib import Path

from helpline import config

ROOT = Path(__file__).resolve().parents[2]


def names(text: str) -> set[str]:
    return set(re.findall(r"\bHELPLINE_[A-Z_]+[A-Z]\b", text))


def test_env_example_and_readme_list_the_same_settings():
    readme_table = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("## Configure")[1]
    readme_table = readme_table.split("## ")[0]
    example = names(ROOT.joinpath(".env.example").read_text(encoding="utf-8"))
    assert names(readme_table) == example


def test_every_documented_setting_exists():
    from callbacks import settings

    defaults = {f"HELPLINE_{k}" for k in [*dir(config), *settings.DEFAULTS] if k.isupper()}
    example = names(ROOT.joinpath(".env.example").read_text(encoding="utf-8"))
    assert example <= defaults, example - defaults


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
