# Terminal alarm rules (service_dashboard.alarms) at their boundaries.
# SPDX-License-Identifier: MIT
from firmware import wire
from sync.service import dashboard

NOW = 1796095800  # Selasa 1 Desember 2026 10.30 WIB
PEAK_END = dashboard.day_start(dashboard.local_day(NOW)) + dashboard.PEAK_END_H * 3600


def _term(**kw):
    base = {"last_seen": NOW - 60, "morning_taps": 40, "storage_per_mille": 100,
            "clock_quality": wire.CLOCK_NTP, "recoveries": 0}  # fmt: skip
    return {**base, **kw}


def test_a_healthy_terminal_raises_nothing():
    assert dashboard.alarms(_term(), NOW, PEAK_END) == []


def test_silent_after_six_hours_or_never_seen():
    assert dashboard.alarms(_term(last_seen=NOW - dashboard.SILENT_AFTER_S), NOW, PEAK_END) == []
    assert dashboard.alarms(
        _term(last_seen=NOW - dashboard.SILENT_AFTER_S - 1), NOW, PEAK_END
    ) == ["silent"]
    assert "silent" in dashboard.alarms(_term(last_seen=None), NOW, PEAK_END)


def test_no_peak_only_once_the_morning_peak_is_over():
    assert dashboard.alarms(_term(morning_taps=0), PEAK_END - 1, PEAK_END) == []
    assert dashboard.alarms(_term(morning_taps=0), PEAK_END, PEAK_END) == ["no_peak"]


def test_storage_clock_and_reader_thresholds():
    assert dashboard.alarms(_term(storage_per_mille=799), NOW, PEAK_END) == []
    assert dashboard.alarms(_term(storage_per_mille=800), NOW, PEAK_END) == ["storage"]
    assert dashboard.alarms(_term(clock_quality=wire.CLOCK_UNSET), NOW, PEAK_END) == ["clock"]
    assert dashboard.alarms(_term(recoveries=9), NOW, PEAK_END) == []
    assert dashboard.alarms(_term(recoveries=10), NOW, PEAK_END) == ["reader"]
