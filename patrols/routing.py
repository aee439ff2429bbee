"""Websocket routes of the agency's live joint patrols and the provider's live patrol board."""

from django.urls import path

from patrols.consumers import JointPatrolConsumer, PatrolBoardConsumer

websocket_urlpatterns = [
    path("ws/patrols/joint/", JointPatrolConsumer.as_asgi(), name="patrols_joint"),
    path("ws/patrols/board/", PatrolBoardConsumer.as_asgi(), name="patrols_board"),
]
