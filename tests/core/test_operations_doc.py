"""The configuration reference of the operations guide (docs/operations.md in Chinese,
docs/operations.en.md in English) lists every environment variable settings.py reads, with
its default: a variable added to the settings without a line in both guides fails here."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "src" / "bangban" / "config" / "settings.py"
GUIDES = {
    ROOT / "docs" / "operations.md": "配置参考",
    ROOT / "docs" / "operations.en.md": "Configuration reference",
}
# django-environ's readers: env.str("NAME", default=…) and the like.
READERS = {"str", "int", "bool", "list", "dict", "float", "json", "url", "db_url", "cache_url"}
NO_DEFAULT = object()
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|(.*)$")


def settings_variables(source: str) -> dict[str, object]:
    """Each variable settings.py reads, with its default when that is a literal
    (NO_DEFAULT when there is none or it is computed, e.g. a path under VAR_DIR)."""
    found: dict[str, object] = {}
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in READERS
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            continue
        default = NO_DEFAULT
        for keyword in node.keywords:
            if keyword.arg == "default":
                try:
                    default = ast.literal_eval(keyword.value)
                except ValueError:
                    default = NO_DEFAULT
        found[node.args[0].value] = default
    return found


def shown(default: object) -> str | None:
    """How the guide writes a literal default (None: nothing to compare, e.g. an empty one)."""
    if default is NO_DEFAULT or default in ("", [], {}):
        return None
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, float):
        return f"{default:g}"
    if isinstance(default, list):
        return ",".join(str(item) for item in default)
    return str(default)


def reference_rows(text: str, heading: str) -> dict[str, str]:
    """The table rows of the guide's configuration reference: variable → rest of its row."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("## ") and heading in line]
    assert len(starts) == 1, f"one '## … {heading}' section expected, found {len(starts)}"
    rows: dict[str, str] = {}
    for line in lines[starts[0] + 1 :]:
        if line.startswith("## "):
            break
        if match := ROW.match(line):
            rows[match.group(1)] = match.group(2)
    return rows


def problems(variables: dict[str, object], rows: dict[str, str]) -> list[str]:
    found = []
    for name, default in sorted(variables.items()):
        if name not in rows:
            found.append(f"{name}: missing")
        elif (text := shown(default)) is not None and f"`{text}`" not in rows[name]:
            found.append(f"{name}: default `{text}` not in its row")
    stale = sorted(rows.keys() - variables.keys())
    found += [f"{name}: listed, but settings.py does not read it" for name in stale]
    return found


def test_the_parser_finds_the_settings_variables():
    variables = settings_variables(SETTINGS.read_text())
    # Every kind of reader, so that a parser gone blind cannot pass the test below vacuously.
    assert variables["SECRET_KEY"] is NO_DEFAULT
    assert variables["DEBUG"] is False
    assert variables["BANGBAN_SCAN_MAX_MB"] == 10
    assert variables["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert variables["BANGBAN_SMS_TEMPLATES"] == {}
    assert variables["BANGBAN_SMS_TIMEOUT"] == 10.0
    assert variables["DATABASE_URL"] is NO_DEFAULT  # a path under VAR_DIR
    assert variables["BANGBAN_CACHE_URL"] == "locmemcache://"
    assert len(variables) >= 45


def test_every_setting_is_in_both_guides_with_its_default():
    variables = settings_variables(SETTINGS.read_text())
    for guide, heading in GUIDES.items():
        found = problems(variables, reference_rows(guide.read_text(), heading))
        assert not found, f"{guide.relative_to(ROOT)}, {heading}:\n" + "\n".join(found)


def test_the_check_tells_a_missing_or_wrong_line():
    variables = {"BANGBAN_A": 5, "BANGBAN_B": NO_DEFAULT, "BANGBAN_C": True}
    text = "\n".join(
        [
            "## 9. Configuration reference",
            "| Variable | Default | Meaning |",
            "|---|---|---|",
            "| `BANGBAN_A` | `6` | a number |",
            "| `BANGBAN_C` | `true` | a flag |",
            "| `BANGBAN_OLD` | `1` | gone |",
            "## 10. Next",
            "| `BANGBAN_B` | — | outside the section: does not count |",
        ]
    )
    assert problems(variables, reference_rows(text, "Configuration reference")) == [
        "BANGBAN_A: default `5` not in its row",
        "BANGBAN_B: missing",
        "BANGBAN_OLD: listed, but settings.py does not read it",
    ]
