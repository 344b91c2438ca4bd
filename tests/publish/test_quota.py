"""The quota ledger: costs per pool, Pacific days, refusing what the day cannot finish."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from publish.cli import main
from publish.cli.errors import exit_code_for
from publish.errors import QuotaExhausted
from publish.journal import Journal
from publish.youtube import quota


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.sqlite") as j:
        yield j


def test_published_costs_and_pools():
    assert quota.cost("videos.insert") == ("uploads", 1)
    assert quota.cost("captions.insert") == ("default", 400)
    assert quota.cost("captions.update") == ("default", 450)
    assert quota.cost("thumbnails.set") == ("default", 50)
    assert quota.cost("videos.batchGetStats") == ("batch_stats", 1)
    assert quota.cost("videos.list") == ("default", 1)
    assert quota.estimate(["videos.insert", "captions.insert", "captions.insert",
                           "thumbnails.set"]) == {"uploads": 1, "default": 850}


def test_pacific_day_changes_at_midnight_los_angeles():
    assert quota.pacific_day(datetime(2026, 11, 29, 7, 59, tzinfo=UTC)) == "2026-11-28"
    assert quota.pacific_day(datetime(2026, 11, 29, 8, 0, tzinfo=UTC)) == "2026-11-29"


def test_charges_are_counted_per_pool_and_day(journal):
    quota.charge(journal, "videos.insert")
    quota.charge(journal, "captions.insert", status="400")  # failed calls cost too
    quota.charge(journal, "videos.list", at=datetime(2026, 1, 1, 12, tzinfo=UTC))
    quota.charge(journal, "videos.insert", status="network")  # never answered: recorded, 0
    assert quota.spent(journal) == {"uploads": 1, "default": 400}
    assert journal.conn.execute("SELECT count(*) FROM api_calls").fetchone()[0] == 4
    assert quota.spent(journal, day="2026-01-01") == {"default": 1}
    rows = {r.pool: r for r in quota.report(journal, {"default": 1000})}
    assert (rows["default"].spent, rows["default"].remaining) == (400, 600)
    assert (rows["uploads"].limit, rows["uploads"].remaining) == (100, 99)


def test_refuses_what_the_day_cannot_finish(journal):
    for _ in range(24):
        quota.charge(journal, "captions.insert")  # 9,600 units
    quota.ensure_affordable(journal, {"default": 400})
    with pytest.raises(QuotaExhausted) as err:
        quota.ensure_affordable(journal, {"default": 401, "uploads": 1})
    assert str(err.value) == (
        "today's YouTube quota cannot finish this publication (default needs 401, 400 left of "
        "10000); it resets at midnight Pacific time (run `capsule quota` to see the spend)")
    assert exit_code_for(err.value) == 5


def test_quota_command_json(tmp_path, journal):
    quota.charge(journal, "videos.insert")
    quota.charge(journal, "thumbnails.set")
    config = tmp_path / "config.toml"
    config.write_text("quota_units = 2000\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "quota", "--journal",
                                       str(journal.path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pools = {p["pool"]: p for p in data["pools"]}
    assert pools["default"] == {"pool": "default", "spent": 50, "limit": 2000, "remaining": 1950}
    assert pools["uploads"] == {"pool": "uploads", "spent": 1, "limit": 100, "remaining": 99}
    assert data["day"] == quota.pacific_day()
    text = CliRunner().invoke(main, ["--config", str(config), "quota", "--journal",
                                     str(journal.path)])
    assert "default           50    2000      1950" in text.stdout
