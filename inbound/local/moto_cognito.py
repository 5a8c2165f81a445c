"""moto's Cognito as strict as Cognito about whose new-password challenge is answered (moto 5.2.5).

RespondToAuthChallenge takes the Session InitiateAuth returned and, in ChallengeResponses,
the USERNAME it is for. Cognito ties the session to the user it was issued to and refuses
another USERNAME with it (NotAuthorizedException, "Invalid session for the user."). moto
looks the USERNAME up and sets that user's password: on `inbound up` and every test stack,
an agent holding a one-time password could answer their own challenge with a colleague's
address and choose the colleague's password. The console's proxy binds the session to its
address itself (domain/sign_in_challenges.py); this makes the emulator refuse it too, as the
service does, for any other caller. Both names are resolved to the pool's user first, so the
email alias and the username (what a pool with UsernameAttributes=email signs in with) are
one user, as in Cognito.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Patch moto's Cognito user pools in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.cognitoidp.exceptions import NotAuthorizedError
    from moto.cognitoidp.models import CognitoIdpBackend

    answer = CognitoIdpBackend.respond_to_auth_challenge

    def respond_to_auth_challenge(
        self: Any, session: str, client_id: str, challenge_name: str, challenge_responses: dict[str, str]
    ) -> Any:
        begun = self.sessions.get(session)
        if challenge_name == "NEW_PASSWORD_REQUIRED" and begun is not None:
            owner, pool = begun
            named = str(challenge_responses.get("USERNAME") or "")
            if self.admin_get_user(pool.id, named) is not self.admin_get_user(pool.id, owner):
                raise NotAuthorizedError("Invalid session for the user.")
        return answer(self, session, client_id, challenge_name, challenge_responses)

    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    _installed = True
