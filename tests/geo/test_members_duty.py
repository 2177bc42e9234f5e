"""Duty hours: the spec is read strictly and ``on_duty`` honours days, overnight shifts and zone."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gridhub.config import ConfigError, load_settings
from gridhub.geo.duty import DutySpecError, on_duty, parse_duty

SHANGHAI = timezone(timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-11-23 is a Monday: day 0 = Monday … 6 = Sunday, Shanghai wall clock."""
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=SHANGHAI)


def test_always_and_empty_mean_every_hour():
    for spec in ("always", "ALWAYS", " "):
        assert all(on_duty(spec, at(day, hour)) for day in range(7) for hour in range(24))


def test_daily_window_includes_start_excludes_end():
    assert not on_duty("08:00-18:00", at(2, 7, 59))
    assert on_duty("08:00-18:00", at(2, 8, 0))
    assert on_duty("08:00-18:00", at(2, 17, 59))
    assert not on_duty("08:00-18:00", at(2, 18, 0))


def test_weekdays_only():
    spec = "mon-fri 08:00-18:00"
    assert on_duty(spec, at(0, 9)) and on_duty(spec, at(4, 9))
    assert not on_duty(spec, at(5, 9)) and not on_duty(spec, at(6, 9))


def test_overnight_shift_runs_into_next_morning():
    spec = "22:00-06:00"
    assert on_duty(spec, at(1, 23, 30))
    assert on_duty(spec, at(2, 3, 0))
    assert not on_duty(spec, at(2, 6, 0))
    assert not on_duty(spec, at(2, 12, 0))
    assert not on_duty(spec, at(2, 21, 59))


def test_overnight_shift_belongs_to_the_day_it_starts():
    spec = "fri 22:00-06:00"
    assert on_duty(spec, at(4, 23))  # Friday night
    assert on_duty(spec, at(5, 2))  # Saturday small hours: Friday's shift
    assert not on_duty(spec, at(4, 2))  # Friday small hours: Thursday had no shift
    assert not on_duty(spec, at(5, 23))


def test_several_entries_whole_days_and_wrapping_ranges():
    spec = "mon-fri 08:00-12:00, sat"
    assert on_duty(spec, at(5, 0)) and on_duty(spec, at(5, 23, 59))
    assert not on_duty(spec, at(6, 10)) and not on_duty(spec, at(0, 13))
    weekend = "fri-mon 20:00-24:00"
    assert on_duty(weekend, at(6, 21)) and on_duty(weekend, at(0, 23, 59))
    assert not on_duty(weekend, at(1, 21)) and not on_duty(weekend, at(0, 0, 30))


def test_time_is_read_in_the_given_zone():
    utc_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    assert not on_duty("08:00-18:00", utc_noon)
    assert on_duty("08:00-18:00", utc_noon, timezone="UTC")
    with pytest.raises(ValueError, match="aware"):
        on_duty("08:00-18:00", datetime(2026, 11, 23, 12, 0))


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("8-18", "cannot read '8-18'"),
        ("mon-fry 08:00-18:00", "unknown day 'fry'"),
        ("25:00-26:00", "25:00 is not a time of day"),
        ("08:60-09:00", "08:60 is not a time of day"),
        ("08:00-08:00", "starts and ends at the same time"),
        ("always, 08:00-09:00", "'always' cannot be combined"),
        ("08:00-18:00,", "empty entry"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(spec, reason):
    with pytest.raises(DutySpecError, match=reason) as caught:
        parse_duty(spec)
    assert repr(spec) in str(caught.value)


def test_the_duty_time_zone_setting_is_validated(tmp_path):
    assert load_settings(data_dir=tmp_path).timezone == "Asia/Shanghai"
    assert load_settings(data_dir=tmp_path, timezone="Asia/Urumqi").timezone == "Asia/Urumqi"
    with pytest.raises(ConfigError, match=r"GRIDHUB_TIMEZONE \[timezone\]: .*IANA time zone"):
        load_settings(data_dir=tmp_path, timezone="Mars/Olympus")
