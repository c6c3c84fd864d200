import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.promise import describe_duration


@pytest.mark.parametrize(
    ("minutes", "clock", "language", "expected"),
    [
        # the SLA table's values, as the acknowledgement shows them
        (30, "24/7", "es", "30 minutos"),
        (4 * 60, "24/7", "es", "4 horas"),
        (2 * 60, "business", "es", "2 horas hábiles"),
        (4 * 60, "business", "es", "4 horas hábiles"),
        (24 * 60, "business", "es", "24 horas hábiles"),
        (72 * 60, "business", "es", "72 horas hábiles"),
        (60, "business", "es", "1 hora hábil"),
        (60, "24/7", "es", "1 hora"),
        (1, "24/7", "es", "1 minuto"),
        (30, "business", "es", "30 minutos en horario hábil"),
        (90, "24/7", "es", "1 h 30 min"),
        (90, "business", "es", "1 h 30 min en horario hábil"),
        (30, "24/7", "en", "30 minutes"),
        (1, "24/7", "en", "1 minute"),
        (4 * 60, "24/7", "en", "4 hours"),
        (2 * 60, "business", "en", "2 business hours"),
        (24 * 60, "business", "en", "24 business hours"),
        (60, "business", "en", "1 business hour"),
        (60, "24/7", "en", "1 hour"),
        (30, "business", "en", "30 minutes of business time"),
        (150, "24/7", "en", "2 h 30 min"),
        (150, "business", "en", "2 h 30 min of business time"),
    ],
)
def test_phrases(minutes, clock, language, expected):
    assert describe_duration(minutes, clock, language) == expected


def test_language_tags_and_unknown_language_fall_back_to_spanish():
    assert describe_duration(120, "business", "en-US") == "2 business hours"
    assert describe_duration(120, "business", "EN") == "2 business hours"
    assert describe_duration(120, "business", "es_CL") == "2 horas hábiles"
    assert describe_duration(120, "business", "fr") == "2 horas hábiles"
    assert describe_duration(120, "business", "") == "2 horas hábiles"


def test_24_7_clock_never_says_business():
    for minutes in (1, 30, 60, 90, 240, 1440):
        assert "hábil" not in describe_duration(minutes, "24/7", "es")
        assert "business" not in describe_duration(minutes, "24/7", "en")


@pytest.mark.parametrize("clock", ["", "24x7", "Business", "calendar"])
def test_unknown_clock_raises(clock):
    with pytest.raises(ValueError):
        describe_duration(60, clock, "es")


def test_bad_minutes_raise():
    with pytest.raises(ValueError):
        describe_duration(-1, "business", "es")
    with pytest.raises(TypeError):
        describe_duration(1.5, "business", "es")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        describe_duration(True, "business", "es")  # type: ignore[arg-type]


@given(
    minutes=st.integers(min_value=1, max_value=60 * 24 * 60),
    clock=st.sampled_from(["business", "24/7"]),
    language=st.sampled_from(["es", "en"]),
)
def test_every_duration_reads_back_to_the_same_number_of_minutes(minutes, clock, language):
    phrase = describe_duration(minutes, clock, language)
    words = phrase.split()
    if " h " in f" {phrase} ":
        total = int(words[0]) * 60 + int(words[2])
    elif words[1].startswith(("hora", "hour")) or words[1:3] == ["business", "hour"] or words[1:3] == ["business", "hours"]:
        total = int(words[0]) * 60
    else:
        total = int(words[0])
    assert total == minutes
    assert ("hábil" in phrase or "business" in phrase) == (clock == "business")
