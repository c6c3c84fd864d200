"""Quality metrics on a ticket history built by hand; every expected value is worked out below.

The period is the week Monday 7 – Sunday 13 December 2026 in Chile (UTC-3 in summer).
Tuesday 8 December is a public holiday (Inmaculada Concepción): the business clock
(Mon–Fri 09:00–18:00) is closed that day, as on the weekend.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.config import DEFAULT_SLA
from mailbot.metrics import (
    EscalationRecord,
    EventRecord,
    HeartbeatRecord,
    History,
    MessageRecord,
    Ratio,
    Targets,
    TicketRecord,
    availability,
    compare,
    compute,
    missed_targets,
)
from mailbot.sla import Pause

CL = ZoneInfo("America/Santiago")
SLA = {(tier.value, severity.value): target for (tier, severity), target in DEFAULT_SLA.items()}
START, END = datetime(2026, 12, 7, tzinfo=CL), datetime(2026, 12, 14, tzinfo=CL)
NOW = datetime(2026, 12, 14, 12, 0, tzinfo=CL)  # the Monday after: the whole week is known


def cl(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=CL)


def dec(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return cl(12, day, hour, minute, second)


def reply(ticket: int, at: datetime) -> MessageRecord:
    """The public reply as relayed to the customer: it comes from the mailbox address."""
    return MessageRecord(ticket, at, "out", "agent", False, "soporte@menteautonoma.cl")


def agent_mail(ticket: int, at: datetime, agent: str, internal: bool = False) -> MessageRecord:
    return MessageRecord(ticket, at, "in", "agent", internal, agent)


ANA, LUIS = "ana@menteautonoma.cl", "luis@menteautonoma.cl"

TICKETS = (
    # A, basic/general: received Friday 17:00 (before the week), answered Monday 10:00, resolved Monday 12:00.
    TicketRecord(1, dec(4, 17), "closed", "general", "basic", "soporte", "es", assignee=ANA,
                 first_responded_at=dec(7, 10), resolved_at=dec(7, 12), closed_at=dec(10, 12)),
    # B, basic/important: Monday 17:00, answered Wednesday 10:00 across the holiday, two replies, resolved Wed 16:00.
    TicketRecord(2, dec(7, 17), "resolved", "important", "basic", "soporte", "es", assignee=ANA,
                 first_responded_at=dec(9, 10), resolved_at=dec(9, 16)),
    # C, premium/critical (24/7 clock) to emergencias on Saturday 03:00: answered 04:00 (target 30 min: late),
    # resolved 06:00, reopened by the customer 08:00, resolved again 10:00 (7 h > 4 h: late).
    TicketRecord(3, dec(12, 3), "resolved", "critical", "premium", "emergencias", "es", level=3, assigned_level=3,
                 first_responded_at=dec(12, 4), resolved_at=dec(12, 10)),
    # D, premium/important: Thursday 10:00, never answered (first response due Thu 14:00: missed), escalated to level 2.
    TicketRecord(4, dec(10, 10), "open", "important", "premium", "soporte", "es", level=2, assignee=LUIS),
    # E: spam, never counted.
    TicketRecord(5, dec(10, 11), "spam", "general", "basic", "soporte", "es"),
    # F, basic/critical in English: Wednesday 09:30, answered 09:45, waiting on the customer Wed 10:00 - Thu 10:00,
    # resolved Thursday 11:00.
    TicketRecord(6, dec(9, 9, 30), "resolved", "critical", "basic", "soporte", "en", assignee=LUIS,
                 first_responded_at=dec(9, 9, 45), resolved_at=dec(10, 11),
                 pauses=(Pause(dec(9, 10), dec(10, 10)),)),
    # G, basic/general: all of it the week before (only its late satisfaction answer could leak in: it must not).
    TicketRecord(7, cl(11, 30, 10), "closed", "general", "basic", "soporte", "es",
                 first_responded_at=cl(11, 30, 11), resolved_at=cl(11, 30, 12), closed_at=dec(3, 12)),
    # H, basic/general: Sunday 20:00, still open at the end of the week.
    TicketRecord(8, dec(13, 20), "open", "general", "basic", "soporte", "es"),
)

MESSAGES = (
    MessageRecord(1, dec(4, 17), "in", "customer", False, "cliente@empresa.cl"),
    MessageRecord(1, dec(4, 17, 1), "out", "system", False, "soporte@menteautonoma.cl"),  # the ack: no reply
    agent_mail(1, dec(7, 9, 59), ANA), reply(1, dec(7, 10)),
    agent_mail(2, dec(9, 9, 59), ANA), reply(2, dec(9, 10)),
    agent_mail(2, dec(9, 12), ANA, internal=True),  # a note: never relayed
    agent_mail(2, dec(9, 15, 54), ANA), reply(2, dec(9, 15, 55)),
    agent_mail(3, dec(12, 3, 59), LUIS), reply(3, dec(12, 4)),
    agent_mail(6, dec(9, 9, 44), LUIS), reply(6, dec(9, 9, 45)),
    agent_mail(4, dec(14, 8), LUIS),  # after the week
)

EVENTS = (
    EventRecord(3, dec(12, 8), "reopened"),
    EventRecord(6, dec(9, 10), "paused"), EventRecord(6, dec(10, 10), "customer-replied"),
    *(EventRecord(t, at, "survey-sent") for t, at in ((1, dec(7, 12)), (2, dec(9, 16)), (6, dec(10, 11)),
                                                      (3, dec(12, 10)))),
    EventRecord(1, dec(7, 15), "satisfaction", "5"),
    EventRecord(2, dec(10, 9), "satisfaction", "3"),
    EventRecord(6, dec(11, 9), "satisfaction", "4"),
    EventRecord(7, dec(6, 23, 59), "satisfaction", "5"),  # the week before
    EventRecord(3, dec(14, 9), "satisfaction", "2"),  # the week after
    EventRecord(5, dec(10, 12), "satisfaction", "1"),  # on spam: not counted
)

ESCALATIONS = (
    EscalationRecord(4, "first_response", 1, "warning", dec(10, 13)),
    EscalationRecord(4, "first_response", 2, "escalation", dec(10, 14)),
    EscalationRecord(3, "first_response", 3, "page", dec(12, 3)),
    EscalationRecord(4, "first_response", 3, "escalation", dec(14, 1)),  # after the week
)


def week_heartbeats() -> tuple[HeartbeatRecord, ...]:
    """One all-ok heartbeat at second 10 of every minute from 1 December, except:

    * Wednesday 9 December 10:00-10:09: none (the daemon was down): 10 minutes down;
    * Thursday 10 December 15:00: the heartbeat reports a problem: 1 minute down;
    * Friday 11 December 11:01: the heartbeat slipped to 11:00:55 (scheduler drift): covered, not down.
    """
    beats = []
    at = cl(12, 1, 0, 0, 10)
    stop = NOW
    while at < stop:
        minute = at.replace(second=0)
        if dec(9, 10) <= minute < dec(9, 10, 10):
            pass
        elif minute == dec(11, 11, 1):
            beats.append(HeartbeatRecord(dec(11, 11, 0, 55), True))
        else:
            beats.append(HeartbeatRecord(at, minute != dec(10, 15)))
        at += timedelta(minutes=1)
    return tuple(beats)


@pytest.fixture(scope="module")
def history() -> History:
    beats = week_heartbeats()
    return History(now=NOW, tickets=TICKETS, messages=MESSAGES, events=EVENTS, escalations=ESCALATIONS,
                   heartbeats=beats, first_heartbeat_at=beats[0].at, sla=SLA)


@pytest.fixture(scope="module")
def week(history):
    return compute(history, START, END)


def test_first_response_times_in_business_and_wall_time(week):
    # Answered in the week: A, B, C, F (D never).
    #   A: Fri 17:00 -> Mon 10:00. Business: Fri 17-18 (60) + Mon 9-10 (60) = 120. Wall: 65 h = 3900.
    #   B: Mon 17:00 -> Wed 10:00. Business: Mon 17-18 (60) + Tue holiday (0) + Wed 9-10 (60) = 120. Wall: 41 h = 2460.
    #   C: Sat 03:00 -> 04:00. Business: 0 (weekend). Wall: 60.
    #   F: Wed 09:30 -> 09:45. Business 15, wall 15.
    assert week.first_response_business.values == (0, 15, 120, 120)
    assert week.first_response_business.mean == pytest.approx(255 / 4)  # 63.75
    assert week.first_response_business.median == pytest.approx((15 + 120) / 2)
    assert week.first_response_wall.values == (15, 60, 2460, 3900)
    assert week.first_response_wall.mean == pytest.approx(6435 / 4)
    assert week.first_response_wall.median == pytest.approx((60 + 2460) / 2)


def test_resolution_times_leave_out_closed_hours_and_waiting_on_the_customer(week):
    #   A: Fri 17:00 -> Mon 12:00. Business 60 + 180 = 240. Wall 67 h = 4020.
    #   B: Mon 17:00 -> Wed 16:00. Business 60 + 0 (holiday) + 420 = 480. Wall 47 h = 2820.
    #   C: Sat 03:00 -> Sat 10:00. Business 0. Wall 420.
    #   F: Wed 09:30 -> Thu 11:00, paused Wed 10:00 - Thu 10:00. Business 30 + 60 = 90. Wall 25.5 h = 1530.
    assert week.resolved == 4
    assert week.resolution_business.values == (0, 90, 240, 480)
    assert week.resolution_business.mean == pytest.approx(810 / 4)
    assert week.resolution_business.median == pytest.approx((90 + 240) / 2)
    assert week.resolution_wall.values == (420, 1530, 2820, 4020)
    assert week.resolution_wall.mean == pytest.approx(8790 / 4)
    assert week.resolution_wall.median == pytest.approx((1530 + 2820) / 2)


def test_first_contact_resolution_and_reopen_rate(week):
    # A: one reply (the ack does not count): FCR. B: two replies. C: one reply but reopened. F: one reply
    # (the customer's answer while waiting is not a reopening): FCR. 2 of 4.
    assert week.first_contact_resolution == Ratio(2, 4)
    assert week.reopened == 1
    assert week.reopen_rate == Ratio(1, 4)


def test_satisfaction_counts_only_the_answers_of_the_period(week):
    # Answers in the week: 5 (A), 3 (B), 4 (F) -> 2 of 3 rated 4-5; G's (before), C's (after), E's (spam) left out.
    # Surveys sent in the week: 4 -> response rate 3/4.
    s = week.satisfaction
    assert dict(s.ratings) == {3: 1, 4: 1, 5: 1}
    assert (s.answers, s.positive, s.surveys_sent) == (3, 2, 4)
    assert s.share == pytest.approx(2 / 3)
    assert s.response_rate == pytest.approx(0.75)


def test_sla_compliance_per_tier_and_severity(week):
    # First response: A met (due after 24 business hours), B met, C late (30 min on the 24/7 clock, answered
    # after 60), D missed at Thu 14:00 (4 business hours, no answer), F met (2 business hours, 15 min).
    assert week.sla_first_response == {
        "basic/critical": Ratio(1, 1), "basic/general": Ratio(1, 1), "basic/important": Ratio(1, 1),
        "premium/critical": Ratio(0, 1), "premium/important": Ratio(0, 1),
    }
    assert week.sla_first_response_total == Ratio(3, 5)
    # Resolution: B met (72 business h), C late (due Sat 07:00, resolved 10:00), F met (24 business h plus the
    # pause: due Mon 14 Dec 15:30). D's is due Mon 14 Dec 16:00: not in this week. General tickets have none.
    assert week.sla_resolution == {
        "basic/critical": Ratio(1, 1), "basic/important": Ratio(1, 1), "premium/critical": Ratio(0, 1),
    }
    # The first-response time on each SLA's own clock (C's 24/7 clock counts the Saturday hour).
    assert {k: d.values for k, d in week.first_response_by_sla.items()} == {
        "basic/critical": (15,), "basic/general": (120,), "basic/important": (120,), "premium/critical": (60,),
    }
    assert week.first_response_targets["premium/critical"] == 30


def test_volume_backlog_escalations_and_agents(week):
    # Created in the week (spam E left out): B, C, D, F, H.
    assert week.created == 5
    assert week.volume_by_mailbox == {"soporte": 4, "emergencias": 1}
    assert week.volume_by_severity == {"critical": 2, "important": 2, "general": 1}
    assert week.volume_by_language == {"es": 4, "en": 1}
    assert week.volume_by_level == {1: 4, 3: 1}
    assert week.volume_by_day[dec(9, 0).date()] == {"critical": 1, "important": 0, "general": 0}
    assert len(week.volume_by_day) == 7
    # Open at Sunday midnight: D (3 days 14 hours old, level 2) and H (4 hours, level 1).
    assert week.backlog_by_age == {"lt_1d": 1, "1_3d": 0, "3_7d": 1, "ge_7d": 0}
    assert week.backlog_by_level == {1: 1, 2: 1}
    assert week.escalations_by_level == {2: 1, 3: 1}
    assert week.warnings == 1
    ana, luis = week.agents
    assert (ana.email, ana.inbound, ana.replies, ana.notes, ana.tickets, ana.resolved, ana.open_assigned) == \
        (ANA, 4, 3, 1, 2, 2, 0)
    assert (luis.email, luis.inbound, luis.replies, luis.notes, luis.tickets, luis.resolved, luis.open_assigned) == \
        (LUIS, 2, 2, 0, 2, 1, 1)


def test_availability_counts_a_gap_and_a_failing_minute_but_not_scheduler_drift(week):
    # 7 days = 10080 minutes; down: 10 without heartbeat + 1 failing = 11.
    assert week.availability == Ratio(10080 - 11, 10080)
    assert week.availability.rate == pytest.approx(0.998909, abs=1e-6)


def test_availability_starts_at_the_first_heartbeat_and_stops_now():
    # First heartbeat ever Thursday 00:00:10; now Thursday 02:00:30 -> 120 whole minutes observed;
    # nothing from 01:00 to 01:29 -> 30 down.
    now = dec(10, 2, 0, 30)
    beats = [HeartbeatRecord(dec(10, 0, 0, 10) + timedelta(minutes=i), True)
             for i in range(121) if not 60 <= i < 90]
    h = History(now=now, heartbeats=tuple(beats), first_heartbeat_at=beats[0].at)
    assert availability(h, START, END) == Ratio(90, 120)
    assert availability(History(now=now), START, END) is None  # no heartbeat ever: unknown, not 0 %


def test_a_period_not_over_is_measured_up_to_now(history):
    # Wednesday 9 December as seen at 10:20 that day: F (09:45) and B (10:00) were answered, nothing resolved yet;
    # F's first response met in time (its 2-hour deadline is later); B's met too (due Thursday).
    early = History(now=dec(9, 10, 20), tickets=history.tickets, messages=history.messages, events=history.events,
                    sla=SLA)
    m = compute(early, dec(9, 0), dec(10, 0))
    assert m.as_of == dec(9, 10, 20)
    assert m.first_response_wall.values == (15, 2460)
    assert m.resolved == 0
    assert m.sla_first_response == {"basic/critical": Ratio(1, 1), "basic/important": Ratio(1, 1)}


def test_comparison_with_the_previous_week_and_missed_targets(history, week):
    previous = compute(history, START - timedelta(days=7), START)
    assert previous.created == 2  # G (Mon 30 Nov) and A (Fri 4 Dec)
    rows = {r.key: r for r in compare(week, previous, Targets())}
    assert (rows["created"].value, rows["created"].previous, rows["created"].delta, rows["created"].mark) == (5, 2, 3, "↑")
    assert rows["satisfaction"].missed and rows["satisfaction"].target == 0.95
    assert rows["first_response_business_mean"].previous == pytest.approx(60)  # G: Mon 10:00 -> 11:00
    assert rows["first_response_business_mean"].mark == "↑" and rows["first_response_business_mean"].better is False
    assert not rows["availability"].missed
    misses = {m.key for m in missed_targets(week, Targets())}
    assert misses == {"satisfaction", "sla_first_response", "sla_resolution",
                      "sla_first_response:premium/critical", "sla_first_response:premium/important",
                      "sla_resolution:premium/critical"}
    assert "availability" in {m.key for m in missed_targets(week, Targets(availability=0.9995))}
