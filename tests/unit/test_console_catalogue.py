"""The console's string catalogue (chalicelib/console/static/i18n*.js): every language has
every string, with the same placeholders and plural forms; every key the scripts and the
page ask for is in it; and nothing formats a time, date or number past the chosen language."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from chalicelib import errors
from chalicelib.console.routes import ASSETS
from chalicelib.domain import announcements as ann
from chalicelib.domain.announcements import AnnouncementState, RecipientState
from chalicelib.domain.audit import event
from chalicelib.domain.collisions import sending_reason, stale_reason
from chalicelib.domain.mail import Address, Verdict
from chalicelib.domain.notes import CODES as NOTE_CODES
from chalicelib.domain.outcome import OutcomeKind
from chalicelib.domain.refusals import RefusalReason
from chalicelib.domain.sender_trust import Evidence, judge
from chalicelib.domain.sla import Clock
from chalicelib.domain.tickets import (
    Direction,
    MessageKind,
    Priority,
    StoredMessage,
    ThreadSignal,
    TicketStatus,
)
from chalicelib.errors import InvalidRequest
from chalicelib.services import held_replies as held_refusals
from chalicelib.services.staff_admin import StaffAdmin
from inbound.stage.documents import PASSWORD_POLICY
from tests.fakes.staff import FakeAdminGuard, FakeStaffDirectory
from tests.support.console_catalogue import STATIC, read_back, table
from tests.support.outbound_services import mail_out

LANGUAGES = ("en", "de")
PLURAL_FORMS = {"one", "other"}  # what Intl.PluralRules answers for English and German
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# t('key', ...) and tNodes('key', ...): the literal keys in the first argument (also
# t(done ? 'a.x' : 'a.y')), in any console script
KEY_ARGUMENT = re.compile(r"\b(?:t|tNodes)\(([^,)]*)")
LITERAL = re.compile(r"'([a-z][a-z0-9_]*\.[a-z0-9_.]+)'")  # key-shaped: area.what
# t(`prefix.${...}suffix`): a key made from a value; the values it can take are listed below
MADE_KEY = re.compile(r"\b(?:t|tNodes)\(\s*`([\w.]*)\$\{[^}`]+\}([\w.]*)`")
VIEWS = ("working", "mine", "new", "open", "pending", "solved", "closed", "suspended")
MADE_KEYS: dict[str, tuple[str, ...]] = {
    "status.": tuple(TicketStatus),
    "priority.": tuple(Priority),
    "view.": VIEWS,
    "queue.none_": VIEWS,
    # announce.js: an announcement's and a recipient's state, and the report's two filters
    "announce.state_": (*AnnouncementState, *RecipientState, "opened", "clicked"),
    "action.": ("pending", "solved", "closed"),  # console.js STATUS_ACTIONS
    "kind.": tuple(kind for kind in MessageKind if kind != MessageKind.EVENT),  # console.js KINDS
    "signal.": tuple(signal for signal in ThreadSignal if signal != ThreadSignal.STAFF),  # SIGNALS
    "verdict.": ("fail", "gray", "processing_failed", "none", "disabled"),  # console.js VERDICTS
    "composer.": ("reply", "note"),  # the composer's two modes
    # attachments.js: a reply file's upload state
    "attach.state_": ("uploading", "ready", "failed"),
    "outcome.": tuple(OutcomeKind),  # triage.js OUTCOMES: a released mail's
    "bulk.done_": ("assigned", "unassigned", "assigned_you", "close", "tag", "spam"),  # triage.js bulk
    # sla.js: the clock a due time belongs to (domain/sla.Clock), the targets table's columns
    "sla.clock_": tuple(Clock),
    "sla.col_": ("mailbox", "priority", "first", "resolution"),
    "error.": tuple(RefusalReason),  # i18n.js whyNotSent: the guard's refusal in a reply-not-sent line
    "note.": tuple(NOTE_CODES),  # i18n.js notes: an incoming mail's notes by their stored code
}
HTML_KEY = re.compile(r'data-i18n(?:-title|-placeholder|-aria-label)?="([^"]+)"')


def _no_duplicate_keys(language: str) -> list[str]:
    text = (STATIC / f"i18n-{language}.js").read_text("utf-8")
    keys = re.findall(r'^\s*"([^"]+)":', text, flags=re.MULTILINE)
    return sorted({key for key in keys if keys.count(key) > 1})


def _placeholders(value: str | dict[str, str]) -> set[str]:
    forms = value.values() if isinstance(value, dict) else [value]
    return {name for form in forms for name in PLACEHOLDER.findall(form)}


def _scripts() -> dict[str, str]:
    return {path.name: path.read_text("utf-8") for path in sorted(STATIC.glob("*.js"))}


def test_every_language_has_every_key() -> None:
    tables = {language: table(language) for language in LANGUAGES}
    for language in LANGUAGES:
        assert _no_duplicate_keys(language) == [], f"keys given twice in i18n-{language}.js"
        missing = sorted(set(tables["en"]) - set(tables[language]))
        extra = sorted(set(tables[language]) - set(tables["en"]))
        assert (missing, extra) == ([], []), f"{language}: missing {missing}, not in English {extra}"


def test_translations_keep_the_placeholders_and_plural_forms() -> None:
    english, german = table("en"), table("de")
    for key, value in english.items():
        other = german[key]
        assert isinstance(value, dict) == isinstance(other, dict), f"{key}: plural in one language only"
        for entry in (value, other):
            if isinstance(entry, dict):
                assert set(entry) == PLURAL_FORMS, f"{key}: plural forms {sorted(entry)}"
            forms = entry.values() if isinstance(entry, dict) else [entry]
            assert all(isinstance(form, str) and form.strip() for form in forms), f"{key}: empty"
        assert _placeholders(value) == _placeholders(other), f"{key}: placeholders differ"


def test_every_key_the_console_asks_for_is_in_the_catalogue() -> None:
    known = set(table("en"))
    asked: dict[str, str] = {}
    for name, text in _scripts().items():
        for argument in KEY_ARGUMENT.findall(text):
            for key in LITERAL.findall(argument):
                asked.setdefault(key, name)
        for match in MADE_KEY.finditer(text):
            prefix, suffix = match.groups()
            assert prefix in MADE_KEYS, (
                f"{name} makes keys from `{prefix}${{...}}`: list the values it takes in MADE_KEYS"
            )
            for value in MADE_KEYS[prefix]:
                asked.setdefault(prefix + value + suffix, name)
    # keys kept in a script's own table (staff.js STATUSES): any key-shaped literal of an area
    areas = {key.split(".", 1)[0] for key in known}
    for name, text in _scripts().items():
        if not name.startswith("i18n"):
            for key in LITERAL.findall(text):
                if key.split(".", 1)[0] in areas:
                    asked.setdefault(key, name)
    for key in HTML_KEY.findall((STATIC / "index.html").read_text("utf-8")):
        asked.setdefault(key, "index.html")
    missing = {key: name for key, name in asked.items() if key not in known}
    assert missing == {}, "keys asked for but not in i18n-en.js:\n" + "\n".join(
        f"{k} ({n})" for k, n in sorted(missing.items())
    )
    assert len(asked) > 50  # the pattern above finds the calls at all


def test_only_the_catalogue_formats_times_dates_and_numbers() -> None:
    """One language setting drives every date and relative time: a formatter made elsewhere
    (`Intl.RelativeTimeFormat(undefined)`, `toLocaleString()`) would follow the browser's
    locale and put "vor 4 Minuten" beside "just now"."""
    for name, text in _scripts().items():
        if name == "i18n.js":
            continue
        found = re.findall(r"\bIntl\.\w+|\.toLocale\w*String\(", text)
        assert found == [], f"{name} formats by itself ({found}); use InboundI18n's when/ago/number"


def test_the_page_loads_the_tables_then_the_mechanism_before_every_other_script() -> None:
    page = (STATIC / "index.html").read_text("utf-8")
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', page)
    assert scripts[:3] == ["i18n-en.js", "i18n-de.js", "i18n.js"]
    assert set(scripts) <= ASSETS  # each served by the console's asset route


def test_every_error_code_the_api_answers_has_its_sentence() -> None:
    """The console says what went wrong by the error's code (i18n.js reason): every code the
    API, the guard and the sign-in can answer has its sentence."""
    chalicelib = STATIC.parents[1]
    sources = [
        *chalicelib.joinpath("api").glob("*.py"),
        *chalicelib.joinpath("console").glob("*.py"),
        chalicelib / "adapters" / "cognito_sign_in.py",  # the sign-in's refusals (moved from console/)
    ]
    # error(409, "stale", ...), SignInRefused(403, "not_confirmed", ...), (errors.X, 400, "invalid_request")
    codes = {code for path in sources for code in re.findall(r'\b[45]\d\d,\s*"([a-z_]+)"', path.read_text())}
    # unauthorized(str(exc), "agent_disabled"): a 401 with its own code
    codes |= {
        code
        for path in sources
        for code in re.findall(r'unauthorized\([^()]*,\s*"([a-z_]+)"\)', path.read_text())
    }
    # every error's own code (errors.py: the API answers `exc.code`), subclasses' too
    kinds, seen = [errors.InboundError], set()
    while kinds:
        kind = kinds.pop()
        seen |= {kind.code} if kind.code else set()
        kinds.extend(kind.__subclasses__())
    assert {"stale", "merged", "unavailable", "rate_limited", "ticket_not_found"} <= seen
    codes |= seen
    codes |= set(RefusalReason) | {"unreachable", "error"}  # the guard's refusals; the console's own
    # a held reply refused when its time came (undo_send.js says its stored code)
    codes |= {kind.code for kind in held_refusals.REFUSALS} | {"merged", "assigned"}
    assert {"stale", "not_confirmed", "password_reset_required", "suppressed", "agent_disabled"} <= codes
    missing = sorted(code for code in codes if f"error.{code}" not in table("en"))
    assert missing == [], f"error codes without an error.<code> sentence in the catalogue: {missing}"


def test_every_note_code_has_its_sentence_with_the_values_it_names() -> None:
    """An incoming mail's note is said by its code (i18n.js notes): each code the pipeline
    writes has `note.<code>` in both languages, naming exactly the values stored with it."""
    for language in LANGUAGES:
        catalogue = table(language)
        for code, names in NOTE_CODES.items():
            assert f"note.{code}" in catalogue, f"{language}: no note.{code}"
            assert _placeholders(catalogue[f"note.{code}"]) == set(names), f"{language}: note.{code}"


def test_every_sender_trust_reason_reads_back_in_the_console() -> None:
    """The badge "sender not authenticated" carries the trust policy's reason (written in
    English by domain/sender_trust.py) in its title; each of the policy's answers has its
    `trust.*` template, so a German console says it in German."""
    one = (Address("anna@kunde.de"),)
    spf, dkim = Evidence(spf_domains=("kunde.de",)), Evidence(dkim_domains=("kunde.de",))
    answers = [
        judge(Verdict.PASS, Verdict.PASS, Verdict.PASS, (), Evidence()),
        judge(Verdict.PASS, Verdict.PASS, Verdict.PASS, (*one, Address("b@x.de")), Evidence()),
        *(
            judge(dmarc, Verdict.PASS, Verdict.PASS, one, Evidence())
            for dmarc in Verdict
            if dmarc != Verdict.GRAY
        ),
        judge(Verdict.GRAY, Verdict.PASS, Verdict.NONE, one, spf),
        judge(Verdict.GRAY, Verdict.NONE, Verdict.PASS, one, dkim),
        judge(Verdict.GRAY, Verdict.FAIL, Verdict.FAIL, one, Evidence()),
    ]
    unread = [answer.reason for answer in answers if read_back("trust.", answer.reason) is None]
    assert unread == [], f"trust reasons no trust.* template of i18n-en.js says: {unread}"
    assert len({read_back("trust.", answer.reason) for answer in answers}) == 9


def test_the_report_range_says_utc_on_both_ends() -> None:
    """The report's days are UTC days (reports.js isoDay): 'From' and 'To' both say so, or an
    agent in Berlin reads the first day as theirs and the last as UTC."""
    for language in LANGUAGES:
        strings = table(language)
        assert "(UTC)" in str(strings["report.from"]), (language, strings["report.from"])
        assert "(UTC)" in str(strings["report.to"]), (language, strings["report.to"])


def _mail(kind: MessageKind, direction: Direction, sender: str, name: str, at: str) -> StoredMessage:
    return StoredMessage(
        ticket_id="T-1",
        key=f"k-{at}",
        direction=direction,
        kind=kind,
        sender=sender,
        sender_name=name,
        to=(),
        cc=(),
        subject="",
        message_id="",
        received_at=at,
        thread_signal=ThreadSignal.NEW,
    )


def test_every_stale_reply_refusal_reads_back_in_the_console() -> None:
    """A reply refused as stale (409, and the audit line "reply not sent: ...") carries the
    server's English line (domain/collisions.py): who wrote, solved or closed, and how long
    ago. Each kind of line has its `stale.*` template, so a German console says it in German
    (it said only that someone had written, after "send anyway?" was declined too)."""
    now = datetime(2026, 12, 7, 10, 0, 0, tzinfo=UTC)
    lines = [sending_reason("bob@example.com"), stale_reason(None, now)]
    # just now, 40 s, 3 min and 3 h ago (i18n.js SERVER_AGO reads each in the language)
    for at in (
        "2026-12-07T10:00:00.000Z",
        "2026-12-07T09:59:20.000Z",
        "2026-12-07T09:57:00.000Z",
        "2026-12-07T07:00:00.000Z",
    ):
        lines += [
            stale_reason((_mail(MessageKind.CUSTOMER, Direction.INBOUND, "alice@kunde.de", "", at),), now),
            stale_reason(
                (_mail(MessageKind.STAFF, Direction.OUTBOUND, "support@example.com", "ann@example.com", at),),
                now,
            ),
            *(
                stale_reason((event("T-1", "bob@example.com", f"status open → {done}", at),), now)
                for done in ("solved", "closed")
            ),
        ]
    read = {line: read_back("stale.", line) for line in lines}
    assert [line for line, key in read.items() if key is None] == [], (
        "lines no stale.* template of i18n-en.js says"
    )
    assert set(read.values()) == {
        f"stale.{kind}" for kind in ("sending", "moved", "customer", "colleague", "solved", "closed")
    }


def test_the_refusals_an_admin_meets_in_the_console_read_back() -> None:
    """An invalid request's line (HTTP 400) says what the form lacks; a German console said only
    "the request was not valid" (inviting an address of the desk's own domain, for one). The
    staff dialog's and the announcement form's refusals each have their `invalid.*` template."""
    svc = mail_out()
    admin = StaffAdmin(FakeStaffDirectory(), svc.desk.agents, svc.outbound, FakeAdminGuard())
    own = f"new.colleague@{svc.outbound.settings.domain}"
    attempts = [
        lambda: admin.invite(own, "agent", "https://console.test/"),
        lambda: admin.invite("no address", "agent", "https://console.test/"),
        lambda: admin.set_role("nobody@elsewhere.test", "admin"),
        lambda: svc.announcements.draft("support", " ", "Hello", [ann.Recipient("a@b.test")]),
        lambda: svc.announcements.create(svc.announcements.draft("support", "News", "Hello", [])),
    ]
    lines = []
    for attempt in attempts:
        with pytest.raises(InvalidRequest) as refused:
            attempt()
        lines.append(str(refused.value))
    read = {line: read_back("invalid.", line) for line in lines}
    assert [line for line, key in read.items() if key is None] == [], "lines no invalid.* template says"
    assert len(set(read.values())) == len(lines)


def test_the_new_password_form_says_the_pools_password_policy() -> None:
    """An agent choosing a password learns the rules before and when Cognito refuses one: the
    form's note and the refusal (in German "the password does not meet the policy", nothing
    more) name what PASSWORD_POLICY asks, and the fields' minlength is its minimum length."""
    least = PASSWORD_POLICY["MinimumLength"]
    assert {k for k, v in PASSWORD_POLICY.items() if v is True} == {
        "RequireUppercase",
        "RequireLowercase",
        "RequireNumbers",
        "RequireSymbols",
    }, "the sentences below name these four"
    for language, words in {
        "en": ("upper", "lower", "digit", "symbol"),
        "de": ("Groß", "Klein", "Ziffer", "Sonderzeichen"),
    }.items():
        strings = table(language)
        for key in ("signin.new_why", "error.invalid_password"):
            said = str(strings[key])
            assert str(least) in said and all(word in said for word in words), (language, key, said)
    page = (STATIC / "index.html").read_text("utf-8")
    assert re.findall(r'name="(?:new_password|repeat)"[^>]*minlength="(\d+)"', page) == [str(least)] * 2
