"""audit.yaml: unknown keys are refused with their path, relative paths resolve against the file."""

from pathlib import Path

import pytest

from auditbridge.config import load_config
from auditbridge.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "audit.yaml"
    path.write_text(text)
    return path


def test_minimal_config_and_relative_paths(tmp_path):
    cfg = load_config(write(tmp_path, "name: acme\nsources:\n  tickets: data/t.csv\n  licences: lic.csv\n"))
    assert cfg.sources.tickets[0].path == "data/t.csv"
    assert cfg.resolve("data/t.csv") == str(tmp_path / "data" / "t.csv")
    assert cfg.resolve("s3://bucket/x") == "s3://bucket/x"
    assert cfg.languages == ["fr", "en"]
    assert cfg.adoption.min_group_size == 5


def test_unknown_keys_named_by_path(tmp_path):
    path = write(
        tmp_path, "name: acme\nsources:\n  tickets:\n    - path: t.csv\n      formt: glpi\npublsh: {}\n"
    )
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    text = str(exc.value)
    assert "sources.tickets[0].formt: unknown key" in text
    assert "publsh: unknown key" in text
    assert str(path) in text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name: Acme Corp\nsources: {}\n", "name"),
        ("name: acme\nsources: {}\ntimezone: Mars/Olympus\n", "unknown timezone"),
        ("name: acme\nsources: {}\nlanguages: [de]\n", "languages[0]"),
        ("name: acme\n", "sources"),
        ("- just\n- a list\n", "mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_values_are_explained(tmp_path, body, expected):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, body))
    assert expected in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_run_config_from_argument_then_environment(tmp_path, monkeypatch):
    from auditbridge.config import load_run_config

    env_cfg = write(tmp_path, "name: from-env\nsources: {}\n")
    other = tmp_path / "other"
    other.mkdir()
    arg_cfg = write(other, "name: from-arg\nsources: {}\n")
    monkeypatch.setenv("AUDITBRIDGE_CONFIG", str(env_cfg))
    assert load_run_config("").name == "from-env"
    assert load_run_config(str(arg_cfg)).name == "from-arg"
