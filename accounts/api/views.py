from collections.abc import Mapping
from dataclasses import asdict

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers
from accounts.jwt import jwks
from accounts.models import ChallengePurpose
from accounts.origin import request_origin
from accounts.permissions import UserAccountPermission
from accounts.selectors import user_list
from accounts.services import PendingLogin, TokenPair
from accounts.throttles import AccountPasswordThrottle, AuthThrottle, ConfirmThrottle, UsernameThrottle

AUTH_TAG = ["auth"]


def _tokens(pair: TokenPair) -> Response:
    # Credentials must not be stored by browsers or proxies (RFC 6749 §5.1).
    return Response(asdict(pair), headers={"Cache-Control": "no-store"})


class PublicAuthView(APIView):
    """An endpoint that hands out or checks credentials: no caller identity, throttled per IP.

    Declared authentication would reject a stale `Authorization` header before the body is read;
    the header below keeps DRF answering 401 (not 403) when the credentials in the body are bad.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (AuthThrottle,)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class PasswordLoginView(PublicAuthView):
    throttle_classes = (AuthThrottle, UsernameThrottle)

    @extend_schema(
        tags=AUTH_TAG,
        summary="Log in with username and password",
        request=serializers.PasswordLoginSerializer,
        responses={
            200: serializers.TokenPairSerializer,
            202: OpenApiResponse(
                serializers.PendingLoginSerializer,
                description="The account has Telegram linked: confirm in the bot, then call telegram/confirm/.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.PasswordLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.password_login(**serializer.validated_data, request=request._request)
        if isinstance(result, PendingLogin):
            return _pending(result)
        return _tokens(result)


class RefreshView(PublicAuthView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Rotate a refresh token",
        description="Returns a new pair; the presented refresh token is blacklisted and never works again.",
        request=serializers.RefreshSerializer,
        responses={200: serializers.TokenPairSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _tokens(services.tokens_refresh(refresh=serializer.validated_data["refresh"]))


class VerifyView(PublicAuthView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Check a token",
        description="200 when the access or refresh token would be accepted now, 401 otherwise.",
        request=serializers.TokenSerializer,
        responses={200: serializers.TokenClaimsSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.TokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claims = services.token_verify(token=serializer.validated_data["token"])
        return Response(serializers.TokenClaimsSerializer(claims).data)


class LogoutView(PublicAuthView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Log out",
        description="Blacklists the refresh token. Access tokens already issued expire on their own (minutes).",
        request=serializers.RefreshSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.tokens_revoke(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class TelegramLoginView(PublicAuthView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Sign in with the Telegram Login Widget",
        request=serializers.TELEGRAM_WIDGET_BODY,
        responses={200: serializers.TokenPairSerializer, 503: OpenApiResponse(description="No bot configured.")},
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.TelegramWidgetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identity = services.telegram_widget_identity(fields=serializer.validated_data)
        return _tokens(services.telegram_login(identity=identity))


class TelegramWebAppView(PublicAuthView):
    @extend_schema(
        tags=AUTH_TAG,
        summary="Sign in from the Telegram Mini App",
        request=serializers.TelegramWebAppSerializer,
        responses={200: serializers.TokenPairSerializer, 503: OpenApiResponse(description="No bot configured.")},
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.TelegramWebAppSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identity = services.telegram_webapp_identity(init_data=serializer.validated_data["init_data"])
        return _tokens(services.telegram_login(identity=identity))


class TelegramConfirmView(PublicAuthView):
    throttle_classes = (ConfirmThrottle,)

    @extend_schema(
        tags=AUTH_TAG,
        summary="Collect the tokens of a bot-confirmed login",
        description=(
            "Poll after the 202 of token/: 409 until confirmed in the bot, then 200 once, then 410; "
            "403 when the login was denied in the bot."
        ),
        request=serializers.VerificationSerializer,
        responses={
            200: serializers.TokenPairSerializer,
            403: OpenApiResponse(description="Denied in Telegram."),
            409: OpenApiResponse(description="Not confirmed in Telegram yet."),
            410: OpenApiResponse(description="Expired or already used: log in again."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = serializers.VerificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _tokens(services.telegram_login_complete(**serializer.validated_data))


def _pending(pending: PendingLogin) -> Response:
    body = {"verification_required": True, **asdict(pending)}
    return Response(serializers.PendingLoginSerializer(body).data, status=status.HTTP_202_ACCEPTED)


PENDING_CHANGE = OpenApiResponse(
    serializers.PendingLoginSerializer,
    description="`confirm_with: telegram`: confirm in the linked Telegram, then repeat with `verification_id`.",
)


class TelegramLinkView(APIView):
    throttle_classes = (AuthThrottle, AccountPasswordThrottle)

    @extend_schema(
        tags=AUTH_TAG,
        summary="Link the caller's Telegram account",
        description=(
            "With Login Widget fields: links that Telegram account now (200). Replacing another linked "
            "Telegram account needs `password` (wrong: 403; missing: 400), or `confirm_with: telegram` (202; "
            "the linked account confirms in the bot, then send `{verification_id}`: 200, 409 pending, 403 denied, "
            "410 expired or used). With an empty body: returns a bot link (201); sending `/start link-<nonce>` "
            "from Telegram links the sender."
        ),
        request=serializers.TELEGRAM_LINK_BODY,
        responses={
            200: serializers.TelegramLinkedSerializer,
            201: serializers.LinkInvitationSerializer,
            202: PENDING_CHANGE,
            409: OpenApiResponse(description="That Telegram account is linked to another user."),
            410: OpenApiResponse(description="The confirmation expired or was used."),
        },
    )
    def post(self, request: Request) -> Response:
        if not request.data:
            invitation = services.telegram_link_invitation_create(user=request.user)
            return Response(
                serializers.LinkInvitationSerializer(asdict(invitation)).data, status=status.HTTP_201_CREATED
            )
        body = request.data if isinstance(request.data, Mapping) else {}
        ours = serializers.PROOF_FIELDS
        proof = serializers.TelegramProofSerializer(data={k: v for k, v in body.items() if k in ours})
        proof.is_valid(raise_exception=True)
        if "verification_id" in proof.validated_data:
            if set(body) != {"verification_id"}:
                raise ValidationError(
                    {"verification_id": [_("Send verification_id alone to finish a confirmed change.")]}
                )
            user = services.telegram_change_complete(
                user=request.user, purpose=ChallengePurpose.RELINK, **proof.validated_data
            )
            return Response(serializers.TelegramLinkedSerializer(user).data)
        serializer = serializers.TelegramWidgetSerializer(
            data={k: v for k, v in body.items() if k not in ours} if body else request.data
        )
        serializer.is_valid(raise_exception=True)
        result = services.telegram_link_with_widget(
            user=request.user,
            fields=serializer.validated_data,
            password=proof.validated_data.get("password"),
            confirm_in_telegram="confirm_with" in proof.validated_data,
            origin=request_origin(request),
        )
        if isinstance(result, PendingLogin):
            return _pending(result)
        return Response(serializers.TelegramLinkedSerializer(result).data)

    @extend_schema(
        tags=AUTH_TAG,
        summary="Unlink the caller's Telegram account",
        description=(
            "Needs a fresh proof while Telegram is linked: `password` (wrong: 403; missing: 400), or "
            "`confirm_with: telegram` (202; the linked account confirms in the bot, then send "
            "`{verification_id}`: 204, 409 pending, 403 denied, 410 expired or used)."
        ),
        request=serializers.TelegramProofSerializer,
        responses={204: None, 202: PENDING_CHANGE},
    )
    def delete(self, request: Request) -> Response:
        proof = serializers.TelegramProofSerializer(data=request.data)
        proof.is_valid(raise_exception=True)
        if "verification_id" in proof.validated_data:
            services.telegram_change_complete(
                user=request.user, purpose=ChallengePurpose.UNLINK, **proof.validated_data
            )
        elif "confirm_with" in proof.validated_data:
            return _pending(
                services.telegram_change_request(
                    user=request.user, purpose=ChallengePurpose.UNLINK, origin=request_origin(request)
                )
            )
        else:
            services.telegram_unlink(user=request.user, password=proof.validated_data.get("password"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JwksView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=AUTH_TAG,
        summary="Public keys that verify this server's tokens (JWKS)",
        responses={200: serializers.JwksSerializer},
    )
    def get(self, request: Request) -> Response:
        return Response(jwks(), headers={"Cache-Control": "public, max-age=300"})


@extend_schema_view(
    list=extend_schema(summary="Users (ADMIN: all; TRAINER: club clients)"),
    create=extend_schema(summary="Create a user (TRAINER: role USER only)"),
    destroy=extend_schema(summary="Soft-delete a user: it can no longer sign in and its tokens stop working"),
)
@extend_schema(tags=["users"])
class UserViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.UserSerializer
    permission_classes = (UserAccountPermission,)
    filterset_fields = ["role"]
    search_fields = ["username", "email"]
    ordering_fields = ["username", "email", "created_at", "last_login"]
    ordering = ["username"]

    def get_queryset(self):
        return user_list(user=self.request.user)

    def perform_create(self, serializer) -> None:
        serializer.instance = services.user_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer) -> None:
        serializer.instance = services.user_update(
            actor=self.request.user, user=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance) -> None:
        services.user_soft_delete(user=instance, actor=self.request.user)
