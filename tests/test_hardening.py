"""The smaller findings of issue 11 item 8: the demo in production, the testing environment,
guessable secrets, the SQLite file's mode, and CSV cells that become formulas."""

import csv
import io
import os
import stat

import pytest
from sqlalchemy import text

from outreach import csvsafe
from outreach.config import ConfigurationError, secret_bits
from outreach.db import db
from tests.conftest import make_app

STRONG_KEY = "kQ3v9Xb2LmN8pR5tW7yZ1cE4gJ6hK0sD-uF_aB"


# --- flask demo ----------------------------------------------------------------------------


def test_demo_refuses_a_production_instance_without_i_know(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "OUTREACH_ENV", "production")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "--i-know" in result.output and "production" in result.output
    assert db.session.execute(text("select count(*) from users")).scalar() == 0


# --- the testing environment and the secret ---------------------------------------------------


def test_the_testing_environment_is_for_the_test_suite_only(tmp_path):
    with pytest.raises(ConfigurationError, match="test suite only"):
        make_app("sqlite:///" + str(tmp_path / "never.sqlite3"), TEST_SUITE=False)


@pytest.mark.parametrize(
    "secret_key",
    ["a" * 32, "ab" * 20, "password" * 5, "0123456789" * 4],
    ids=["32 a", "ab repeated", "a word repeated", "digits repeated"],
)
def test_production_refuses_a_guessable_secret_of_32_characters_or_more(tmp_path, secret_key):
    with pytest.raises(ConfigurationError, match="guessable"):
        make_app(
            "sqlite:///" + str(tmp_path / "never.sqlite3"),
            OUTREACH_ENV="production",
            SECRET_KEY=secret_key,
        )


def test_a_random_secret_has_far_more_than_the_bits_required():
    import secrets

    from outreach.config import MIN_SECRET_BITS

    assert secret_bits(secrets.token_urlsafe(32)) > MIN_SECRET_BITS + 30
    assert secret_bits(STRONG_KEY) > MIN_SECRET_BITS


# --- the SQLite file -------------------------------------------------------------------------


def test_the_sqlite_file_and_its_wal_are_readable_by_their_owner_only(tmp_path):
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "mode.sqlite3"
        app = make_app("sqlite:///" + str(path))
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(text("create table t (x integer)"))
                connection.execute(text("insert into t values (1)"))
            files = [p for p in tmp_path.iterdir() if p.name.startswith("mode.sqlite3")]
            assert {p.name for p in files} >= {"mode.sqlite3", "mode.sqlite3-wal"}
            modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert set(modes.values()) == {"0o600"}, modes


# --- CSV -------------------------------------------------------------------------------------


def split_as(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_cell_starts_a_formula_whichever_separator_the_reader_splits_on(delimiter):
    data = csvsafe.to_csv(
        [["Item", "N"], ["Glide;=1+1", 3], ["a,@SUM(A1)", 1], ["x\t-2+3", 2], ['q;"=1', 0]]
    )
    for row in split_as(data, delimiter):
        for cell in row:
            assert not cell.lstrip(' "').startswith(csvsafe.FORMULA_START), (delimiter, cell)


def test_a_field_with_any_separator_is_quoted_and_reads_back_whole():
    data = csvsafe.to_csv([["Glide;=1+1", "a,b", "c\td", 'say "hi"', 4, 2.5, None]])
    assert split_as(data, ",") == [["Glide;'=1+1", "a,b", "c\td", 'say "hi"', "4", "2.5", ""]]


def test_the_report_csv_quotes_a_label_with_a_semicolon(app):
    from outreach.reports import exports

    table = exports.Table("t", "T", ["Item", "N"], [["Glide;=1+1", 1]])
    data = exports.to_csv(table, []).decode("utf-8-sig")
    assert '"Glide;\'=1+1"' in data
    assert all(not c.startswith("=") for row in split_as(data.encode(), ";") for c in row)


def test_the_clinic_import_example_is_written_by_the_same_helper():
    from outreach.clinics.csv_import import example_csv

    rows = split_as(example_csv(";"), ";")
    assert rows[0][0] and len({len(r) for r in rows}) == 1


# --- the scanners (item 10) -------------------------------------------------------------------


def test_bandit_finds_nothing_unreviewed_in_the_application():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    bandit = Path(sys.executable).with_name("bandit")
    result = subprocess.run(
        [str(bandit), "-q", "-r", "outreach"], cwd=root, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_travel_model_opens_only_http_urls():
    from outreach.routing.travel import OsrmUnavailable, _http_get_json

    with pytest.raises(OsrmUnavailable):
        _http_get_json("file:///etc/passwd", timeout=1)
