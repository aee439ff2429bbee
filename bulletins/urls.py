from django.urls import path

from bulletins import views

app_name = "bulletins"

urlpatterns = [
    path("bulletins/", views.bulletin_list, name="list"),
    path("bulletins/live/", views.bulletin_live, name="live"),
    path("bulletins/new/", views.bulletin_new, name="new"),
    path("bulletins/<uuid:bulletin_id>/", views.bulletin_detail, name="detail"),
    path("bulletins/<uuid:bulletin_id>/answers/", views.bulletin_answers, name="answers"),
    path("bulletins/<uuid:bulletin_id>/photos/<uuid:photo_id>/", views.bulletin_photo, name="photo"),
    path("bulletins/<uuid:bulletin_id>/read/", views.bulletin_read, name="read"),
    path("bulletins/<uuid:bulletin_id>/sighting/", views.bulletin_sighting, name="sighting"),
    path("bulletins/<uuid:bulletin_id>/update/", views.bulletin_update, name="update"),
    path("bulletins/<uuid:bulletin_id>/cancel/", views.bulletin_cancel, name="cancel"),
    path("bulletins/<uuid:bulletin_id>/cap.xml", views.bulletin_cap, name="cap"),
]
