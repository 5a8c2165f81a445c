"""Chalice wiring only: each handler decodes its event, calls one service, maps errors."""

import json
import logging
import os

from chalice import Chalice, Rate

from chalicelib.api.announcement_routes import announcement_api
from chalicelib.api.composer_routes import composer_api
from chalicelib.api.file_link_routes import file_links
from chalicelib.api.reply_tools_routes import reply_tools
from chalicelib.api.staff_admin_routes import staff_admin
from chalicelib.api.staff_routes import staff_api
from chalicelib.api.unsubscribe_routes import unsubscribe
from chalicelib.console.routes import console
from chalicelib.observability import observed
from chalicelib.wiring import services

# Chalice would give its app logger ("inbound", parent of every inbound.* logger) a text
# handler on stdout at ERROR; the functions log JSON through chalicelib/observability.py
# instead, at INFO: the pipeline's warnings (lossy decoding, refused sends) are worth keeping.
app = Chalice(app_name="inbound", configure_logs=False)
app.log.setLevel(logging.INFO)
# The staff API (/api/tickets, /api/suspended, ...) and its token check on every route but /api/health.
app.register_blueprint(staff_api, url_prefix="/api")
app.register_blueprint(staff_admin, url_prefix="/api")  # admins only: list, invite, disable, roles
app.register_blueprint(announcement_api, url_prefix="/api")  # admins only: announcements
app.register_blueprint(composer_api, url_prefix="/api")  # reply attachments' upload forms
app.register_blueprint(reply_tools, url_prefix="/api")  # saved replies, profile, preview
app.register_blueprint(console)  # the staff console at /: page, assets, sign-in proxy; no token
app.register_blueprint(unsubscribe)  # /u/<token>: announcements' one-click unsubscribe; no token
app.register_blueprint(file_links)  # /files/<token>: large attachments' links in mail; no token

# Read at import because Chalice wires event sources from the decorators; the
# stage's value comes from .chalice/config.json.
INGEST_QUEUE = os.environ.get("INBOUND_INGEST_QUEUE", "inbound-dev-ingest")
FEEDBACK_QUEUE = os.environ.get("INBOUND_FEEDBACK_QUEUE", "inbound-dev-feedback")
ANNOUNCE_QUEUE = os.environ.get("INBOUND_ANNOUNCE_QUEUE", "inbound-dev-announce")
OUTBOX_QUEUE = os.environ.get("INBOUND_OUTBOX_QUEUE", "inbound-dev-outbox")
# Lambda scales an SQS source up to 1,000 concurrent batches; these caps keep a mail
# flood from exhausting the account's concurrency or SES's sending rate (each new ticket
# sends an acknowledgement) while the queue holds the rest. AWS's minimum is 2.
INGEST_CONCURRENCY, FEEDBACK_CONCURRENCY = 5, 2


@app.on_sqs_message(queue=INGEST_QUEUE, batch_size=10, name="ingest", maximum_concurrency=INGEST_CONCURRENCY)
@observed
def ingest(event):
    svc = services()
    result = svc.ingest.ingest_batch((r.to_dict()["messageId"], r.body) for r in event)
    return result.response(svc.settings.partial_batch_responses)


@app.on_sqs_message(
    queue=FEEDBACK_QUEUE, batch_size=10, name="record_feedback", maximum_concurrency=FEEDBACK_CONCURRENCY
)
@observed
def record_feedback(event):
    svc = services()
    result = svc.feedback.record_batch((r.to_dict()["messageId"], r.body) for r in event)
    return result.response(svc.settings.partial_batch_responses)


# One message (up to 50 recipients) per invocation: a failure redelivers that batch alone,
# and the recipients' conditional claims make the redelivery send nothing twice. Two at a
# time share the account's send rate (chalicelib/services/announcement_sending.py).
@app.on_sqs_message(queue=ANNOUNCE_QUEUE, batch_size=1, name="send_announcement", maximum_concurrency=2)
@observed
def send_announcement(event):
    sender = services().announcement_sender
    for record in event:
        sender.send_batch(json.loads(record.body))


# Undo-send: each held reply's queue message arrives when its window has passed; the send
# claims the reply first, so an undo that came earlier wins (chalicelib/services/held_replies.py).
@app.on_sqs_message(queue=OUTBOX_QUEUE, batch_size=1, name="send_reply", maximum_concurrency=5)
@observed
def send_reply(event):
    held = services().held_replies
    for record in event:
        body = json.loads(record.body)
        held.send_due(body["ticket"], body["hold"])


@app.route("/api/health")
def health():
    return {"status": "ok"}


@app.schedule(Rate(15, unit=Rate.MINUTES), name="sweep_incoming")
@observed
def sweep_incoming(event):
    report = services().sweeper.sweep()
    breaches = services().sla_sweep.sweep()
    return {
        "redriven": len(report.redriven),
        "failed": len(report.failed),
        "quarantined": len(report.quarantined),
        "sla_breaches": len(breaches.breaches),
    }
