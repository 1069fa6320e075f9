from rest_framework.routers import SimpleRouter

from bangban.cases.api import CaseViewSet, ConsultationViewSet, MeetingViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-case")
router.register("consultations", ConsultationViewSet, basename="api-consultation")
router.register("meetings", MeetingViewSet, basename="api-meeting")
urlpatterns = router.urls
