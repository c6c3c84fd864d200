"""Load and validate ``mailbot.toml``.

Every mistake is reported with the dotted key and the line it is on, all at once, so
a sysadmin fixes the file in one pass. Secrets never need to be in the file: each
password comes from an environment variable or a systemd credential file
(``$CREDENTIALS_DIRECTORY/<name>``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mailbot.classify import DEFAULT_SEVERITY_RULES, RuleConfigError, SeverityRule, rules_from_config
from mailbot.domain import MailboxKind, Severity, Tier
from mailbot.parsers.limits import Limits

DEFAULT_CONFIG_PATH = Path("/etc/mailbot/mailbot.toml")


class ConfigError(Exception):
    """Raised with every problem found in a config file, one per line."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


@dataclass(frozen=True)
class Secret:
    """Where a password comes from; resolved at use so check-config can report it."""

    env: str = ""
    credential: str = ""  # a file name in $CREDENTIALS_DIRECTORY (systemd LoadCredential=)
    file: str = ""  # an explicit path, for setups without systemd credentials

    def resolve(self) -> str | None:
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        if self.credential:
            base = os.environ.get("CREDENTIALS_DIRECTORY", "")
            if base and (Path(base) / self.credential).is_file():
                return (Path(base) / self.credential).read_text().strip()
        if self.file and Path(self.file).is_file():
            return Path(self.file).read_text().strip()
        return None

    def describe(self) -> str:
        places = []
        if self.env:
            places.append(f"environment variable {self.env}")
        if self.credential:
            places.append(f"$CREDENTIALS_DIRECTORY/{self.credential}")
        if self.file:
            places.append(f"file {self.file}")
        return " or ".join(places) or "nowhere (no password_env/password_credential/password_file set)"


@dataclass(frozen=True)
class MailboxConfig:
    name: str
    address: str
    kind: MailboxKind
    host: str
    port: int
    security: str  # "tls" | "starttls" | "plain" (plain only on loopback)
    username: str
    password: Secret
    inbox_folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"
    poll_interval_seconds: float = 60.0
    idle_renew_seconds: float = 540.0
    timeout_seconds: float = 30.0
    use_idle: bool = True


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 25
    security: str = "plain"  # "tls" | "starttls" | "plain"
    username: str = ""
    password: Secret = field(default_factory=Secret)
    timeout_seconds: float = 30.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0


@dataclass(frozen=True)
class SlaTarget:
    first_response_minutes: int
    resolution_minutes: int | None
    clock: str  # "business" | "24/7"


@dataclass(frozen=True)
class EscalationSettings:
    """``[escalation]``: when SLA warnings go out and how fast a breached ticket climbs."""

    warn_share: float = 0.75  # the warning goes to the assigned team at this share of the time to a deadline
    repeat_minutes: int = 60  # past breach, one more level every this many minutes (plain time); 0 = one level only
    language: str = "es"  # of the internal warning, escalation and page mails


@dataclass(frozen=True)
class SupportInfo:
    company: str = "Mente Autónoma"
    email: str = "soporte@menteautonoma.cl"
    emergency_email: str = "emergencias@menteautonoma.cl"
    phone: str = "+56 9 1234 5678"
    whatsapp: str = "+56 9 1234 5678"
    hours_es: str = "lunes a viernes de 9:00 a 18:00 (hora de Chile)"
    hours_en: str = "Monday to Friday, 9:00 to 18:00 (Chile time)"
    chat_es: str = "chat en vivo en nuestro sitio web"
    chat_en: str = "live chat on our website"


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class HttpSettings:
    """``[http]``: the health, metrics and dashboard server."""

    enabled: bool = True
    address: str = "127.0.0.1"
    port: int = 9725  # 0: any free port (tests); the chosen one is logged
    # Required on a non-loopback address; when a token resolves on loopback it is required there too.
    token: Secret = field(default_factory=lambda: Secret(env="MAILBOT_HTTP_TOKEN", credential="http-token"))
    language: str = "es"  # of the dashboard
    refresh_seconds: int = 30  # the dashboard reloads itself this often
    ready_max_fetch_age_seconds: float = 300.0  # /readyz: each mailbox reached within this long

    @property
    def is_loopback(self) -> bool:
        return self.address in LOOPBACK_HOSTS or self.address.startswith("127.")


