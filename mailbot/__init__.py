"""mailbot: email-driven support ticketing."""
__version__ = "0.1.0"
