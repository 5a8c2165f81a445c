"""Chalice wiring only: each handler decodes its event, calls one service, maps errors."""

import os

from chalice import Chalice

from chalicelib.wiring import services

app = Chalice(app_name="inbound")

# Read at import because Chalice wires event sources from the decorators; the
# stage's value comes from .chalice/config.json.
INGEST_QUEUE = os.environ.get("INBOUND_INGEST_QUEUE", "inbound-dev-ingest")


@app.on_sqs_message(queue=INGEST_QUEUE, batch_size=10, name="ingest")
def ingest(event):
    svc = services()
    result = svc.intake.ingest_batch((r.to_dict()["messageId"], r.body) for r in event)
    return result.response(svc.settings.partial_batch_responses)


@app.route("/api/health")
def health():
    return {"status": "ok"}