@dataclass(frozen=True)
class AlertSettings:
    """``[alerts]``: automatic alert mails to the admins."""

    recipients: tuple[str, ...] = ()
    language: str = "es"
    check_seconds: float = 30.0  # how often conditions are evaluated
    mailbox_unreachable_minutes: float = 5.0
    outbox_age_minutes: float = 15.0  # queued mail older than this: alert, and /readyz is unready
    smtp_down_minutes: float = 5.0
    failed_lookback_hours: float = 24.0  # "outbox mail failed permanently" stays active this long
    min_interval_minutes: float = 60.0  # at most one mail per alert in this interval (start/clear pairs kept)


@dataclass(frozen=True)
class ReportSettings:
    """``[reports]``: the daily, weekly and monthly report mails (no recipients: none are mailed)."""

    recipients: tuple[str, ...] = ()
    # Per-report lists; None: ``recipients``. An empty list turns that report off.
    daily_recipients: tuple[str, ...] | None = None
    weekly_recipients: tuple[str, ...] | None = None
    monthly_recipients: tuple[str, ...] | None = None
    language: str = "es"
    timezone: str = "America/Santiago"  # periods are whole days, weeks and months here
    daily_time: str = "08:00"  # local "HH:MM"
    weekly_day: int = 0  # 0 = Monday ... 6 = Sunday (config: "monday" ...)
    weekly_time: str = "08:00"
    monthly_day: int = 1  # 1..28
    monthly_time: str = "08:00"
    satisfaction_target: float = 0.95
    availability_target: float = 0.995
    sla_compliance_target: float = 0.95
    first_contact_resolution_target: float = 0.0  # 0: no target
    trend_periods: int = 8  # periods in the weekly and monthly trend charts

    def recipients_for(self, kind: str) -> tuple[str, ...]:
        chosen = {"daily": self.daily_recipients, "weekly": self.weekly_recipients,
                  "monthly": self.monthly_recipients}[kind]
        return self.recipients if chosen is None else chosen


@dataclass(frozen=True)
class AgentSettings:
    """``[agents]``: how agents work from their mail client."""

    # Signing secrets still accepted after a rotation (the current one is instance.secret_*).
    previous_secret: Secret = field(default_factory=Secret)
    # Mail from an agent to this address (or its +token form) is an internal note.
    comment_address: str = ""
    # The customer sees "Ana Rojas (Soporte Mente Autónoma)"; the agent's own address never, unless set.
    show_agent_name: bool = True
    expose_agent_address: bool = False
    # Also require our MTA's Authentication-Results (this authserv-id) to show DMARC or DKIM pass.
    require_authentication_results: bool = False
    authserv_id: str = ""
    language: str = "es"  # of the mails to agents
    auto_close_days: int = 7  # a resolved ticket closes by itself after this many days
    survey_window_days: int = 14  # a bare "1".."5" reply counts as a rating this long after the question
    collision_minutes: int = 10  # two agents answering the same customer message within this: both are told
    reminder_days: int = 7  # open important tickets remind their assignee this often
    unknown_senders: str = "accept"  # accept: a basic customer | hold: the ticket waits for an agent's review
    auth_notice_per_hour: int = 1  # notices to an agent whose mail failed authentication
    kb_drafts_dir: str = ""  # where #kb writes article drafts; empty: <data_dir>/kb-drafts


