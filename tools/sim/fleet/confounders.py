# confounders: ordinary life that looks like misuse to a card-only system, each a rate.
# SPDX-License-Identifier: MIT
"""What ordinary residents and their guests do that a naive detector mistakes for subletting.
Every rate is a field of ``Confounders`` (defaults: what the world does unless told otherwise;
docs/fleet.md, "Confounders", says where each number comes from). ``Confounders.none()`` is the
world without them (the first world, written to match the first detector).

The generator shares nothing with the detector but the wire format: these numbers describe
people, not thresholds (a test checks that no generator module imports the detector).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Confounders:
    # Regular visitors per rusun (at the full 13,731 residents; a smaller world has fewer):
    # family living elsewhere, partners, carers. Each visits one
    # flat with the same card of their own (a bank or transport card), a carer daily on
    # weekdays, a visitor on 1-4 days a week, and taps in and out.
    regular_visitors_per_rusun: float = 5
    carer_share: float = 0.2  # of the regular visitors
    visitors_registered_share: float = 0.5  # known to the office (registered visitor or carer)
    # Registered residents with kin at another rusun they visit 2-4 times a month (mostly at
    # weekends), tapping there too out of habit; a quarter of the visits are overnight.
    kin_share: float = 0.01
    kin_visits_per_30d: tuple[int, int] = (2, 4)
    kin_overnight_share: float = 0.25
    # Workers and students who leave at the same minute every weekday (a factory bus, a
    # school gate that closes): their own spread is seconds, not minutes.
    punctual_share: float = 0.05
    # Unregistered residents who tap their (unknown) card anyway, on their own routine, until
    # they enrol.
    unregistered_tap_share: float = 0.10
    # Households away for a week (a family event, a village visit): per household and day the
    # chance a trip of 6-12 days starts; a share of them declare it (izin) to the office.
    week_away_rate: float = 0.0005
    week_away_days: tuple[int, int] = (6, 12)
    izin_share: float = 0.3  # of trips of three days or more, declared as izin
    # Workers on rotating shifts (06-14, 14-22, 22-06), changing shift every week.
    shift_share: float = 0.10
    # People change routine for good (a new job, a new school): per resident and day.
    routine_change_rate: float = 1 / 3000  # about 1 % of residents in any 30 days
    # A member leaves the household for good (marriage, work elsewhere, back to the village):
    # per registered resident and day; a share of the departures is reported (moved out).
    member_leaves_rate: float = 1 / 7500  # about 0.4 % in any 30 days, 5 % a year
    leaving_reported_share: float = 0.5
    # A resident stops tapping for good (card lost or broken and not replaced, or just stops
    # bothering), per registered resident and day.
    stops_tapping_rate: float = 1 / 6000  # about 0.5 % in any 30 days

    @classmethod
    def none(cls) -> Confounders:
        """No confounders at all: every rate zero."""
        zero = {}
        for f in fields(cls):
            value = getattr(cls(), f.name)
            if f.name in ("kin_visits_per_30d", "week_away_days"):
                continue
            zero[f.name] = 0 * value
        return cls(**zero)

    def only(self, *names: str) -> Confounders:
        """This world with only the named confounder groups on (``GROUPS``), for ablations."""
        keep = {f for g in names for f in GROUPS[g]}
        off = Confounders.none()
        return Confounders(
            **{f.name: getattr(self if f.name in keep else off, f.name) for f in fields(self)}
        )


# The confounders by group (the bench's ablation switches them on one group at a time).
GROUPS: dict[str, tuple[str, ...]] = {
    "visitors": ("regular_visitors_per_rusun", "carer_share", "visitors_registered_share"),
    "kin": ("kin_share", "kin_visits_per_30d", "kin_overnight_share"),
    "punctual": ("punctual_share",),
    "unregistered_tappers": ("unregistered_tap_share",),
    "week_away": ("week_away_rate", "week_away_days", "izin_share"),
    "shift_workers": ("shift_share",),
    "routine_change": ("routine_change_rate",),
    "members_leave": ("member_leaves_rate", "leaving_reported_share"),
    "stop_tapping": ("stops_tapping_rate",),
}
