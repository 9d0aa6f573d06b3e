"""One Settings object for the whole service (pydantic-settings).

Values come from the environment (``GRIDWHISTLE_*``; ``DATABASE_URL`` for the database) or a
``.env`` file. With no ``DATABASE_URL`` the embedded PostGIS cluster under ``home`` is used.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SECRET = "development-secret-change-me"


class Settings(BaseSettings):
    """Configuration of a gridwhistle installation."""

    model_config = SettingsConfigDict(env_prefix="GRIDWHISTLE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "GRIDWHISTLE_DATABASE_URL")
    )
    home: Path = PROJECT_ROOT / ".gridwhistle"
    data_dir: Path = PROJECT_ROOT / "data"
    database_name: str = "gridwhistle"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = DEFAULT_SECRET
    storage_srid: int = 4326
    metric_srid: int = 4548
    cell_area_m2: float = 10_000.0
    subdivide_max_vertices: int = 256
    demo_seed: int = 20190101
    demo_password: str = "gridwhistle"
    max_features_per_response: int = 5_000
    chief_radius_m: float = 150.0
    max_photos: int = 4
    max_photo_bytes: int = 2 * 1024 * 1024
    duplicate_radius_m: float = 50.0
    duplicate_window_hours: float = 72.0
    on_site_max_distance_m: float = 500.0
    overdue_job_interval_s: float = 60.0
    workers: int = Field(default=1, ge=1, le=64)  # gridwhistle serve's worker processes
    # connections per process for report submissions on the event loop (api.db.aio)
    report_connections: int = Field(default=4, ge=1, le=64)
    tile_url: str | None = None
    tile_attribution: str | None = None
    tile_crs: Literal["wgs84", "gcj02"] = "wgs84"
    # Open311 reads (GET requests, tokens) publish complaint positions: they need an api_key
    # unless the installation chooses to publish them
    open311_public: bool = False
    # who may frame the pages (CSP frame-ancestors): nobody, unless the intranet portal must
    frame_ancestors: str = "'none'"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("GRIDWHISTLE_SECRET_KEY must be set outside development")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