@dataclass(frozen=True)
class Settings:
    path: str
    instance_name: str
    domain: str
    ticket_prefix: str
    data_dir: Path
    database_url: str
    secret: Secret
    mailboxes: tuple[MailboxConfig, ...]
    smtp: SmtpConfig
    limits: Limits
    max_attachment_bytes: int
    ack_rate_limit_per_hour: int
    limit_notice_rate_limit_per_day: int
    default_language: str
    template_dir: Path | None
    sla: dict[tuple[Tier, Severity], SlaTarget]
    teams: dict[int, tuple[str, ...]]
    on_call: tuple[str, ...]
    support: SupportInfo
    log_level: str
    quarantine_after_attempts: int = 3
    retry_base_seconds: float = 5.0
    lease_seconds: float = 60.0
    escalation: EscalationSettings = field(default_factory=EscalationSettings)
    kb_dir: Path | None = None  # Markdown articles the acknowledgement may suggest
    severity_rules: tuple[SeverityRule, ...] = DEFAULT_SEVERITY_RULES
    http: HttpSettings = field(default_factory=HttpSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    agents: AgentSettings = field(default_factory=AgentSettings)

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset(m.address for m in self.mailboxes)

    def mailbox(self, name: str) -> MailboxConfig:
        for m in self.mailboxes:
            if m.name == name:
                return m
        raise KeyError(name)

    def resolved_secret(self) -> bytes:
        value = self.secret.resolve()
        if not value:
            raise ConfigError(self.path, [f"instance.secret: no value found in {self.secret.describe()}"])
        return value.encode()


DEFAULT_SLA: dict[tuple[Tier, Severity], SlaTarget] = {
    (Tier.PREMIUM, Severity.CRITICAL): SlaTarget(30, 4 * 60, "24/7"),
    (Tier.PREMIUM, Severity.IMPORTANT): SlaTarget(4 * 60, 24 * 60, "business"),
    (Tier.PREMIUM, Severity.GENERAL): SlaTarget(2 * 60, None, "business"),
    (Tier.BASIC, Severity.CRITICAL): SlaTarget(2 * 60, 24 * 60, "business"),
    (Tier.BASIC, Severity.IMPORTANT): SlaTarget(24 * 60, 72 * 60, "business"),
    (Tier.BASIC, Severity.GENERAL): SlaTarget(24 * 60, None, "business"),
}


def key_lines(text: str) -> dict[str, int]:
    """Map each dotted key of a TOML document to the line it is defined on.

    tomllib gives values but not positions; this scan of table headers and
    ``key =`` lines is enough to point a sysadmin at the right line. Arrays of
    tables get an index: ``mailboxes[1].port``.
    """
    lines: dict[str, int] = {}
    table = ""
    array_counts: dict[str, int] = {}
    header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    assign = re.compile(r"^\s*([A-Za-z0-9_\-\.\"']+)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            name = m.group(2).replace('"', "").replace("'", "")
            if m.group(1) == "[[":
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                table = f"{name}[{index}]"
            else:
                table = name
            lines.setdefault(table, number)
            continue
        m = assign.match(line)
        if m:
            key = m.group(1).replace('"', "").replace("'", "")
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return lines


class _Reader:
    """Typed access to the parsed TOML that records problems instead of raising."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int]) -> None:
        self.data = data
        self.lines = lines
        self.problems: list[str] = []
        self.known: set[str] = set()

    def where(self, key: str) -> str:
        probe = key
        while probe:
            if probe in self.lines:
                return f"line {self.lines[probe]}"
            probe = probe.rpartition(".")[0]
        return "not set"

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key} ({self.where(key)}): {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, check: Callable[[Any], str | None] | None = None) -> Any:
        self.known.add(key)
        node: Any = self.data
        for part in _split_key(key):
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                return default
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if not isinstance(node, kind) or (isinstance(node, bool) and kind in (int, float)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problem(key, f"expected {_article(names)}, got {type(node).__name__} {node!r}")
            return default
        if check is not None:
            message = check(node)
            if message:
                self.problem(key, message)
                return default
        return node


def _article(name: str) -> str:
    return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false", "list": "a list"}.get(name, name)


def _split_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.split("."):
        m = re.fullmatch(r"([^\[]+)\[(\d+)\]", piece)
        if m:
            parts.extend([m.group(1), int(m.group(2))])
        else:
            parts.append(piece)
    return parts


def _one_of(*allowed: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in allowed else f"must be one of {', '.join(allowed)}; got {v!r}"


def _positive(v: Any) -> str | None:
    return None if v > 0 else f"must be greater than 0; got {v!r}"


def _email(v: Any) -> str | None:
    return None if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v) else f"is not a mail address: {v!r}"


def _port(v: Any) -> str | None:
    return None if 0 < v < 65536 else f"must be a port number between 1 and 65535; got {v!r}"


def _secret(r: _Reader, prefix: str, default_env: str, default_credential: str) -> Secret:
    return Secret(
        env=r.get(f"{prefix}password_env", str, default_env),
        credential=r.get(f"{prefix}password_credential", str, default_credential),
        file=r.get(f"{prefix}password_file", str, ""),
    )


KNOWN_TOP_LEVEL = {"instance", "database", "mailboxes", "smtp", "limits", "acks", "sla", "teams", "support", "logging", "quarantine",
                   "escalation", "classify", "http", "alerts", "reports", "agents"}


def load_settings(path: Path | str) -> Settings:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the file: {exc.strerror}"]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"the file is not UTF-8 (byte {exc.start})"]) from exc
    return parse_settings(text, path)


def parse_settings(text: str, path: Path | str = "<config>") -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line N, column M)".
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from exc
    r = _Reader(data, key_lines(text))
    for key in data:
        if key not in KNOWN_TOP_LEVEL:
            r.problem(key, f"unknown section; known sections are {', '.join(sorted(KNOWN_TOP_LEVEL))}")

    domain = r.get("instance.domain", str, "menteautonoma.cl")
    prefix = r.get("instance.ticket_prefix", str, "MA", lambda v: None if re.fullmatch(r"[A-Z]{1,8}", v) else "must be 1-8 capital letters")
    data_dir = Path(r.get("instance.data_dir", str, "/var/lib/mailbot"))
    default_db = f"sqlite:///{data_dir / 'mailbot.db'}"
    secret = Secret(
        env=r.get("instance.secret_env", str, "MAILBOT_SECRET"),
        credential=r.get("instance.secret_credential", str, "mailbot-secret"),
        file=r.get("instance.secret_file", str, ""),
    )

    mailboxes = []
    raw_mailboxes = data.get("mailboxes", [])
    if not isinstance(raw_mailboxes, list) or not raw_mailboxes:
        r.problem("mailboxes", "at least one [[mailboxes]] table is required")
        raw_mailboxes = []
    seen_names: set[str] = set()
    for i, _ in enumerate(raw_mailboxes):
        p = f"mailboxes[{i}]."
        name = r.get(p + "name", str, f"mailbox{i}", lambda v: None if re.fullmatch(r"[a-z0-9_-]+", v) else "must be lower-case letters, digits, - or _")
        if name in seen_names:
            r.problem(p + "name", f"duplicate mailbox name {name!r}")
        seen_names.add(name)
        security = r.get(p + "security", str, "tls", _one_of("tls", "starttls", "plain"))
        host = r.get(p + "host", str, "")
        if not host:
            r.problem(p + "host", "is required")
        if security == "plain" and host not in ("127.0.0.1", "localhost", "::1"):
            r.problem(p + "security", f"plain (unencrypted) IMAP is only allowed on loopback, not to {host!r}; use tls or starttls")
        address = r.get(p + "address", str, "", _email)
        if not address:
            r.problem(p + "address", "is required")
        mailboxes.append(
            MailboxConfig(
                name=name,
                address=address.lower(),
                kind=MailboxKind(r.get(p + "kind", str, "support", _one_of("support", "emergency"))),
                host=host,
                port=r.get(p + "port", int, 993 if security == "tls" else 143, _port),
                security=security,
                username=r.get(p + "username", str, address),
                password=_secret(r, p, f"MAILBOT_{name.upper().replace('-', '_')}_PASSWORD", f"imap-{name}"),
                inbox_folder=r.get(p + "inbox_folder", str, "INBOX"),
                processed_folder=r.get(p + "processed_folder", str, "Processed"),
                quarantine_folder=r.get(p + "quarantine_folder", str, "Quarantine"),
                poll_interval_seconds=r.get(p + "poll_interval_seconds", float, 60.0, _positive),
                idle_renew_seconds=r.get(p + "idle_renew_seconds", float, 540.0, lambda v: None if 0 < v <= 1500 else "must be between 1 and 1500 seconds (servers drop IDLE after 29 minutes)"),
                timeout_seconds=r.get(p + "timeout_seconds", float, 30.0, _positive),
                use_idle=r.get(p + "use_idle", bool, True),
            )
        )
        for key in raw_mailboxes[i] if isinstance(raw_mailboxes[i], dict) else {}:
            if f"{p}{key}" not in r.known:
                r.problem(f"{p}{key}", "unknown key")

    smtp_security = r.get("smtp.security", str, "starttls", _one_of("tls", "starttls", "plain"))
    smtp = SmtpConfig(
        host=r.get("smtp.host", str, "127.0.0.1"),
        port=r.get("smtp.port", int, {"tls": 465, "starttls": 587, "plain": 25}[smtp_security], _port),
        security=smtp_security,
        username=r.get("smtp.username", str, ""),
        password=_secret(r, "smtp.", "MAILBOT_SMTP_PASSWORD", "smtp"),
        timeout_seconds=r.get("smtp.timeout_seconds", float, 30.0, _positive),
        max_attempts=r.get("smtp.max_attempts", int, 8, _positive),
        backoff_base_seconds=r.get("smtp.backoff_base_seconds", float, 30.0, _positive),
        backoff_max_seconds=r.get("smtp.backoff_max_seconds", float, 3600.0, _positive),
    )

    d = Limits()
    limits = Limits(
        max_message_bytes=r.get("limits.max_message_bytes", int, d.max_message_bytes, _positive),
        max_multipart_depth=r.get("limits.max_multipart_depth", int, d.max_multipart_depth, _positive),
        max_mime_parts=r.get("limits.max_mime_parts", int, d.max_mime_parts, _positive),
        max_header_bytes=r.get("limits.max_header_bytes", int, d.max_header_bytes, _positive),
        max_addresses_per_header=r.get("limits.max_addresses_per_header", int, d.max_addresses_per_header, _positive),
    )

    sla = dict(DEFAULT_SLA)
    for (tier, severity), target in DEFAULT_SLA.items():
        p = f"sla.{tier.value}.{severity.value}."
        resolution = r.get(p + "resolution_minutes", int, target.resolution_minutes or 0, lambda v: None if v >= 0 else "must be 0 (none) or more")
        sla[(tier, severity)] = SlaTarget(
            first_response_minutes=r.get(p + "first_response_minutes", int, target.first_response_minutes, _positive),
            resolution_minutes=resolution or None,
            clock=r.get(p + "clock", str, target.clock, _one_of("business", "24/7")),
        )

    teams: dict[int, tuple[str, ...]] = {}
    for level in (1, 2, 3, 4):
        members = r.get(f"teams.level{level}", list, [])
        for j, member in enumerate(members):
            if not isinstance(member, str) or _email(member):
                r.problem(f"teams.level{level}", f"item {j + 1} is not a mail address: {member!r}")
        teams[level] = tuple(m.lower() for m in members if isinstance(m, str))
    on_call = tuple(m.lower() for m in r.get("teams.on_call", list, []) if isinstance(m, str))

    s = SupportInfo()
    support = SupportInfo(**{k: r.get(f"support.{k}", str, getattr(s, k)) for k in s.__dataclass_fields__})

    e = EscalationSettings()
    escalation = EscalationSettings(
        warn_share=r.get("escalation.warn_share", float, e.warn_share,
                         lambda v: None if 0 < v <= 1 else f"must be a share above 0 and at most 1 (0.75 = 75%); got {v!r}"),
        repeat_minutes=r.get("escalation.repeat_minutes", int, e.repeat_minutes,
                             lambda v: None if v >= 0 else "must be 0 (climb one level only) or more"),
        language=r.get("escalation.language", str, e.language, _one_of("es", "en")),
    )

    template_dir = r.get("instance.template_dir", str, "")
    kb_dir = r.get("instance.kb_dir", str, "")
    settings = Settings(
        path=str(path),
        instance_name=r.get("instance.name", str, "mailbot"),
        domain=domain,
        ticket_prefix=prefix,
        data_dir=data_dir,
        database_url=r.get("database.url", str, default_db, lambda v: None if re.match(r"^(sqlite|postgresql)(\+\w+)?://", v) else "must start with sqlite:/// or postgresql://"),
        secret=secret,
        mailboxes=tuple(mailboxes),
        smtp=smtp,
        limits=limits,
        max_attachment_bytes=r.get("limits.max_attachment_bytes", int, 20 * 1024 * 1024, _positive),
        ack_rate_limit_per_hour=r.get("acks.rate_limit_per_sender_per_hour", int, 1, lambda v: None if v >= 0 else "must be 0 or more"),
        limit_notice_rate_limit_per_day=r.get("acks.limit_notice_per_sender_per_day", int, 1, lambda v: None if v >= 0 else "must be 0 or more"),
        default_language=r.get("instance.default_language", str, "es", _one_of("es", "en")),
        template_dir=Path(template_dir) if template_dir else None,
        sla=sla,
        teams=teams,
        on_call=on_call,
        support=support,
        log_level=r.get("logging.level", str, "INFO", _one_of("DEBUG", "INFO", "WARNING", "ERROR")),
        quarantine_after_attempts=r.get("quarantine.after_attempts", int, 3, _positive),
        retry_base_seconds=r.get("quarantine.retry_base_seconds", float, 5.0, _positive),
        lease_seconds=r.get("instance.lease_seconds", float, 60.0, _positive),
        escalation=escalation,
        kb_dir=Path(kb_dir) if kb_dir else None,
        severity_rules=_severity_rules(r, data),
        http=_http_settings(r),
        alerts=_alert_settings(r),
        reports=_report_settings(r),
        agents=_agent_settings(r),
    )
    sla_data = data.get("sla", {})
    if isinstance(sla_data, dict):
        for tier_name, by_severity in sla_data.items():
            if tier_name not in ("basic", "premium") or not isinstance(by_severity, dict):
                r.problem(f"sla.{tier_name}", "unknown tier; use [sla.basic.<severity>] or [sla.premium.<severity>]")
                continue
            for severity_name, block in by_severity.items():
                if severity_name not in ("critical", "important", "general") or not isinstance(block, dict):
                    r.problem(f"sla.{tier_name}.{severity_name}", "unknown severity; use critical, important or general")
                    continue
                for key in block:
                    if f"sla.{tier_name}.{severity_name}.{key}" not in r.known:
                        r.problem(f"sla.{tier_name}.{severity_name}.{key}", "unknown key")
    for section in ("instance", "database", "smtp", "limits", "acks", "support", "logging", "quarantine", "teams",
                    "escalation", "http", "alerts", "reports", "agents"):
        block = data.get(section)
        if isinstance(block, dict):
            for key in block:
                if f"{section}.{key}" not in r.known:
                    r.problem(f"{section}.{key}", "unknown key")
    if r.problems:
        raise ConfigError(path, r.problems)
    return settings


def _http_settings(r: _Reader) -> HttpSettings:
    d = HttpSettings()
    settings = HttpSettings(
        enabled=r.get("http.enabled", bool, d.enabled),
        address=r.get("http.address", str, d.address, lambda v: None if v.strip() else "must not be empty"),
        port=r.get("http.port", int, d.port, lambda v: None if 0 <= v < 65536 else f"must be 0 (any free port) or 1-65535; got {v!r}"),
        token=Secret(env=r.get("http.token_env", str, d.token.env), credential=r.get("http.token_credential", str, d.token.credential),
                     file=r.get("http.token_file", str, "")),
        language=r.get("http.language", str, d.language, _one_of("es", "en")),
        refresh_seconds=r.get("http.refresh_seconds", int, d.refresh_seconds, _positive),
        ready_max_fetch_age_seconds=r.get("http.ready_max_fetch_age_seconds", float, d.ready_max_fetch_age_seconds, _positive),
    )
    if settings.enabled and not settings.is_loopback and not (settings.token.env or settings.token.credential or settings.token.file):
        r.problem("http.address", f"{settings.address!r} is not loopback: set token_env, token_credential or token_file "
                                  "(the bearer token that /metrics, /readyz and the dashboard then require)")
    return settings


def _alert_settings(r: _Reader) -> AlertSettings:
    d = AlertSettings()
    recipients = r.get("alerts.recipients", list, [])
    for j, member in enumerate(recipients):
        if not isinstance(member, str) or _email(member):
            r.problem("alerts.recipients", f"item {j + 1} is not a mail address: {member!r}")
    return AlertSettings(
        recipients=tuple(m.lower() for m in recipients if isinstance(m, str) and not _email(m)),
        language=r.get("alerts.language", str, d.language, _one_of("es", "en")),
        check_seconds=r.get("alerts.check_seconds", float, d.check_seconds, _positive),
        mailbox_unreachable_minutes=r.get("alerts.mailbox_unreachable_minutes", float, d.mailbox_unreachable_minutes, _positive),
        outbox_age_minutes=r.get("alerts.outbox_age_minutes", float, d.outbox_age_minutes, _positive),
        smtp_down_minutes=r.get("alerts.smtp_down_minutes", float, d.smtp_down_minutes, _positive),
        failed_lookback_hours=r.get("alerts.failed_lookback_hours", float, d.failed_lookback_hours, _positive),
        min_interval_minutes=r.get("alerts.min_interval_minutes", float, d.min_interval_minutes,
                                   lambda v: None if v >= 0 else "must be 0 (no rate limit) or more"),
    )


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _hh_mm(v: Any) -> str | None:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", v)
    return None if m and int(m.group(1)) < 24 and int(m.group(2)) < 60 else f"must be a time like \"08:00\"; got {v!r}"


def _share(v: Any) -> str | None:
    return None if 0 <= v <= 1 else f"must be a share between 0 and 1 (0.95 = 95%); got {v!r}"


def _report_settings(r: _Reader) -> ReportSettings:
    d = ReportSettings()

    def addresses(key: str) -> tuple[str, ...] | None:
        items = r.get(key, list, None)
        if items is None:
            return None
        for j, item in enumerate(items):
            if not isinstance(item, str) or _email(item):
                r.problem(key, f"item {j + 1} is not a mail address: {item!r}")
        return tuple(i.lower() for i in items if isinstance(i, str) and not _email(i))

    def zone(v: Any) -> str | None:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError for odd names
            return f"unknown time zone {v!r} (use an IANA name such as America/Santiago)"
        return None

    weekly_day = r.get("reports.weekly_day", str, "monday", _one_of(*_WEEKDAYS))
    return ReportSettings(
        recipients=addresses("reports.recipients") or (),
        daily_recipients=addresses("reports.daily_recipients"),
        weekly_recipients=addresses("reports.weekly_recipients"),
        monthly_recipients=addresses("reports.monthly_recipients"),
        language=r.get("reports.language", str, d.language, _one_of("es", "en")),
        timezone=r.get("reports.timezone", str, d.timezone, zone),
        daily_time=r.get("reports.daily_time", str, d.daily_time, _hh_mm),
        weekly_day=_WEEKDAYS.index(weekly_day),
        weekly_time=r.get("reports.weekly_time", str, d.weekly_time, _hh_mm),
        monthly_day=r.get("reports.monthly_day", int, d.monthly_day,
                          lambda v: None if 1 <= v <= 28 else f"must be a day between 1 and 28; got {v!r}"),
        monthly_time=r.get("reports.monthly_time", str, d.monthly_time, _hh_mm),
        satisfaction_target=r.get("reports.satisfaction_target", float, d.satisfaction_target, _share),
        availability_target=r.get("reports.availability_target", float, d.availability_target, _share),
        sla_compliance_target=r.get("reports.sla_compliance_target", float, d.sla_compliance_target, _share),
        first_contact_resolution_target=r.get("reports.first_contact_resolution_target", float,
                                              d.first_contact_resolution_target, _share),
        trend_periods=r.get("reports.trend_periods", int, d.trend_periods,
                            lambda v: None if 2 <= v <= 24 else f"must be between 2 and 24; got {v!r}"),
    )


def _agent_settings(r: _Reader) -> AgentSettings:
    d = AgentSettings()
    non_negative = lambda v: None if v >= 0 else "must be 0 or more"  # noqa: E731
    comment = r.get("agents.comment_address", str, "", lambda v: None if not v else _email(v))
    return AgentSettings(
        previous_secret=Secret(env=r.get("agents.previous_secret_env", str, "MAILBOT_PREVIOUS_SECRET"),
                               credential=r.get("agents.previous_secret_credential", str, "mailbot-previous-secret"),
                               file=r.get("agents.previous_secret_file", str, "")),
        comment_address=comment.lower(),
        show_agent_name=r.get("agents.show_agent_name", bool, d.show_agent_name),
        expose_agent_address=r.get("agents.expose_agent_address", bool, d.expose_agent_address),
        require_authentication_results=r.get("agents.require_authentication_results", bool, d.require_authentication_results),
        authserv_id=r.get("agents.authserv_id", str, "", lambda v: None if v or not r.get(
            "agents.require_authentication_results", bool, False) else "must name our MTA when require_authentication_results is true"),
        language=r.get("agents.language", str, d.language, _one_of("es", "en")),
        auto_close_days=r.get("agents.auto_close_days", int, d.auto_close_days, non_negative),
        survey_window_days=r.get("agents.survey_window_days", int, d.survey_window_days, non_negative),
        collision_minutes=r.get("agents.collision_minutes", int, d.collision_minutes, non_negative),
        reminder_days=r.get("agents.reminder_days", int, d.reminder_days, non_negative),
        unknown_senders=r.get("agents.unknown_senders", str, d.unknown_senders, _one_of("accept", "hold")),
        auth_notice_per_hour=r.get("agents.auth_notice_per_hour", int, d.auth_notice_per_hour, non_negative),
        kb_drafts_dir=r.get("agents.kb_drafts_dir", str, ""),
    )


def _severity_rules(r: _Reader, data: dict[str, Any]) -> tuple[SeverityRule, ...]:
    """``[[classify.rules]]`` replaces the built-in rules entirely when present."""
    block = data.get("classify")
    if block is None:
        return DEFAULT_SEVERITY_RULES
    if not isinstance(block, dict) or set(block) - {"rules"}:
        r.problem("classify", "only [[classify.rules]] tables are allowed here")
        return DEFAULT_SEVERITY_RULES
    try:
        return rules_from_config(block.get("rules", []))
    except RuleConfigError as exc:
        key = "classify.rules" if exc.index is None else f"classify.rules[{exc.index}]"
        if exc.field:
            key += "." + exc.field.split("[")[0]
        r.problem(key, str(exc))
        return DEFAULT_SEVERITY_RULES


def missing_secrets(settings: Settings) -> list[str]:
    """What check-config reports when a password cannot be found where the file says."""
    problems = []
    if not settings.secret.resolve():
        problems.append(f"instance.secret: the signing secret for reply addresses was not found in {settings.secret.describe()}")
    for i, m in enumerate(settings.mailboxes):
        if not m.password.resolve():
            problems.append(f"mailboxes[{i}] ({m.name}): the IMAP password was not found in {m.password.describe()}")
    if settings.smtp.username and not settings.smtp.password.resolve():
        problems.append(f"smtp: smtp.username is set but the password was not found in {settings.smtp.password.describe()}")
    if settings.http.enabled and not settings.http.is_loopback and not settings.http.token.resolve():
        problems.append(f"http: listening on {settings.http.address} (not loopback) requires a bearer token, "
                        f"not found in {settings.http.token.describe()}")
    return problems
