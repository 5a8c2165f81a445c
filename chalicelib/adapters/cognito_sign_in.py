"""Staff sign-in against the Cognito user pool, for the console's same-origin proxy.

USER_PASSWORD_AUTH, the NEW_PASSWORD_REQUIRED challenge that agents added with a one-time
password meet first, and REFRESH_TOKEN_AUTH. These are Cognito's public (unauthenticated)
operations: requests go unsigned, so no credentials or IAM permissions are needed.
Cognito's refusals become SignInRefused with an HTTP status and a stable code, chosen by
error code, never by message text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.frozen import frozen
from chalicelib.errors import InboundError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class SignInRefused(InboundError):
    """Cognito refused the sign-in; `status` and `code` are what the console is told."""

    def __init__(self, status: int, code: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.code = code
        self.reason = reason


# Wrong password and unknown user read the same, so the form cannot probe for agents.
_WRONG = (401, "unauthorized", "wrong email or password")
_REFUSALS: dict[str, tuple[int, str, str]] = {
    "NotAuthorizedException": _WRONG,
    "UserNotFoundException": _WRONG,
    "UserNotConfirmedException": (403, "not_confirmed", "this account is not confirmed yet"),
    "PasswordResetRequiredException": (
        403,
        "password_reset_required",
        "an administrator reset this password; ask for a new one-time password",
    ),
    "TooManyRequestsException": (429, "rate_limited", "too many attempts; wait a minute and try again"),
    "LimitExceededException": (429, "rate_limited", "too many attempts; wait a minute and try again"),
    "TooManyFailedAttemptsException": (429, "rate_limited", "too many failed attempts; try again later"),
    "CodeMismatchException": (401, "unauthorized", "the sign-in session has expired; start again"),
    "ExpiredCodeException": (401, "unauthorized", "the sign-in session has expired; start again"),
}


# Cognito's SessionType: the challenge token RespondToAuthChallenge takes back.
SESSION_LENGTH = (20, 2048)
MALFORMED_SESSION = "the sign-in session is malformed; sign in again with the one-time password"


@frozen
class SignInResult:
    """Tokens, or the challenge to answer first (then `session` carries it)."""

    id_token: str = ""
    access_token: str = ""
    refresh_token: str = ""
    expires_in: int = 0
    challenge: str = ""
    session: str = ""

    def as_json(self) -> dict[str, Any]:
        if self.challenge:
            return {"challenge": self.challenge, "session": self.session}
        return {
            "id_token": self.id_token,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token or None,
            "expires_in": self.expires_in,
        }


class CognitoSignIn:
    def __init__(self, client: CognitoIdentityProviderClient, client_id: str) -> None:
        self._cognito = client
        self._client_id = client_id

    def password(self, email: str, password: str) -> SignInResult:
        return self._call(
            "initiate_auth",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )

    def new_password(self, email: str, session: str, new_password: str) -> SignInResult:
        if not SESSION_LENGTH[0] <= len(session) <= SESSION_LENGTH[1]:
            raise SignInRefused(400, "invalid_request", MALFORMED_SESSION)
        return self._call(
            "respond_to_auth_challenge",
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password},
        )

    def refresh(self, refresh_token: str) -> SignInResult:
        # An empty token is no token: Cognito's answer to it is not a wrong-token code (moto's
        # ResourceNotFoundException became a 502 here), and it is refused as a wrong one is.
        if not refresh_token.strip():
            raise SignInRefused(*_WRONG)
        return self._call(
            "initiate_auth",
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )

    def _call(self, operation: str, **params: Any) -> SignInResult:
        from botocore.exceptions import ClientError, ParamValidationError

        if not self._client_id:
            raise SignInRefused(503, "misconfigured", "staff sign-in is not configured (no app client)")
        try:
            answer = getattr(self._cognito, operation)(ClientId=self._client_id, **params)
        except ClientError as exc:
            raise _refusal(exc) from exc
        except ParamValidationError as exc:
            # botocore's own checks of Cognito's model (lengths, types); its text can quote
            # what was sent, a password included, so the reason is ours.
            raise SignInRefused(400, "invalid_request", "the sign-in request is malformed") from exc
        return _result(answer)


def _refusal(exc: Any) -> SignInRefused:
    from chalicelib.adapters.aws_errors import error_code  # botocore: not at the app's import

    code = error_code(exc)
    if code == "InvalidPasswordException":  # the pool's password policy: its words help
        message = str(exc.response.get("Error", {}).get("Message", "")) or "password does not meet the policy"
        return SignInRefused(422, "invalid_password", message)
    if code in ("InvalidParameterException",):
        return SignInRefused(400, "invalid_request", "email and password are required")
    status, stable, reason = _REFUSALS.get(
        code, (502, "sign_in_failed", f"sign-in failed ({code or 'error'})")
    )
    return SignInRefused(status, stable, reason)


def _result(answer: dict[str, Any]) -> SignInResult:
    challenge = str(answer.get("ChallengeName") or "")
    if challenge:
        if challenge != "NEW_PASSWORD_REQUIRED":
            raise SignInRefused(
                501, "unsupported_challenge", f"sign-in asks for {challenge}, which the console cannot answer"
            )
        return SignInResult(challenge=challenge, session=str(answer.get("Session") or ""))
    tokens = answer.get("AuthenticationResult") or {}
    return SignInResult(
        id_token=str(tokens.get("IdToken", "")),
        access_token=str(tokens.get("AccessToken", "")),
        refresh_token=str(tokens.get("RefreshToken", "")),
        expires_in=int(tokens.get("ExpiresIn", 3600)),
    )
