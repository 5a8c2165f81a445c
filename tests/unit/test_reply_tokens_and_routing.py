"""Reply addresses and mailbox routing."""

from chalicelib.domain.reply_tokens import normalise_ticket_id, read_token, reply_address
from chalicelib.domain.routing import route

SECRET = b"0123456789abcdef0123456789abcdef"
OLD = b"previous-secret-previous-secret!"
MAILBOXES = {"support@example.com": "support", "billing@example.com": "billing"}


def test_reply_address_round_trips_and_verifies():
    """GIVEN a signed reply address WHEN read back THEN it names the ticket and verifies."""
    address = reply_address(SECRET, "support@example.com", "T-1042")
    assert address.startswith("support+T-1042.") and address.endswith("@example.com")
    claim = read_token((SECRET,), address)
    assert claim is not None and claim.ticket_id == "T-1042" and claim.valid


def test_token_survives_a_mail_system_lower_casing_the_local_part():
    address = reply_address(SECRET, "support@example.com", "T-7").lower()
    claim = read_token((SECRET,), address)
    assert claim is not None and claim.ticket_id == "T-7" and claim.valid


def test_forged_token_for_another_ticket_does_not_verify():
    """GIVEN the token of T-1 pasted onto T-2 THEN the claim for T-2 is invalid."""
    good = reply_address(SECRET, "support@example.com", "T-1")
    token = good.split(".")[1].split("@")[0]
    claim = read_token((SECRET,), f"support+T-2.{token}@example.com")
    assert claim is not None and claim.ticket_id == "T-2" and not claim.valid


def test_token_signed_for_another_mailbox_does_not_verify():
    billing = reply_address(SECRET, "billing@example.com", "T-1")
    token = billing.split(".")[1].split("@")[0]
    claim = read_token((SECRET,), f"support+T-1.{token}@example.com")
    assert claim is not None and not claim.valid


def test_a_token_cut_short_or_padded_out_does_not_verify():
    """The whole token or nothing: a prefix of the right one (a guess of one hex digit in
    sixteen) is no proof, nor is the right one with more after it."""
    address = reply_address(SECRET, "support@example.com", "T-1")
    local, _, domain = address.partition("@")
    for cut in (1, 4, len(local.rpartition(".")[2]) - 1):
        claim = read_token((SECRET,), f"{local[: len(local) - cut]}@{domain}")
        assert claim is not None and not claim.valid, cut
    claim = read_token((SECRET,), f"{local}0@{domain}")
    assert claim is not None and not claim.valid


def test_previous_secret_still_verifies_during_rotation():
    address = reply_address(OLD, "support@example.com", "T-5")
    assert read_token((SECRET, OLD), address).valid
    assert not read_token((SECRET,), address).valid


def test_bare_ticket_tag_without_token_is_a_claim_that_never_verifies():
    claim = read_token((SECRET,), "support+T-9@example.com")
    assert claim is not None and claim.ticket_id == "T-9" and not claim.valid


def test_plus_tag_that_is_not_a_ticket_is_no_claim():
    assert read_token((SECRET,), "support+newsletter@example.com") is None
    assert read_token((SECRET,), "support@example.com") is None


def test_ticket_ids_are_normalised():
    assert normalise_ticket_id("t-0042") == "T-42"
    assert normalise_ticket_id("T-x") is None


def test_configured_recipient_decides_the_mailbox():
    assert route(("billing@example.com",), MAILBOXES, "example.com", "support").mailbox == "billing"


def test_plus_address_routes_by_its_base_and_keeps_the_tag():
    found = route(("Billing+T-3.abc@Example.com",), MAILBOXES, "example.com", "support")
    assert found.mailbox == "billing" and found.tag == "t-3.abc"


def test_configured_mailbox_wins_over_an_earlier_unknown_recipient_of_the_domain():
    found = route(("sales@example.com", "billing@example.com"), MAILBOXES, "example.com", "support")
    assert found.mailbox == "billing"


def test_unknown_recipient_of_the_domain_goes_to_the_default_mailbox():
    found = route(("whoever@example.com",), MAILBOXES, "example.com", "support")
    assert found.mailbox == "support" and found.address == "whoever@example.com"


def test_foreign_recipients_still_get_a_mailbox():
    assert route(("a@elsewhere.org",), MAILBOXES, "example.com", "support").mailbox == "support"
