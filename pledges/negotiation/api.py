"""/api/v1/ endpoints of negotiation tracking: the one entry point ``solidarity/api_urls.py`` calls.

Forum meetings and topics (the coordinator's) are in ``meeting_api``; positions, their versions, the matrix
and bulk entry (the negotiators') in ``position_api``; their shapes in ``serializers``.
"""

from pledges.negotiation.meeting_api import ForumMeetingViewSet, TopicViewSet
from pledges.negotiation.position_api import PositionViewSet


def register(router) -> None:
    """Add this module's viewsets to the /api/v1/ router."""
    router.register("forum-meetings", ForumMeetingViewSet, basename="forum-meeting")
    router.register("topics", TopicViewSet, basename="topic")
    router.register("positions", PositionViewSet, basename="position")
