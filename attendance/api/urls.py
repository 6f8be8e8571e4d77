from django.urls import path
from rest_framework.routers import SimpleRouter

from attendance.api.views import CheckInView, MemberCardSvgView, MemberCardView, PrintedCardView, VisitViewSet

router = SimpleRouter()
router.register("visits", VisitViewSet, basename="visit")

urlpatterns = [
    path("me/card/", MemberCardView.as_view(), name="member-card"),
    path("me/card.svg", MemberCardSvgView.as_view(), name="member-card-svg"),
    path("check-ins/", CheckInView.as_view(), name="check-in"),
    path("clients/<int:client_id>/printed-card/", PrintedCardView.as_view(), name="printed-card"),
    *router.urls,
]
