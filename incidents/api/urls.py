from rest_framework import routers

from incidents.api import views

app_name = "api"


class Router(routers.DefaultRouter):
    APIRootView = views.ApiRootView


router = Router()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("evidence", views.EvidenceViewSet, basename="evidence")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("sites", views.SiteViewSet, basename="site")

urlpatterns = router.urls
