from django.urls import path
from rest_framework.routers import SimpleRouter

from club.api.views import ClientViewSet, HoldViewSet, MembershipViewSet, MeView, PaymentViewSet

router = SimpleRouter()
router.register("memberships", MembershipViewSet, basename="membership")
router.register("clients", ClientViewSet, basename="client")
router.register("payments", PaymentViewSet, basename="payment")
router.register("holds", HoldViewSet, basename="hold")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
