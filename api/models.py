"""Import every ORM model so Base.metadata knows all tables (for Alembic and tests)."""

from api.addresses.models import AddressEntry
from api.auth.models import ApiToken, AuditEvent, LoginThrottle, User
from api.callbacks.models import Callback
from api.cases.models import Case, CaseEvent, CaseStreet
from api.deadlines.models import CalendarDay
from api.departments.models import Category, Department
from api.geography.models import Area, AreaPart, Chief, Generation, LandUseZone, Road
from api.hotspots.models import Event
from api.maps.models import DataMark
from api.notifications.models import EventQueue, Notification
from api.photos.models import PhotoThumbnail
from api.reports.models import Report, ReportPhoto
from api.webhooks.models import Delivery, Subscription
from api.whistles.models import Assignment, Extension, Whistle

__all__ = [
    "AddressEntry",
    "ApiToken",
    "Area",
    "AreaPart",
    "Assignment",
    "AuditEvent",
    "CalendarDay",
    "Callback",
    "Case",
    "CaseEvent",
    "CaseStreet",
    "Category",
    "Chief",
    "DataMark",
    "Delivery",
    "Department",
    "Event",
    "EventQueue",
    "Extension",
    "Generation",
    "LandUseZone",
    "LoginThrottle",
    "Notification",
    "PhotoThumbnail",
    "Report",
    "ReportPhoto",
    "Road",
    "Subscription",
    "User",
    "Whistle",
]
