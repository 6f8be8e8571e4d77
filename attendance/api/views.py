import datetime

import segno
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attendance import cards, selectors, services
from attendance.api.filters import VisitFilter
from attendance.api.serializers import (
    CheckInRequestSerializer,
    CheckInResultSerializer,
    MemberCardSerializer,
    PrintedCardSerializer,
    VisitSerializer,
)
from attendance.permissions import CanCheckIn, CanIssueMemberCards, has_member_card
from club.selectors import client_list
from core.parsers import JSONParser


def member_card(user) -> dict:
    """The caller's phone card: a payload valid MEMBER_CARD_MAX_AGE seconds from now."""
    if not has_member_card(user):
        raise exceptions.NotFound(gettext("Only a club member (an account with a client profile) has a member card."))
    return {
        "qr_payload": cards.phone_card_payload(user.client.pk),
        "expires_at": timezone.now() + datetime.timedelta(seconds=settings.MEMBER_CARD_MAX_AGE),
    }


def qr_svg(payload: str, *, scale: int = 8, scalable: bool = False) -> str:
    """The QR code as SVG markup; `scalable`: a viewBox and no fixed size, for pages that size it with CSS."""
    return segno.make_qr(payload, error="m").svg_inline(
        scale=scale, dark="#111", light="#fff", border=4, omitsize=scalable
    )


@extend_schema(tags=["attendance"])
class MemberCardView(APIView):
    @extend_schema(
        summary="The caller's member card (a USER with a client profile)",
        description="A signed payload naming the member, valid for at most 5 minutes (`MEMBER_CARD_MAX_AGE`). "
        "Show it as a QR code (or fetch `/api/me/card.svg`) and let the desk scan it. 404 for accounts "
        "without a client profile.",
        responses={200: MemberCardSerializer},
    )
    def get(self, request: Request) -> Response:
        response = Response(MemberCardSerializer(member_card(request.user)).data)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(tags=["attendance"])
class MemberCardSvgView(APIView):
    @extend_schema(
        summary="The caller's member card as a QR image (SVG)",
        responses={(200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request) -> HttpResponse:
        card = member_card(request.user)
        svg = qr_svg(card["qr_payload"])
        response = HttpResponse(f'<?xml version="1.0" encoding="utf-8"?>\n{svg}', content_type="image/svg+xml")
        response["Cache-Control"] = "no-store"
        response["Expires"] = card["expires_at"].strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response


CHECK_IN_ADMITTED = {
    "result": "ADMITTED",
    "reason": None,
    "message": "Welcome, Anna!",
    "client": {
        "id": 42,
        "first_name": "Anna",
        "last_name": "Petrova",
        "initials": "AP",
        "status": "ACTIVE",
        "expiration_date": "2026-06-05",
        "membership_id": 3,
    },
    "visit_id": 1812,
    "checked_in_at": "2026-03-05T07:12:00Z",
    "repeat": False,
}


@extend_schema(tags=["attendance"])
class CheckInView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [CanCheckIn]

    @extend_schema(
        summary="Check a member in at the desk (ADMIN, TRAINER)",
        description="`{qr_payload}` from a scanned card or `{client_id}` of a member picked at the desk. "
        "Admits an ACTIVE member (201, a new visit) or denies with `reason` LAPSED, ON_HOLD or NO_MEMBERSHIP "
        "(200, the denial is recorded too). A second admission within `CHECKIN_REPEAT_MINUTES` returns the "
        "same `visit_id` with `repeat: true` (200). A forged, tampered, foreign-signed, expired or revoked "
        "payload is a 400 on `qr_payload` naming the problem, and nothing is recorded.",
        request=CheckInRequestSerializer,
        responses={201: CheckInResultSerializer, 200: CheckInResultSerializer},
        examples=[
            OpenApiExample("A scanned card", value={"qr_payload": "MC:1a2b3c4d:42:1t9xk2:…"}, request_only=True),
            OpenApiExample("Admitted", value=CHECK_IN_ADMITTED, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request: Request) -> Response:
        body = CheckInRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = services.check_in(staff=request.user, **body.validated_data)
        return Response(
            CheckInResultSerializer(outcome).data,
            status=status.HTTP_201_CREATED if outcome.recorded else status.HTTP_200_OK,
        )


@extend_schema(tags=["attendance"])
class PrintedCardView(APIView):
    permission_classes = [CanIssueMemberCards]

    def _client(self, request: Request, client_id: int):
        return get_object_or_404(client_list(user=request.user), pk=client_id)

    @extend_schema(summary="The member's printed card (staff; issued on first use)", responses=PrintedCardSerializer)
    def get(self, request: Request, client_id: int) -> Response:
        card = services.member_card_current(client=self._client(request, client_id), staff=request.user)
        return Response(PrintedCardSerializer(self._body(card)).data)

    @extend_schema(
        summary="Reissue the member's printed card (staff): the previous printed card stops working",
        request=None,
        responses={201: PrintedCardSerializer},
    )
    def post(self, request: Request, client_id: int) -> Response:
        card = services.member_card_issue(client=self._client(request, client_id), staff=request.user)
        return Response(PrintedCardSerializer(self._body(card)).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _body(card) -> dict:
        return {
            "client_id": card.client_id,
            "qr_payload": cards.printed_card_payload(card.client_id, card.code),
            "issued_at": card.issued_at,
        }


@extend_schema_view(
    list=extend_schema(summary="Visits, newest first (staff: all; USER: its own)"),
    retrieve=extend_schema(summary="One visit"),
)
@extend_schema(tags=["attendance"])
class VisitViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    ordering_fields = ["checked_in_at", "id"]

    def get_queryset(self):
        return selectors.visit_list(user=self.request.user)
