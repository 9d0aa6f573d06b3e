"""Import every ORM model so Base.metadata knows all tables (for Alembic and tests)."""

from api.departments.models import Category, Department
from api.geography.models import Area, AreaPart, Chief, Generation, LandUseZone, Road

__all__ = [
    "Area",
    "AreaPart",
    "Category",
    "Chief",
    "Department",
    "Generation",
    "LandUseZone",
    "Road",
]
