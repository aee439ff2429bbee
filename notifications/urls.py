from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:notification_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path(
        "incidents/<uuid:incident_id>/acknowledge/", views.acknowledge_incident, name="acknowledge_incident"
    ),
    path("health/", views.health, name="health"),
    path("settings/", views.settings_page, name="settings"),
    path("desk/", views.desk, name="desk"),
    path("duty/", views.set_duty, name="duty"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/levels/", views.policy_levels, name="policy_levels"),
    path("policies/<int:policy_id>/", views.policy_edit, name="policy_edit"),
    path("policies/<int:policy_id>/delete/", views.policy_delete, name="policy_delete"),
    path("webhooks/", views.endpoint_list, name="endpoints"),
    path("webhooks/new/", views.endpoint_create, name="endpoint_new"),
    path("webhooks/<uuid:endpoint_id>/", views.endpoint_detail, name="endpoint"),
    path("webhooks/<uuid:endpoint_id>/test/", views.endpoint_test, name="endpoint_test"),
    path("webhooks/<uuid:endpoint_id>/rotate-secret/", views.endpoint_rotate, name="endpoint_rotate"),
    path("webhooks/<uuid:endpoint_id>/delete/", views.endpoint_delete, name="endpoint_delete"),
]
