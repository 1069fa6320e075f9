from rest_framework.routers import SimpleRouter

from bangban.catalog.api import BundleViewSet, ItemViewSet

router = SimpleRouter()
router.register("items", ItemViewSet, basename="api-item")
router.register("bundles", BundleViewSet, basename="api-bundle")
urlpatterns = router.urls
