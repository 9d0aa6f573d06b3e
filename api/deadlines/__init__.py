"""Deadlines: China's working-day calendar and SLA policies as data (pure, no database)."""

from api.deadlines.calendar import (
    TZ,
    DataFileError,
    Deadline,
    WorkCalendar,
    YearData,
    read_year_dir,
    read_year_file,
)
from api.deadlines.sla import (
    Duration,
    Obligation,
    SlaPolicy,
    Unit,
    due,
    extend,
    read_policies,
)

__all__ = [
    "TZ",
    "DataFileError",
    "Deadline",
    "Duration",
    "Obligation",
    "SlaPolicy",
    "Unit",
    "WorkCalendar",
    "YearData",
    "due",
    "extend",
    "read_policies",
    "read_year_dir",
    "read_year_file",
]
