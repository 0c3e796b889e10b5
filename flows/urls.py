from rest_framework.routers import SimpleRouter

from flows import views

app_name = "flows"

router = SimpleRouter()
router.register("flows", views.FlowViewSet, basename="flow")

urlpatterns = router.urls
