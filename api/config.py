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
    # notifications (docs/notifications.md): the fan-out runs when an event commits and at
    # least every fanout_interval_s; a live stream sends a heartbeat comment, polls in case
    # a notification was lost, and ends after events_stream_max_s (the browser reconnects at
    # once, resuming after its last event id); a shutdown waits shutdown_grace_s for open
    # connections (the live streams among them), then closes them
    fanout_interval_s: float = Field(default=5.0, gt=0)
    events_heartbeat_s: float = Field(default=15.0, gt=0)
    events_poll_s: float = Field(default=5.0, gt=0)
    events_stream_max_s: float = Field(default=120.0, gt=0)
    shutdown_grace_s: int = Field(default=5, ge=0)
    # outbound webhooks: attempts before a delivery is dead, the first wait after a failure
    # (doubling each time, at most webhook_backoff_max_s), each request's timeout, and how
    # often the sender looks for retries that came due
    webhook_max_attempts: int = Field(default=8, ge=1, le=100)
    webhook_backoff_s: float = Field(default=30.0, gt=0)
    webhook_backoff_max_s: float = Field(default=3600.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_interval_s: float = Field(default=10.0, gt=0)
    workers: int = Field(default=1, ge=1, le=64)  # gridwhistle serve's worker processes
    # connections per process for report submissions on the event loop (api.db.aio); 0: no
    # pool, points are submitted on the request's session (api.reports.loop)
    report_connections: int = Field(default=4, ge=0, le=64)
    tile_url: str | None = None
    tile_attribution: str | None = None
    tile_crs: Literal["wgs84", "gcj02"] = "wgs84"
    # 天地图 under the pages' own maps (docs/operations.md#天地图): off unless a key is given;
    # its tiles come from t0–t7.tianditu.gov.cn, which the CSP then admits for images
    tianditu_key: str | None = Field(default=None, pattern=r"^[0-9A-Za-z]{8,64}$")
    # Open311 reads (GET requests, tokens) publish complaint positions: they need an api_key
    # unless the installation chooses to publish them
    open311_public: bool = False
    # who may frame the pages (CSP frame-ancestors): nobody, unless the intranet portal must
    frame_ancestors: str = "'none'"
    # bearer tokens (docs/roles.md): unused for token_idle_s they expire; use moves that on
    # (at most once per token_touch_s), never past token_max_s after the login
    token_idle_s: float = Field(default=12 * 3600, gt=0)
    token_max_s: float = Field(default=30 * 86400, gt=0)
    token_touch_s: float = Field(default=60, ge=0)
    # Open311 api_keys live in other systems' configuration: until revoked, unless given
    open311_key_max_s: float | None = Field(default=None, gt=0)
    # failed logins per username / per client address (an office may share one): after the
    # free ones each further attempt waits login_delay_s, doubling; at the lock count the
    # username or address is refused for login_lock_s after its last failure
    login_free_failures: int = Field(default=3, ge=0)
    login_lock_failures: int = Field(default=10, ge=1)
    login_address_free_failures: int = Field(default=20, ge=0)
    login_address_lock_failures: int = Field(default=50, ge=1)
    login_delay_s: float = Field(default=1.0, gt=0)
    login_lock_s: float = Field(default=15 * 60, gt=0)
    password_min_length: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("GRIDWHISTLE_SECRET_KEY must be set outside development")
        if len(self.demo_password) < self.password_min_length:
            raise ValueError(
                "GRIDWHISTLE_DEMO_PASSWORD needs at least GRIDWHISTLE_PASSWORD_MIN_LENGTH "
                f"({self.password_min_length}) characters"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
