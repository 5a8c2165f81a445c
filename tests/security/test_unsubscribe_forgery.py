"""Nobody can opt a stranger out of announcements, and a link scanner opts nobody out.

GIVEN the app's one-click unsubscribe route (no sign-in, as RFC 8058 requires) WHEN an attacker
POSTs a token they made themselves (alice's address with a MAC of their own, bob's MAC on
alice's address, alice's address under another list, garbage) THEN the answer is 400 "not
valid" and alice stays subscribed. WHEN a mail scanner follows the link with GET THEN it sees
a confirmation page and nothing changes; only the POST opts out, and only of announcements:
the suppression list, which ticket replies go through, stays as it was.
"""

from __future__ import annotations

from chalicelib.domain.announcements import unsubscribe_token

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"


def _opted_out(api, address: str) -> bool:
    return address in api.stack.services.announcements.ports.store.opted_out([address])


def test_forged_tokens_opt_nobody_out(api):
    alice, bob = "alice@customer.org", "bob@customer.org"
    real = unsubscribe_token(api.stack.secret(), alice)
    forged = [
        unsubscribe_token(b"attacker's own secret, 32 bytes!", alice),
        real.partition(".")[0] + "." + unsubscribe_token(api.stack.secret(), bob).partition(".")[2],
        unsubscribe_token(api.stack.secret(), alice, "another-list"),
        real.partition(".")[0],
        "%00..",
    ]
    for token in forged:
        answer = api.client.http.post(f"/u/{token}", headers=FORM, body=ONE_CLICK)
        assert answer.status_code == 400 and b"not valid" in answer.body, token
    assert not _opted_out(api, alice)


def test_a_get_only_asks_and_the_post_opts_out_of_announcements_only(api):
    alice = "alice@customer.org"
    token = unsubscribe_token(api.stack.secret(), alice)
    page = api.client.http.get(f"/u/{token}")
    assert page.status_code == 200 and b"<form method='post'" in page.body
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert not _opted_out(api, alice)
    done = api.client.http.post(f"/u/{token}", headers=FORM, body=ONE_CLICK)
    assert done.status_code == 200 and b"You are unsubscribed" in done.body
    assert _opted_out(api, alice)
    assert api.stack.services.suppression.check(alice)["suppressed"] is False


def test_the_confirmation_page_posts_back_to_itself_whatever_the_link_says(api):
    """A link made by anyone (`/u/javascript:alert(1)`, `?a=` with markup) must not make the
    page's form post elsewhere or run script: only the page's CSP stood in the way."""
    import re

    for path in ("/u/javascript:alert(document.domain)", "/u/data:text,x", "/u/t?a=%27%20onclick%3Dalert(1)"):
        page = api.client.http.get(path).body.decode()
        [action] = re.findall(r"action='([^']*)'", page)
        assert action.startswith("./") and ":" not in action, (path, action)
        assert not re.search(r"['\"<>\s]", action), (path, action)
