"""Bearer authentication of the API: simplejwt's checks, with one clear message per refusal.

simplejwt answers every bad token with "Given token not valid for any token type" plus a list of
per-class messages; an app developer should read in one sentence what is wrong and what to do.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.tokens import LiveFeedToken, claimed_token_type

ACCOUNT_GONE = _("The account of this token no longer exists or was deactivated.")
LIVE_FEED_ONLY = _(
    "Access token refused: this is the live page's token, which only opens WS /ws/live; "
    "the API takes an access token from /api/auth/token/."
)

NOT_OURS = _("it is malformed or not signed by this server (RS256, a known kid, our issuer and audience)")
# simplejwt's reasons (TokenError messages) → what the caller should do about them.
_HINTS = {
    "access": {
        "Token has wrong type": _(
            "this is not an access token; a refresh token only works at /api/auth/token/refresh/"
        ),
        "Token is expired": _("it has expired; get a new pair at /api/auth/token/refresh/"),
        "Token is invalid": NOT_OURS,
    },
    "refresh": {
        "Token has wrong type": _("this is not a refresh token; an access token cannot be refreshed"),
        "Token is expired": _("it has expired; log in again"),
        "Token is blacklisted": _("it is blacklisted (already used once, or logged out); log in again"),
        "Token is invalid": NOT_OURS,
    },
}


_REFUSED = {"access": _("Access token refused: %(reason)s."), "refresh": _("Refresh token refused: %(reason)s.")}


def _reason(error: TokenError) -> str:
    # simplejwt's reasons are lazily translated: read them in English, the language of the _HINTS keys.
    with translation.override("en"):
        return str(error.args[0]) if error.args else str(error)


def refusal_message(kind: str, error: TokenError) -> str:
    """`Access token refused: it has expired; …` — the reason simplejwt found, said for a person."""
    reason = _reason(error)
    hint = _HINTS[kind].get(reason, reason[:1].lower() + reason[1:])
    return _REFUSED[kind] % {"reason": hint}


class BearerAuthentication(JWTAuthentication):
    """`Authorization: Bearer <access>`: an RS256 access token of a live account, nothing else."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return AccessToken(raw_token)  # type: ignore[arg-type]  # simplejwt annotates "Token | None" but reads the encoded token
        except TokenError as error:
            detail = refusal_message("access", error)
            # "Wrong type" comes only after the signature checked out, so the claimed type is ours.
            if _reason(error) == "Token has wrong type" and claimed_token_type(raw_token) == LiveFeedToken.token_type:
                detail = str(LIVE_FEED_ONLY)
            raise InvalidToken({"detail": detail, "code": "token_not_valid"}) from error

    def get_user(self, validated_token: Token):
        try:
            return super().get_user(validated_token)
        except InvalidToken:
            raise
        except AuthenticationFailed as error:
            # Soft-deleted (inactive) or gone: every token of the account stops working at once.
            # Said like every other refused token (`{"detail": …, "code": "token_not_valid"}`), not
            # with simplejwt's nested code object.
            raise InvalidToken({"detail": ACCOUNT_GONE, "code": "token_not_valid"}) from error
