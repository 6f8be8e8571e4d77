from rest_framework.routers import SimpleRouter

from classes.api.views import BookingViewSet, ClassSessionViewSet, ClassTypeViewSet, TimetableRuleViewSet

router = SimpleRouter()
router.register("class-types", ClassTypeViewSet, basename="class-type")
router.register("class-sessions", ClassSessionViewSet, basename="class-session")
router.register("timetable", TimetableRuleViewSet, basename="timetable-rule")
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls
