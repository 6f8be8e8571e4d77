import logging

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from club import selectors, services
from club.api.filters import ClientFilter, MembershipFilter, PaymentFilter
from club.api.permissions import read_or_write_if
from club.api.serializers import ClientSerializer, MembershipSerializer, PaymentSerializer
from club.payment_provider import PaymentProviderError
from club.permissions import (
    can_manage_clients,
    can_manage_memberships,
    can_manage_payments,
    can_view_client,
    can_view_payment,
)
from core.parsers import JSONParser

logger = logging.getLogger(__name__)


class PaymentProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The payment provider is unavailable; the payment stays PENDING, ask for a pay link later."
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


@extend_schema_view(
    list=extend_schema(summary="List clients (staff: all; USER: its own profile)"),
    destroy=extend_schema(summary="Delete a client and its trainings (staff); 409 while it has payments"),
)
class ClientViewSet(viewsets.ModelViewSet):
    serializer_class = ClientSerializer
    parser_classes = [JSONParser]
    permission_classes = [read_or_write_if(can_manage_clients, can_view_client)]
    filterset_class = ClientFilter
    search_fields = ["first_name", "last_name", "phone_number"]
    ordering_fields = ["last_name", "first_name", "created_at", "expiration_date", "id"]

    def get_queryset(self):
        return selectors.client_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.client_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.client_update(client=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.client_delete(client=instance)


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
