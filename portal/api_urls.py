"""The REST API's router (under /api/v1/): every app's viewsets, registered in one place."""

from rest_framework import routers

from bulletins import api as bulletin_api
from dispatch import api as dispatch_api
from exports import api as exports_api
from incidents.api import evidence as evidence_api
from incidents.api import incidents as incident_api
from incidents.api import reference as reference_api
from patrols import api as patrol_api
from portal.api import ApiRootView

app_name = "api"


class Router(routers.DefaultRouter):
    APIRootView = ApiRootView


router = Router()
router.register("incidents", incident_api.IncidentViewSet, basename="incident")
router.register("evidence", evidence_api.EvidenceViewSet, basename="evidence")
router.register("categories", dispatch_api.CategoryViewSet, basename="category")
router.register("sites", reference_api.SiteViewSet, basename="site")
router.register("escalations", dispatch_api.EscalationViewSet, basename="escalation")
router.register("panic", dispatch_api.PanicViewSet, basename="panic")
router.register("board-events", dispatch_api.BoardEventViewSet, basename="board-event")
router.register("bulletins", bulletin_api.BulletinViewSet, basename="bulletin")
router.register("shifts", patrol_api.ShiftViewSet, basename="shift")
router.register("scans", patrol_api.ScanViewSet, basename="scan")
router.register("check-ins", patrol_api.CheckInViewSet, basename="check-in")
router.register("daily-reports", patrol_api.DailyReportViewSet, basename="daily-report")
router.register("eido", exports_api.EidoViewSet, basename="eido")

urlpatterns = router.urls
