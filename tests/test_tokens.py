"""Signed reply addresses: ticket tokens, per-agent tokens, rating links, secret rotation (pure)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mailbot.tokens import (
    agent_reply_address,
    agent_token_matches,
    agent_token_ticket,
    is_agent_token,
    rating_address,
    rating_from_address,
    reply_address,
    ticket_from_address,
)

OLD, NEW = b"old-secret", b"new-secret"


@given(number=st.integers(1, 10**9), agent=st.emails())
def test_agent_token_names_its_ticket_and_only_its_agent(number, agent):
    address = agent_reply_address("soporte@menteautonoma.cl", "MA", number, agent, NEW)
    assert address == address.lower() and is_agent_token(address)
    verified = agent_token_ticket(address, "MA", (NEW,))
    assert verified is not None and verified[0] == number
    assert agent_token_matches(verified[1], agent, (NEW,))
    assert not agent_token_matches(verified[1], "otro." + agent, (NEW,))
    # A customer-token check does not accept it, nor the other way round.
    assert ticket_from_address(address, "MA", NEW) is None
    assert agent_token_ticket(reply_address("soporte@menteautonoma.cl", "MA", number, NEW), "MA", (NEW,)) is None


def test_tampering_renumbering_and_foreign_secrets_fail():
    address = agent_reply_address("soporte@menteautonoma.cl", "MA", 123, "ana@menteautonoma.cl", NEW)
    local, _, domain = address.partition("@")
    flipped = local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain
    assert agent_token_ticket(flipped, "MA", (NEW,)) is None
    assert agent_token_ticket(address.replace("ma000123", "ma000124"), "MA", (NEW,)) is None
    assert agent_token_ticket(address, "MA", (OLD,)) is None
    assert agent_token_ticket(address, "XY", (NEW,)) is None


def test_rotation_keeps_old_addresses_working():
    old = agent_reply_address("soporte@menteautonoma.cl", "MA", 7, "ana@menteautonoma.cl", OLD)
    verified = agent_token_ticket(old, "MA", (NEW, OLD))
    assert verified is not None and agent_token_matches(verified[1], "ana@menteautonoma.cl", (NEW, OLD))
    link = rating_address("soporte@menteautonoma.cl", "MA", 7, 4, OLD)
    assert rating_from_address(link, "MA", (NEW, OLD)) == (7, 4)
    assert rating_from_address(link, "MA", (NEW,)) is None


def test_rating_links_cannot_be_edited_to_another_score():
    link = rating_address("soporte@menteautonoma.cl", "MA", 9, 2, NEW)
    assert rating_from_address(link, "MA", (NEW,)) == (9, 2)
    assert rating_from_address(link.replace("-r2-", "-r5-"), "MA", (NEW,)) is None
