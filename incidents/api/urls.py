from rest_framework import routers

from dispatch import api as dispatch_api
from incidents.api import views

app_name = "api"


class Router(routers.DefaultRouter):
    APIRootView = views.ApiRootView


router = Router()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("sites", views.SiteViewSet, basename="site")
router.register("escalations", dispatch_api.EscalationViewSet, basename="escalation")
router.register("panic", dispatch_api.PanicViewSet, basename="panic")
router.register("board-events", dispatch_api.BoardEventViewSet, basename="board-event")

urlpatterns = router.urls
