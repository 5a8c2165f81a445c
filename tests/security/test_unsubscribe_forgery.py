"""Nobody can opt a stranger out of announcements, and a link scanner opts nobody out.

GIVEN the app's one-click unsubscribe route (no sign-in, as RFC 8058 requires) WHEN an attacker
POSTs a token they made themselves (alice's address with a MAC of their own, bob's MAC on
alice's address, alice's address under another list, garbage) THEN the answer is 400 "not
valid" and alice stays subscribed. WHEN a mail scanner follows the link with GET THEN it sees
a confirmation page and nothing changes; only the POST opts out, and only of announcements:
the suppression list, which ticket replies go through, stays as it was.
"""

from __future__ import annotations

from email import message_from_bytes, policy

from chalicelib.domain.announcements import EVENT_MOVES, Recipient, RecipientState, unsubscribe_token

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"
SENT = RecipientState.SENT


def _opted_out(api, address: str) -> bool:
    return address in api.stack.services.announcements.ports.store.opted_out([address])


def test_forged_tokens_opt_nobody_out(api):
    alice, bob = "alice@customer.org", "bob@customer.org"
    real = unsubscribe_token(api.stack.secret(), alice)
    forged = [
        unsubscribe_token(b"attacker's own secret, 32 bytes!", alice),
        real.partition(".")[0] + "." + unsubscribe_token(api.stack.secret(), bob).partition(".")[2],
        unsubscribe_token(api.stack.secret(), alice, list_name="another-list"),
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


def _sent(api, *addresses: str) -> tuple[str, dict[str, str]]:
    """An announcement sent to `addresses`: its id, and the one-click link (path) each one's
    mail carries."""
    svc = api.stack.services
    recipients = [Recipient(a) for a in addresses]
    announcement = svc.announcements.create(svc.announcements.draft("support", "News", "Hi", recipients))
    store, at = svc.announcements.ports.store, "2026-12-08T03:00:00.000Z"
    links = {}
    for r in recipients:  # sent: claimed, then settled by SES's Send event (no pacing to wait out)
        assert store.claim(announcement.id, r.address, at)
        assert store.settle(announcement.id, r.address, SENT, EVENT_MOVES[SENT], at, "")
        mail = message_from_bytes(svc.announcements.build(announcement, r), policy=policy.default)
        url = str(mail["List-Unsubscribe"]).split(",")[0].strip(" <>")
        links[r.address] = url[url.index("/u/") :]
    return announcement.id, links


def _states(api, address: str, *announcements: str) -> list[str]:
    store = api.stack.services.announcements.ports.store
    return [store.recipient(a, address).state for a in announcements]


def _click(api, path: str) -> int:
    return api.client.http.post(path, headers=FORM, body=ONE_CLICK).status_code


def test_an_opt_out_counts_against_the_announcement_its_link_came_with_alone(api):
    """Attack: the link's `?a=<announcement>` was not signed, so a recipient (or anyone holding
    an older link) could count their opt-out against any announcement's report: its
    unsubscribed count, the figure an admin reads to judge it. The token now signs the
    announcement: `?a=` is read no more, a token whose announcement part was swapped is not
    valid, and an older token (mail already sent) still opts out, counted against none."""
    alice, bob = "alice@customer.org", "bob@customer.org"
    offer, _ = _sent(api, alice, bob)
    news, links = _sent(api, alice)

    older = unsubscribe_token(api.stack.secret(), bob)  # a link sent before, its `?a=` unsigned
    assert _click(api, f"/u/{older}?a={offer}") == 200 and _opted_out(api, bob)
    assert _states(api, bob, offer) == ["sent"]

    assert _click(api, f"{links[alice]}?a={offer}") == 200 and _opted_out(api, alice)
    assert _states(api, alice, news, offer) == ["unsubscribed", "sent"]

    address, _, mac = links[alice].removeprefix("/u/").split(".")
    offers_part = unsubscribe_token(api.stack.secret(), alice, offer).split(".")[1]
    assert _click(api, f"/u/{address}.{offers_part}.{mac}") == 400
    assert _states(api, alice, offer) == ["sent"]


def _games(token: str, other: str) -> list[str]:
    """What an attacker makes of alice's token and of `other` (bob's): each prefix, each part
    upper-cased, padded, doubled, dropped or swapped, bob's parts spliced into hers, and
    bytes no token holds."""
    a, n, m = token.split(".")
    b, bn, bm = other.split(".")
    made = [token[:cut] for cut in range(1, len(token))]
    made += [token.upper(), token.lower(), token.swapcase(), token + "=", token + "==", token + "."]
    made += [f"{a}=.{n}.{m}", f"{a}.{n}==.{m}", f"{a}.{n}.{m}=", f"{a}.{n}.{m}{m}", f"{a}.{m}", f"{a}.{n}"]
    made += [f"{n}.{a}.{m}", f"{a}.{m}.{n}", f"{m}.{n}.{a}", f"{a}.{a}.{m}", f"{a}..{m}", f".{n}.{m}"]
    made += [f"{b}.{n}.{m}", f"{a}.{bn}.{m}", f"{a}.{n}.{bm}", f"{b}.{m}", f"{a}{b}.{n}.{m}"]
    made += [
        f"{a}.{n}.{m}%00",
        f"{a}%2E{n}%2E{m}",
        f"{a}.{n}.{m[:-1]}\u00e9",
        "\u00e9.\u00e9.\u00e9",
        "." * 400,
    ]
    return made


def test_no_game_with_a_token_opts_out_another_address_or_fails_the_route(api):
    """GIVEN alice's and bob's one-click links for one announcement WHEN an attacker holding
    alice's posts and gets every variant of it (truncated, case-changed, padded, parts swapped
    or spliced with bob's, junk bytes) THEN no answer is a 500, bob stays subscribed, and a
    variant is honoured only as an opt-out of alice herself."""
    alice, bob = "alice@customer.org", "bob@customer.org"
    news, links = _sent(api, alice, bob)
    token, bobs = links[alice].removeprefix("/u/"), links[bob].removeprefix("/u/")
    answers = set()
    for game in _games(token, bobs):
        answers.add(api.client.http.get(f"/u/{game}").status_code)
        answers.add(_click(api, f"/u/{game}"))
        assert not _opted_out(api, bob), game
    assert answers == {200, 400}, answers  # 200: padding, which names alice still
    assert _states(api, bob, news) == ["sent"]
    assert _click(api, f"/u/{bobs}") == 200 and _opted_out(api, bob)
