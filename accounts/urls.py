from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("people/", views.people_list, name="people"),
    path("people/invite/", views.people_invite, name="invite"),
    path("people/<int:membership_id>/", views.member_edit, name="member_edit"),
    path("people/<int:membership_id>/active/", views.member_set_active, name="member_set_active"),
    path(
        "people/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("people/tokens/", views.tokens_list, name="tokens"),
    path("people/tokens/issue/", views.tokens_issue, name="token_issue"),
    path("people/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("account/time-zone/", views.time_zone_edit, name="time_zone"),
    path("people/debrief-review/", views.debrief_rule_edit, name="debrief_rule"),
    path("people/retention/", views.retention_edit, name="retention"),
]
