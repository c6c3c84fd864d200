"""The watcher moves recorded messages out of the INBOX with compact UID sequence sets (real pymap)."""

from __future__ import annotations

import threading

from mailbot.fetch import MailboxWatcher, sequence_set


def test_sequence_set_collapses_runs() -> None:
    assert sequence_set([1, 2, 3, 7]) == "1:3,7"
    assert sequence_set([9]) == "9"
    assert sequence_set([3, 1, 2, 2, 10, 11, 13]) == "1:3,10:11,13"
    assert sequence_set(list(range(1, 5001))) == "1:5000"


def test_move_takes_exactly_the_given_messages(app, servers) -> None:
    for i in range(1, 6):
        servers.append("soporte", f"From: a@b.cl\r\nSubject: m{i}\r\nMessage-ID: <m{i}@b.cl>\r\n\r\nx\r\n".encode())
    watcher = MailboxWatcher(app, app.settings.mailbox("soporte"), threading.Event(), lambda: None)
    client = watcher.connect()
    try:
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        watcher.move(client, [uids[0], uids[1], uids[3]], "Processed")
        watcher.move(client, [], "Processed")  # nothing to move is not an IMAP error
    finally:
        client.logout()

    def subjects(folder: str) -> list[bytes]:
        return sorted(raw.split(b"Subject: ")[1].splitlines()[0] for raw in servers.messages("soporte", folder))

    assert subjects("INBOX") == [b"m3", b"m5"]
    assert subjects("Processed") == [b"m1", b"m2", b"m4"]
