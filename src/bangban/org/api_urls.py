from rest_framework.routers import SimpleRouter

from bangban.org.api import AgentViewSet, UnitViewSet

router = SimpleRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("agents", AgentViewSet, basename="agent")
urlpatterns = router.urls
