"""Reply attachments on fakes: the upload form the console gets, the uploaded file judged
again when the reply is sent, and the mail that leaves with it (or a link to it)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from chalicelib.domain.reply_uploads import UploadRefused
from chalicelib.errors import MergedTicket
from chalicelib.services.reply_uploads import ReplyUploads
from tests.fakes.uploads import FakeUploads
from tests.support.deliver import deliver_via
from tests.support.mail_factory import make_mail
from tests.support.outbound_services import mail_out

PDF = b"%PDF-1.4\n" + b"refund confirmation " * 200 + b"\n%%EOF\n"


def setup(**settings):
    svc = mail_out(acknowledge_new_tickets=False, **settings)
    store = FakeUploads()
    uploads = ReplyUploads(svc.settings, store, svc.desk.tickets.live_ticket)
    ticket = deliver_via(svc, make_mail()).ticket
    return svc, store, uploads, ticket


def upload(store, uploads, ticket, name, payload, content_type="application/pdf"):
    offer = uploads.offer(ticket, name, content_type, len(payload))
    assert store.post({"fields": offer.fields}, payload)
    return offer.key


def test_a_reply_carries_an_uploaded_pdf_as_a_mime_part():
    svc, store, uploads, ticket = setup()
    key = upload(store, uploads, ticket, "Refund T-1.pdf", PDF)

    sent = svc.outbound.reply(
        ticket, "agent", "Your refund is attached.", attachments=uploads.attachments(ticket, [key])
    )

    mail = message_from_bytes(svc.sender.sent[0].raw, policy=policy.default)
    [part] = list(mail.iter_attachments())
    assert (part.get_filename(), part.get_content_type(), part.get_content()) == (
        "Refund T-1.pdf",
        "application/pdf",
        PDF,
    )
    assert [a.filename for a in sent.attachments] == ["Refund T-1.pdf"]


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("setup.exe", "application/octet-stream"),
        ("page.html", "text/html"),
        ("macro.docm", "application/pdf"),
    ],
)
def test_files_that_run_or_render_get_no_upload_form(name, content_type):
    svc, store, uploads, ticket = setup()
    with pytest.raises(UploadRefused, match="run or render"):
        uploads.offer(ticket, name, content_type, 100)
    assert store.policies == {}


def test_a_file_over_the_limit_gets_no_form_and_s3_refuses_more_than_the_form_allows():
    svc, store, uploads, ticket = setup(upload_max_bytes=1000)
    with pytest.raises(UploadRefused, match="1000 bytes"):
        uploads.offer(ticket, "big.pdf", "application/pdf", 1001)
    offer = uploads.offer(ticket, "small.pdf", "application/pdf", 10)  # the browser lied about the size
    assert not store.post({"fields": offer.fields}, PDF[:1001])
    assert store.objects == {}


def test_an_executable_uploaded_as_a_pdf_is_refused_when_the_reply_is_sent():
    """The form fixes the Content-Type, not the bytes: they are judged again at send."""
    svc, store, uploads, ticket = setup()
    key = upload(store, uploads, ticket, "invoice.pdf", b"MZ\x90\x00" + bytes(200))

    with pytest.raises(UploadRefused, match="runs or renders"):
        uploads.attachments(ticket, [key])
    assert svc.sender.sent == []


def test_a_reply_names_only_files_uploaded_to_its_own_ticket():
    svc, store, uploads, ticket = setup()
    other = deliver_via(svc, make_mail(sender="else@customer.org", subject="Other")).ticket
    key = upload(store, uploads, other, "theirs.pdf", PDF)

    with pytest.raises(UploadRefused, match=f"not a file uploaded to {ticket}"):
        uploads.attachments(ticket, [key])
    with pytest.raises(UploadRefused, match="was not uploaded"):
        uploads.attachments(ticket, [key.replace(other, ticket)])
    with pytest.raises(UploadRefused, match="not a file uploaded"):
        uploads.attachments(ticket, ["archive/2026/01/01/x.eml"])


def test_an_object_larger_than_allowed_is_refused_without_being_read_whole():
    svc, store, uploads, ticket = setup(upload_max_bytes=1000)
    key = upload(store, uploads, ticket, "a.pdf", PDF[:900])
    store.objects[key] = ("application/pdf", (PDF * 2)[:5000])  # put there some other way

    with pytest.raises(UploadRefused, match="5000 bytes"):
        uploads.attachments(ticket, [key])


def test_files_too_large_for_ses_travel_as_time_limited_links():
    svc, store, uploads, ticket = setup(max_send_bytes=60_000)
    key = upload(store, uploads, ticket, "scan.pdf", PDF * 30)  # 120 KB: over the send limit

    sent = svc.outbound.reply(ticket, "agent", "The scan.", attachments=uploads.attachments(ticket, [key]))

    mail = message_from_bytes(svc.sender.sent[0].raw, policy=policy.default)
    [stored] = sent.attachments
    assert list(mail.iter_attachments()) == []
    assert (
        f"scan.pdf (117.7 KB): https://mail.example.com/{stored.key}"
        in mail.get_body(("plain",)).get_content()
    )


def test_no_upload_form_for_a_merged_ticket():
    svc, store, uploads, ticket = setup()
    survivor = deliver_via(svc, make_mail(sender="else@customer.org", subject="Other")).ticket
    svc.desk.desk.merge(ticket, "agent", survivor)
    with pytest.raises(MergedTicket):
        uploads.offer(ticket, "a.pdf", "application/pdf", 10)


def test_a_document_keeps_its_declared_type_and_an_untyped_file_gets_the_one_its_bytes_show():
    svc, store, uploads, ticket = setup()
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    word = upload(store, uploads, ticket, "offer.docx", b"PK\x03\x04" + bytes(100), docx)
    scan = upload(store, uploads, ticket, "scan", PDF, "application/octet-stream")

    got = uploads.attachments(ticket, [word, scan])

    assert [(a.filename, a.content_type) for a in got] == [("offer.docx", docx), ("scan", "application/pdf")]
