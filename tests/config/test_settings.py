"""Settings precedence, origins, masking and one-line errors (issue 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import key_lines, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_no_file(tmp_path):
    s = load_settings(tmp_path / "absent.toml", env={})
    assert s.crf == 18
    assert s.values["crf"].origin == "default"
    assert s.chunk_size == 8 * 1024 * 1024
    assert s.journal_path == s.data_path / "journal.sqlite"


def test_precedence_flag_over_env_over_file(tmp_path):
    path = write(tmp_path, "preset = 'slow'\ncrf = 20\n")
    assert load_settings(path, env={}).values["crf"].value == 20
    s = load_settings(path, env={"CAPSULE_CRF": "22"})
    assert (s.crf, s.values["crf"].origin) == (22, "env:CAPSULE_CRF")
    s = load_settings(path, env={"CAPSULE_CRF": "22"}, overrides=[("crf", "24", "flag:--crf")])
    assert (s.crf, s.values["crf"].origin) == (24, "flag:--crf")
    assert s.values["preset"].origin == f"file:{path}:1"


def test_file_origin_names_line(tmp_path):
    path = write(tmp_path, "# comment\n\ncrf = 19\n[channels.main]\napi_key = 'k'\n")
    s = load_settings(path, env={})
    assert s.values["crf"].origin == f"file:{path}:3"
    assert s.channels["main"]["api_key"].origin == f"file:{path}:5"


def test_channels_from_file_and_env(tmp_path):
    path = write(tmp_path, "[channels.main]\nclient_secrets = '/x/cs.json'\n")
    s = load_settings(path, env={"CAPSULE_CHANNELS__MAIN__API_KEY": "abc",
                                 "CAPSULE_DATA_DIR": str(tmp_path)})
    ch = s.channel("main")
    assert ch.client_secrets == Path("/x/cs.json")
    assert ch.api_key == "abc"
    assert ch.token_file == tmp_path / "tokens" / "main.json"
    with pytest.raises(ConfigError, match=r"unknown channel 'other' \(configured: main\)"):
        s.channel("other")


def test_default_channel_exists_without_configuration(tmp_path):
    s = load_settings(tmp_path / "absent.toml", env={})
    assert s.channel().name == "default"


def test_unknown_key_names_file_line_and_key(tmp_path):
    path = write(tmp_path, "crf = 18\ncrff = 20\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == f"{path}:2: unknown key 'crff' (did you mean 'crf'?)"
    assert (info.value.line, info.value.key) == (2, "crff")


def test_invalid_value_names_file_line_and_key(tmp_path):
    path = write(tmp_path, "crf = 99\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == f"{path}:1: crf: expected a whole number from 1 to 51, got 99"


def test_chunk_size_must_be_multiple_of_256k(tmp_path):
    path = write(tmp_path, "chunk_size = 1000000\n")
    with pytest.raises(ConfigError, match="multiple of 262144"):
        load_settings(path, env={})


def test_invalid_toml_is_one_line(tmp_path):
    path = write(tmp_path, "crf = 18\npreset = slow\ntimeout = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert message.startswith(f"{path}:2: invalid TOML: ")
    assert "(key 'preset')" in message
    assert "\n" not in message


def test_bad_env_value_names_variable():
    with pytest.raises(ConfigError) as info:
        load_settings(Path("/nonexistent/config.toml"), env={"CAPSULE_TIMEOUT": "soon"})
    assert str(info.value) == ("timeout: expected a number, got 'soon' "
                               "(from environment variable CAPSULE_TIMEOUT)")


def test_unknown_channel_key(tmp_path):
    path = write(tmp_path, "[channels.main]\napi_kee = 'x'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == (f"{path}:2: unknown key 'channels.main.api_kee' "
                               "(did you mean 'api_key'?)")


def test_key_lines_handles_tables_and_quotes():
    text = 'a = 1\n[channels."main"]\n"api_key" = "x"\n[t]\nb.c = 2\n'
    assert key_lines(text) == {"a": 1, "channels.main": 2, "channels.main.api_key": 3,
                               "t": 4, "t.b.c": 5}


def test_unterminated_string_at_end_names_last_line(tmp_path):
    path = write(tmp_path, "crf = 18\npreset = 'slow\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value).startswith(f"{path}:2: invalid TOML: ")
