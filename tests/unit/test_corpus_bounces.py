"""Bounce and auto-reply recognition over the shared corpus, reader to classification.

Measured on the shared corpus (mail-parser reader, pre-filter on); each
threshold sits just below its measurement so a regression fails loudly.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from chalicelib.adapters.mail.bounce_detector import detect_bounce
from chalicelib.adapters.mail.reader import read_mail
from chalicelib.domain.classify import classify
from chalicelib.domain.classify_types import Classification
from chalicelib.domain.mail import Verdicts
from tests.support.corpus import index, mail_files, relative, require_corpus

pytestmark = pytest.mark.corpus

NOT_BOUNCES = ("bounces/sisimai-set-of-emails/not/", "bounces/ruby-bounce_email/non_bounces/")
# Not bounces either, and not meant to be: a newsletter without a Subject.
OTHER_NON_BOUNCES = ("bounces/ruby-bounce_email/fixtures/",)
# RFC 3834 auto-replies and read receipts live among the bounces; they are recognised
# when they classify as auto_reply.
AUTO_REPLY_NAME = re.compile(r"rfc3834|autoreply|vacation|disposition-notification")

# (source folder, minimum share recognised); measured 0.832, 0.911, 0.947, 0.903.
SOURCE_THRESHOLDS = [
    ("bounces/sisimai-set-of-emails/", 0.80),
    ("bounces/php-bounce-handler/", 0.89),
    ("bounces/ruby-bounce_email/bounces/", 0.92),
    ("bounces/parser-fixtures/", 0.87),
]
OVERALL_THRESHOLD = 0.82  # measured 833 / 986 = 0.845 (826 with a plain stdlib parse)


def _tags() -> dict[str, set[str]]:
    return {rel: set(filter(None, row.get("tags", "").split(","))) for rel, row in index().items()}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Classification]:
    """Every message under bounces/ and mail/, read, detected and classified once."""
    require_corpus()
    found: dict[str, Classification] = {}
    for path in mail_files():
        mail = read_mail(path.read_bytes())
        found[relative(path)] = classify(mail, Verdicts(), detect_bounce(mail))
    return found


def _expected_kind(name: str, tags: set[str]) -> str:
    return "auto_reply" if AUTO_REPLY_NAME.search(name) or "mdn" in tags else "bounce"


def _recognised(outcomes: dict[str, Classification], prefix: str) -> tuple[int, int, list[str]]:
    tags = _tags()
    hits, total, missed = 0, 0, []
    for rel, result in outcomes.items():
        if not rel.startswith(prefix) or rel.startswith(NOT_BOUNCES + OTHER_NON_BOUNCES):
            continue
        total += 1
        if result.kind == _expected_kind(rel.rpartition("/")[2], tags.get(rel, set())):
            hits += 1
        else:
            missed.append(f"{rel}: {result.kind} {result.reason}")
    return hits, total, missed


def test_non_bounces_among_the_bounces_are_not_bounces(outcomes):
    """GIVEN the corpus's deliberate non-bounces (sisimai not/, bounce_email non_bounces/)
    WHEN they are classified
    THEN none is a bounce, so no customer lands on the suppression list."""
    checked = {rel: result for rel, result in outcomes.items() if rel.startswith(NOT_BOUNCES)}

    assert len(checked) == 6
    assert {rel: r.reason for rel, r in checked.items() if r.kind == "bounce"} == {}


@pytest.mark.parametrize(("prefix", "threshold"), SOURCE_THRESHOLDS)
def test_bounces_recognised_per_source(outcomes, prefix, threshold):
    """GIVEN one source's bounces, complaints and auto-replies
    WHEN they are classified
    THEN at least the measured share is recognised (bounce, or auto_reply for RFC 3834 / MDN)."""
    hits, total, missed = _recognised(outcomes, prefix)
    print(f"{prefix}: {hits}/{total} = {hits / total:.3f}")
    print("\n".join(missed))

    assert total > 0
    assert hits / total >= threshold


def test_bounces_recognised_overall(outcomes):
    """GIVEN every bounce folder together
    WHEN classified
    THEN the overall share recognised holds, and almost none would become a ticket."""
    hits, total, _missed = _recognised(outcomes, "bounces/")
    tickets = [
        rel
        for rel, r in outcomes.items()
        if rel.startswith("bounces/")
        and not rel.startswith(NOT_BOUNCES + OTHER_NON_BOUNCES)
        and r.kind == "normal"
    ]
    print(f"bounces/: recognised {hits}/{total} = {hits / total:.3f}; would become tickets: {len(tickets)}")

    assert hits / total >= OVERALL_THRESHOLD
    assert len(tickets) / total <= 0.04  # measured 29 / 986


def test_only_delivery_reports_in_the_mail_corpus_are_bounces(outcomes):
    """GIVEN the ordinary mail corpus, which holds a few DSNs among parser test mail
    WHEN it is classified
    THEN exactly the messages tagged as DSNs are bounces, and the ham is not."""
    tags = _tags()
    mail = {rel: r for rel, r in outcomes.items() if rel.startswith("mail/")}
    kinds = Counter(r.kind for r in mail.values())
    print(f"mail/: {dict(kinds)}")
    for rel, r in sorted(mail.items()):
        if r.kind != "normal":
            print(f"  {rel}: {r.kind} {r.reason}")

    bounces = {rel for rel, r in mail.items() if r.kind == "bounce"}
    tagged_dsn = {rel for rel in mail if "dsn" in tags.get(rel, set())}
    assert bounces == tagged_dsn
    assert len(bounces) == 9
    assert kinds["auto_reply"] <= 40  # measured 37: list mail, MDNs, OOF, delivery systems


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        ("mail/spamassassin-tdata/nice/mailman_message.txt.eml", "Precedence: bulk"),
        ("mail/flanker/disposition-notification.eml", "report-type=disposition-notification"),
        ("mail/php-mime-mail-parser/issue212.eml", "automatyczna odpowiedz"),
        ("bounces/sisimai-set-of-emails/bsd/rfc3834-02.eml", '"automatic reply"'),
    ],
)
def test_spot_checked_auto_replies(outcomes, rel, reason):
    """GIVEN corpus messages checked by hand: list mail, a read receipt, out-of-office replies
    WHEN classified
    THEN each is an auto_reply for the expected reason."""
    result = outcomes[rel]

    assert result.kind == "auto_reply"
    assert reason in result.reason


@pytest.mark.parametrize("folder", ["mail/talon/", "mail/django-helpdesk/"])
def test_real_replies_and_helpdesk_mail_stay_normal(outcomes, folder):
    """GIVEN real replies from twelve mail clients and mail from help desks
    WHEN classified
    THEN every one is normal and becomes a ticket."""
    kinds = {rel: r.kind for rel, r in outcomes.items() if rel.startswith(folder)}

    assert kinds and set(kinds.values()) == {"normal"}
