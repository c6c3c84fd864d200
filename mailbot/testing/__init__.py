"""Test and demo support: real mail servers (pymap IMAP + aiosmtpd SMTP) on loopback.

Lives inside the package (not under ``tests/``) because ``mailbot demo`` uses it too.
Needs the optional ``pymap`` dependency (``pip install mailbot[demo]`` or ``[test]``).
"""
