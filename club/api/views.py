import datetime
import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_profile
from club import selectors, services
from club.api.filters import ClientFilter, MembershipFilter, PaymentFilter
from club.api.permissions import CanManageMembershipLedger, read_or_write_if
from club.api.serializers import (
    ClientSerializer,
    HoldSerializer,
    MembershipEventSerializer,
    MembershipSerializer,
    MeSerializer,
    PaymentSerializer,
    RefundSerializer,
    SaleResultSerializer,
    SaleSerializer,
    TakingsQuerySerializer,
    TakingsSerializer,
)
from club.models import Client
from club.payment_provider import PaymentProviderError
from club.permissions import (
    can_manage_clients,
    can_manage_membership_ledger,
    can_manage_memberships,
    can_manage_payments,
    can_view_client,
    can_view_payment,
)
from club.receipts import receipt_for, render_receipt_pdf
from core.filters import SearchFilter
from core.parsers import JSONParser

logger = logging.getLogger(__name__)


class PaymentProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The payment provider is unavailable; the payment stays PENDING, ask for a pay link later.")
    default_code = "payment_provider_unavailable"


@extend_schema_view(
    list=extend_schema(summary="List memberships (every signed-in user)"),
    create=extend_schema(summary="Create a membership (ADMIN)"),
    destroy=extend_schema(summary="Delete a membership (ADMIN); 409 while payments refer to it"),
)
class MembershipViewSet(viewsets.ModelViewSet):
    serializer_class = MembershipSerializer
    parser_classes = [JSONParser]  # the API speaks JSON only (SPEC)
    permission_classes = [read_or_write_if(can_manage_memberships)]
    filterset_class = MembershipFilter
    search_fields = ["description"]
    ordering_fields = ["price", "access_level", "id"]

    def get_queryset(self):
        return selectors.membership_list()

    def perform_create(self, serializer):
        serializer.instance = services.membership_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.membership_update(membership=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.membership_delete(membership=instance)


class ClientSearchFilter(SearchFilter):
    """`?search=`: a phone number however it is typed (`+7 935 576-61-26`, `89355766126`) matches the
    indexed normalised column; anything else searches names and the phone as written."""

    def filter_queryset(self, request, queryset, view):
        digits = selectors.phone_search_digits(" ".join(self.get_search_terms(request)))
        if digits:
            return queryset.filter(phone_normalized__contains=digits)
        return super().filter_queryset(request, queryset, view)


SALE_EXAMPLE = {
    "payment": {
        "id": 812,
        "client_id": 42,
        "membership_id": 3,
        "amount": "147.00",
        "status": "PAID",
        "method": "CASH",
        "receipt_number": "2026-000118",
        "staff_id": 1,
        "provider_reference": None,
        "pay_url": None,
        "created_at": "2026-03-05T10:12:00Z",
        "updated_at": "2026-03-05T10:12:00Z",
        "paid_at": "2026-03-05T10:12:00Z",
        "refunded_at": None,
        "refund_reason": "",
    },
    "client": {"id": 42, "membership_id": 3, "expiration_date": "2026-06-05", "status": "ACTIVE"},
}


def _refuse_unauthorised_expiration_change(request, data: dict, client: Client | None) -> None:
    """Only ADMIN changes a paid-until date through this endpoint (SPEC part 2): 403 for anyone else."""
    if "expiration_date" not in data:
        return
    current = client.expiration_date if client is not None else None
    if data["expiration_date"] != current and not can_manage_membership_ledger(request.user):
        raise exceptions.PermissionDenied(
            _("Only an administrator may change expiration_date: it moves with sales, holds, refunds and corrections.")
        )


@extend_schema_view(
    list=extend_schema(summary="List clients (staff: all; USER: its own profile)"),
    create=extend_schema(
        summary="Create a client (staff)",
        description="`expiration_date` may be set by ADMIN only, with a `reason` (a CORRECTION in the ledger).",
    ),
    update=extend_schema(
        summary="Update a client (staff)",
        description="A new `expiration_date` needs ADMIN (403 otherwise) and a non-empty `reason` (400 without); "
        "it is written to the membership ledger as a CORRECTION. `status` reads as the effective status.",
    ),
    partial_update=extend_schema(
        summary="Update some fields of a client (staff)",
        examples=[
            OpenApiExample(
                "Correct the paid-until date",
                value={"expiration_date": "2026-04-30", "reason": "Paid in cash on 1 March, entered late"},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Delete a client and its trainings (staff); 409 while it has payments"),
)
class ClientViewSet(viewsets.ModelViewSet):
    serializer_class = ClientSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_clients, can_view_client)]
    filterset_class = ClientFilter
    filter_backends = [backend for backend in viewsets.ModelViewSet.filter_backends if backend is not SearchFilter] + [
        ClientSearchFilter
    ]
    search_fields = ["first_name", "last_name", "phone_number"]
    ordering_fields = ["last_name", "first_name", "created_at", "expiration_date", "id"]

    def get_queryset(self):
        return selectors.client_list(user=self.request.user)

    def perform_create(self, serializer):
        data = serializer.model_fields(serializer.validated_data)
        _refuse_unauthorised_expiration_change(self.request, data, None)
        serializer.instance = services.client_create(staff=self.request.user, **data)

    def perform_update(self, serializer):
        data = serializer.model_fields(serializer.validated_data)
        reason = data.pop("reason", "")
        _refuse_unauthorised_expiration_change(self.request, data, serializer.instance)
        client = services.client_update(client=serializer.instance, data=data, reason=reason, staff=self.request.user)
        client.__dict__.pop("effective_status", None)  # read before the change: recompute it
        serializer.instance = client

    def perform_destroy(self, instance):
        services.client_delete(client=instance)

    @extend_schema(
        summary="Sell a membership at the desk (ADMIN)",
        description="Records a PAID payment with a gap-free per-year `receipt_number`, moves the client onto "
        "the membership, makes it ACTIVE and extends `expiration_date` by `months` calendar months from the "
        "later of today and the current expiration (a SALE event). `amount` defaults to price × months.",
        request=SaleSerializer,
        responses={201: SaleResultSerializer},
        examples=[
            OpenApiExample(
                "Three months, cash", value={"membership_id": 3, "months": 3, "method": "CASH"}, request_only=True
            ),
            OpenApiExample("Sold", value=SALE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanManageMembershipLedger])
    def sales(self, request, pk=None):
        client = self.get_object()
        sale = SaleSerializer(data=request.data)
        sale.is_valid(raise_exception=True)
        payment = services.membership_sale(client=client, staff=request.user, **sale.validated_data)
        body = SaleResultSerializer({"payment": payment, "client": payment.client}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The client's membership ledger, newest first (staff; USER: its own)",
        description="Every change of `expiration_date`: SALE, PAYMENT, HOLD, HOLD_CANCELLED, REFUND, CORRECTION. "
        "The newest event's `expiration_after` is always the client's `expiration_date`.",
        responses={200: MembershipEventSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="membership-events", filter_backends=[])
    def membership_events(self, request, pk=None):
        client = self.get_object()
        events = selectors.membership_event_list(user=request.user, client=client)
        page = self.paginate_queryset(events)
        return self.get_paginated_response(MembershipEventSerializer(page, many=True).data)

    @extend_schema(
        summary="Put a membership on hold (ADMIN)",
        description="Extends `expiration_date` by the hold's days (a HOLD event); the client is ON_HOLD from "
        "`starts_on` to `ends_on` (both included) and ACTIVE after. 409: lapsed, or overlapping another hold; "
        "400: more than MEMBERSHIP_HOLD_MAX_DAYS of holds within 365 days.",
        request=HoldSerializer,
        responses={201: HoldSerializer},
        examples=[
            OpenApiExample(
                "Two weeks away",
                value={"starts_on": "2026-07-01", "ends_on": "2026-07-14", "reason": "Holiday"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanManageMembershipLedger])
    def holds(self, request, pk=None):
        client = self.get_object()
        hold = HoldSerializer(data=request.data)
        hold.is_valid(raise_exception=True)
        created = services.hold_create(client=client, staff=request.user, **hold.validated_data)
        return Response(HoldSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List holds (staff: all; USER: its own)"),
    retrieve=extend_schema(summary="One hold"),
    destroy=extend_schema(
        summary="Cancel a hold before it starts (ADMIN)",
        description="The hold's days are taken back (a HOLD_CANCELLED event); 409 once it has started.",
    ),
)
class HoldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = HoldSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_permissions(self):
        if self.action == "destroy":
            return [CanManageMembershipLedger()]
        return super().get_permissions()

    def get_queryset(self):
        return selectors.hold_list(user=self.request.user)

    def perform_destroy(self, instance):
        services.hold_cancel(hold=instance, staff=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List payments (staff: all; USER: its own)"),
    create=extend_schema(
        summary="Create a PENDING payment (staff)",
        description="The amount is the membership's price. With `PAYMENT_SERVICE_URL` set the response "
        "carries the provider's `pay_url` (null when the provider failed: retry with `pay-link`).",
    ),
)
class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = PaymentSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_payments, can_view_payment)]
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "paid_at", "amount", "id"]

    def get_queryset(self):
        payments = selectors.payment_list(user=self.request.user)
        # As for trainings: the joined client is for the object check only.
        return payments.select_related(None) if self.action == "list" else payments

    def perform_create(self, serializer):
        # Two steps on purpose: the payment commits first, then the provider is asked outside the transaction.
        payment = services.payment_create(**serializer.validated_data)
        try:
            payment = services.payment_request_pay_link(payment=payment)
        except PaymentProviderError:
            logger.warning("no pay link for payment %s", payment.pk, exc_info=True)
        serializer.instance = payment

    @extend_schema(
        summary="Ask the provider for the payment's pay link again (staff)",
        request=None,
        responses={200: PaymentSerializer, 503: OpenApiResponse(description="The provider failed.")},
    )
    @action(detail=True, methods=["post"], url_path="pay-link")
    def pay_link(self, request, pk=None):
        payment = self.get_object()
        try:
            payment = services.payment_request_pay_link(payment=payment)
        except PaymentProviderError as error:
            raise PaymentProviderUnavailable() from error
        return Response(self.get_serializer(payment).data)

    @extend_schema(
        summary="Refund a paid payment (ADMIN)",
        description="The payment becomes REFUNDED and the days it added are taken back (never to before "
        "yesterday), a REFUND event in the ledger. 409 for a second refund or an unpaid payment.",
        request=RefundSerializer,
        responses={200: PaymentSerializer},
        examples=[OpenApiExample("Moved away", value={"reason": "Moved to another city"}, request_only=True)],
    )
    @action(detail=True, methods=["post"], permission_classes=[CanManageMembershipLedger])
    def refund(self, request, pk=None):
        payment = self.get_object()
        body = RefundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.payment_refund(payment=payment, staff=request.user, **body.validated_data)
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        summary="Cash-up of a day (ADMIN)",
        description="Payments paid that day (local time), by method and by who took them, and the refunds "
        "given that day. Amounts are decimal strings in `currency` (CLUB_CURRENCY).",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Default: today.")],
        responses={200: TakingsSerializer},
        examples=[
            OpenApiExample(
                "A quiet Tuesday",
                value={
                    "date": "2026-03-03",
                    "currency": "RUB",
                    "count": 3,
                    "total": "4470.00",
                    "by_method": {
                        "CASH": {"count": 2, "total": "2980.00"},
                        "CARD": {"count": 1, "total": "1490.00"},
                        "TRANSFER": {"count": 0, "total": "0.00"},
                        "PROVIDER": {"count": 0, "total": "0.00"},
                    },
                    "by_staff": [{"staff_id": 1, "count": 3, "total": "4470.00"}],
                    "refunds": {"count": 0, "total": "0.00"},
                },
                response_only=True,
            )
        ],
    )
    @action(detail=False, methods=["get"], permission_classes=[CanManageMembershipLedger], filter_backends=[])
    def summary(self, request):
        query = TakingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day: datetime.date = query.validated_data.get("date") or timezone.localdate()
        takings = selectors.payment_takings(date_from=day, date_to=day)
        return Response(TakingsSerializer({**vars(takings), "currency": settings.CLUB_CURRENCY}).data)

    @extend_schema(
        summary="The PDF receipt of a desk sale (staff; USER: its own)",
        description="Receipt number, member, membership, period, amount, method and who took it. 404 for a "
        "payment without a receipt (provider payments).",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def receipt(self, request, pk=None):
        payment = self.get_object()
        if not payment.receipt_number:
            raise Http404(_("This payment has no receipt: it was not taken at the desk."))
        pdf = render_receipt_pdf(receipt_for(payment))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
        return response


class MeView(APIView):
    @extend_schema(tags=["users"], summary="The caller", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(user_profile(user=request.user)).data)
