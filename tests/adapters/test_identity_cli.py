"""`inbound identity` and `inbound authorize-sender` against the local stack, with no AWS
credentials in the shell, under the AWS contract hook.

The stack is moto's server on loopback, provisioned as `inbound up` provisions it, with its
`stack.json` and the SES emulator in the sandbox: an address added is pending until the link
SES mails it (to the outbox) is followed, and only then may the guard send to it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from inbound.cli import main
from inbound.local import ses_identities
from inbound.local.embedded import REGION
from inbound.local.ses_outbox import read_outbox
from tests.support.ses_emulation import emulated_ses
from tests.support.stack_dir import running_stack, without_aws_credentials

GINA = "gina@customer.org"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with (
        running_stack(tmp_path_factory.mktemp("data")) as stack_dir,
        emulated_ses(stack_dir.endpoint, stack_dir.stack, stack_dir.data_dir, sandbox=True) as emulator,
    ):
        yield SimpleNamespace(data_dir=stack_dir.data_dir, stack=stack_dir.stack, emulator=emulator)


@pytest.fixture(autouse=True)
def bare_shell(monkeypatch, tmp_path, running):
    """No AWS credentials, profile or config; the commands run in the stack's folder."""
    without_aws_credentials(monkeypatch, tmp_path)


def run(capsys, running, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(running.data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


def identities(capsys, running) -> dict[str, dict]:
    code, out, _ = run(capsys, running, "identity", "list", "--json")
    assert code == 0
    return {i["identity"]: i for i in map(json.loads, out.splitlines())}


def verification_link(running, address: str) -> str:
    mails = [m for m in read_outbox(running.data_dir) if m["to"] == [address]]
    assert mails, f"no verification mail to {address} in the outbox"
    assert mails[-1]["source"] == ses_identities.SES_SENDER
    text = (running.data_dir / "outbox" / mails[-1]["file"]).read_text()
    return next(line for line in text.splitlines() if "/confirm-verification?" in line)


def test_an_address_is_pending_until_the_link_ses_mailed_is_followed(capsys, running):
    code, out, _ = run(capsys, running, "identity", "add", GINA)
    assert code == 0 and "inbound outbox" in out
    listed = identities(capsys, running)
    assert listed[GINA] == {"identity": GINA, "type": "address", "status": "pending", "sending_enabled": True}
    assert listed["example.com"]["type"] == "domain" and listed["example.com"]["status"] == "success"

    with urllib.request.urlopen(verification_link(running, GINA)) as answer:
        assert answer.status == 200 and GINA in answer.read().decode()

    assert identities(capsys, running)[GINA]["status"] == "success"
    code, out, _ = run(capsys, running, "identity", "list")
    assert f"{GINA}\taddress\tsuccess" in out.splitlines()


def test_in_the_sandbox_the_guard_mails_an_added_address_only_once_it_is_verified(capsys, running):
    hank = "hank@customer.org"
    outbound = running.stack.services.outbound
    assert run(capsys, running, "identity", "add", hank)[0] == 0

    pending = outbound.check(hank, automatic=False)
    assert not pending.allowed and pending.reason == "sandbox"
    ses = running.stack.client("ses")
    attributes = ses.get_identity_verification_attributes(Identities=[hank])["VerificationAttributes"]
    assert attributes[hank]["VerificationStatus"] == "Pending"

    urllib.request.urlopen(verification_link(running, hank)).close()

    assert outbound.check(hank, automatic=False).allowed
    sent = ses.send_raw_email(
        Source="support@example.com",
        Destinations=[hank],
        RawMessage={
            "Data": f"From: support@example.com\r\nTo: {hank}\r\nSubject: hi\r\n\r\nhello\r\n".encode()
        },
    )
    assert sent["MessageId"]


def test_a_link_with_another_token_verifies_nothing(capsys, running):
    ivy = "ivy@customer.org"
    assert run(capsys, running, "identity", "add", ivy)[0] == 0
    forged = verification_link(running, ivy).replace("Context=", "Context=x")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged)
    assert refused.value.code == 400
    assert identities(capsys, running)[ivy]["status"] == "pending"


def test_address_identities_survive_a_restart_in_their_state(capsys, running):
    jo = "jo@customer.org"
    assert run(capsys, running, "identity", "add", jo)[0] == 0
    from moto.ses.models import ses_backends

    backend = ses_backends[running.emulator.account][REGION]
    backend.email_identities.pop(jo)  # as a new process's moto knows nothing of it

    ses_identities.restore(running.emulator)

    assert identities(capsys, running)[jo]["status"] == "pending"


def test_identity_mistakes_are_one_line_each(capsys, running):
    kim = "kim@customer.org"
    assert run(capsys, running, "identity", "add", kim)[0] == 0
    for argv, says in [
        (("identity", "add", kim), "is an identity already"),
        (("identity", "add", "not-an-address"), "is not an email address"),
        (("identity", "remove", "nobody@customer.org"), "no identity nobody@customer.org"),
        (("identity", "remove", "example.com"), "the stage's own domain"),
    ]:
        code, _, err = run(capsys, running, *argv)
        assert code == 1 and says in err and len(err.strip().splitlines()) == 1, err

    code, out, _ = run(capsys, running, "identity", "remove", kim)
    assert code == 0 and kim not in identities(capsys, running)


def policies(capsys, running) -> dict[str, dict]:
    code, out, _ = run(capsys, running, "authorize-sender", "--list", "--json")
    assert code == 0
    return {p["name"]: p["policy"] for p in map(json.loads, out.splitlines())}


def test_a_delegate_account_is_authorized_least_privilege_listed_and_revoked(capsys, running):
    code, out, _ = run(capsys, running, "authorize-sender", "--account", "111122223333")
    assert code == 0 and "inbound-delegate-111122223333 attached" in out
    (statement,) = policies(capsys, running)["inbound-delegate-111122223333"]["Statement"]
    assert statement["Principal"] == {"AWS": ["111122223333"]}
    assert statement["Action"] == ["ses:SendRawEmail"]
    assert statement["Resource"].endswith(":identity/example.com")
    assert statement["Condition"] == {"StringLike": {"ses:FromAddress": "*@example.com"}}

    code, out, _ = run(
        capsys, running, "authorize-sender", "--account", "111122223333",
        "--from", "billing*@example.com", "--actions", "ses:SendRawEmail", "SendEmail",
    )  # fmt: skip
    assert code == 0 and "updated" in out
    (statement,) = policies(capsys, running)["inbound-delegate-111122223333"]["Statement"]
    assert statement["Action"] == ["ses:SendRawEmail", "ses:SendEmail"]
    assert statement["Condition"]["StringLike"]["ses:FromAddress"] == "billing*@example.com"

    code, out, _ = run(capsys, running, "authorize-sender", "--list")
    assert "inbound-delegate-111122223333: Allow 111122223333 ses:SendRawEmail,ses:SendEmail" in out
    assert "if ses:FromAddress StringLike billing*@example.com" in out

    code, out, _ = run(capsys, running, "authorize-sender", "--revoke", "inbound-delegate-111122223333")
    assert code == 0 and policies(capsys, running) == {}


def test_an_endpoint_named_as_a_stage_is_found_by_its_receipt_rule(capsys, running):
    # --endpoint-url: no stack.json; the domain comes from the stage's receipt rule, as for --stage
    endpoint = ("--endpoint-url", running.stack.settings.endpoint_url, "--stage", "local")
    code, out, _ = run(capsys, running, "authorize-sender", "--account", "444455556666", *endpoint)
    assert code == 0 and out.startswith("example.com: policy inbound-delegate-444455556666 attached")
    code, out, _ = run(
        capsys, running, "authorize-sender", "--revoke", "inbound-delegate-444455556666", *endpoint
    )
    assert code == 0
    code, out, _ = run(capsys, running, "identity", "list", *endpoint)
    assert "example.com\tdomain\tsuccess" in out.splitlines()


def test_authorize_sender_mistakes_are_one_line_each(capsys, running):
    for argv, says in [
        (("--account", "12345"), "not an AWS account id"),
        (("--account", "111122223333", "--from", "*@elsewhere.org"), "is not an address of example.com"),
        (("--account", "111122223333", "--actions", "ses:DeleteIdentity"), "is not a sending action"),
        (("--account", "111122223333", "--name", "has.dots"), "letters, digits, dashes or underscores"),
        (("--revoke", "nothing-here"), "has no policy nothing-here"),
        (("--list", "--identity", "other.example"), "is not an SES identity of this account"),
        ((), "name the delegate"),
    ]:
        code, _, err = run(capsys, running, "authorize-sender", *argv)
        assert code == 1 and says in err and len(err.strip().splitlines()) == 1, err


def test_the_contract_refuses_a_policy_name_ses_refuses(running):
    v2 = running.stack.client("sesv2")
    with pytest.raises(ClientError) as refused:
        v2.create_email_identity_policy(EmailIdentity="example.com", PolicyName="has.dots", Policy="{}")
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
