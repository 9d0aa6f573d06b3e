"""Pure map layers: emerging categories and the kernel density overlay, on hand-made data."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import folium
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import to_metric
from geo.density_maps import (
    FLOOR,
    density_image,
    density_layer,
    density_legend,
    grid_bounds,
    sample,
)
from geo.emerging import CATEGORIES, NO_PATTERN
from geo.emerging_maps import (
    EMERGING_COLOURS,
    EMERGING_LABELS,
    emerging_layer,
    emerging_legend,
    patterned,
)
from geo.hotspots import kde_grid
from geo.maps import base_map, render


def _square(x: float, y: float, code: str, category: str) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.box(x, y, x + 0.01, y + 0.01)),
        "properties": {
            "code": code,
            "name": f"社区{code}",
            "emerging": category,
            "emerging_label": EMERGING_LABELS[category],
            "hot_steps": 3,
            "trend": 1.5,
        },
    }


def _render(*elements: object) -> str:
    map_ = base_map(center=(39.9, 116.35), zoom=12, assets_url="/static/vendor")
    for element in elements:
        element.add_to(map_)  # type: ignore[attr-defined]
    folium.LayerControl().add_to(map_)  # layer names appear in the control
    return render(map_)


def test_every_category_has_a_chinese_label_and_a_distinct_colour() -> None:
    assert set(EMERGING_LABELS) == set(CATEGORIES) == set(EMERGING_COLOURS)
    assert EMERGING_LABELS["new hot spot"] == "新增热点"
    assert EMERGING_LABELS["persistent cold spot"] == "持续冷点"
    patterns = [c for c in CATEGORIES if c != NO_PATTERN]
    assert len({EMERGING_COLOURS[c] for c in patterns}) == len(patterns)


def test_the_emerging_layer_ships_only_units_with_a_pattern() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            _square(116.30, 39.90, "110102001001", "persistent hot spot"),
            _square(116.31, 39.90, "110102001002", NO_PATTERN),
            _square(116.32, 39.90, "110102001003", "new cold spot"),
        ],
    }
    assert [f["properties"]["code"] for f in patterned(collection)["features"]] == [
        "110102001001",
        "110102001003",
    ]
    html = _render(emerging_layer(collection, show=True))
    assert "110102001001" in html and "110102001003" in html
    assert "110102001002" not in html
    assert EMERGING_COLOURS["persistent hot spot"] in html
    assert json.dumps("时空热点模式（2）")[1:-1] in html  # the layer name counts the units


def test_an_empty_emerging_layer_renders() -> None:
    html = _render(emerging_layer({"type": "FeatureCollection", "features": []}))
    assert json.dumps("时空热点模式（0）")[1:-1] in html


def test_the_emerging_legend_lists_the_categories_present_in_catalogue_order() -> None:
    text = emerging_legend(
        ["sporadic hot spot", NO_PATTERN, "new hot spot", "new hot spot"], steps=52
    ).render()
    assert "时空热点模式（52周）" in text
    assert text.index("新增热点") < text.index("零星热点")
    assert "持续热点" not in text and "无明显模式" not in text
    empty = emerging_legend([NO_PATTERN], steps=10).render()
    assert "无明显模式（未发现）" in empty


def _png_pixels(url: str) -> np.ndarray:
    """Decode the RGBA PNG that folium writes (8-bit, no interlace, filter 0 rows)."""
    raw = base64.b64decode(url.split(",", 1)[1])
    width, height = struct.unpack(">II", raw[16:24])
    chunks, pos = b"", 8
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        kind = raw[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks += raw[pos + 8 : pos + 8 + length]
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(chunks), dtype=np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()  # no PNG filters
    return rows[:, 1:].reshape(height, width, 4)


@pytest.fixture
def blob() -> pd.DataFrame:
    """300 events around (116.35, 39.88) and 30 around (116.40, 39.92)."""
    rng = np.random.default_rng(7)
    lon = np.r_[116.35 + rng.normal(0, 0.001, 300), 116.40 + rng.normal(0, 0.001, 30)]
    lat = np.r_[39.88 + rng.normal(0, 0.001, 300), 39.92 + rng.normal(0, 0.001, 30)]
    return pd.DataFrame({"lon": lon, "lat": lat})


def test_the_density_image_puts_the_peak_where_the_events_are(blob: pd.DataFrame) -> None:
    grid = kde_grid(blob, bandwidth_m=150, cell_m=50, bbox=(116.33, 39.86, 116.42, 39.94))
    (south, west), (north, east) = grid_bounds(grid)
    assert west < 116.33 and east > 116.42 and south < 39.86 and north > 39.94
    values = sample(grid, grid_bounds(grid), width_px=400)
    row, col = np.unravel_index(np.argmax(values), values.shape)
    lon = west + (col + 0.5) * (east - west) / values.shape[1]
    peak, truth = shapely.get_coordinates(to_metric(shapely.points([lon, 116.35], [39.88] * 2)))
    # the peak column lies within two raster cells (100 m) of the big cluster's longitude
    assert abs(peak[0] - truth[0]) < 100
    assert 0.5 * values.shape[0] < row  # south half of the image: 39.88 is south of the middle
    image = density_image(grid, width_px=400)
    assert image.url.startswith("data:image/png;base64,")
    assert image.vmax == pytest.approx(float(grid.values.max()))
    pixels = _png_pixels(image.url)
    assert pixels.shape[1] == 400
    assert pixels[row, col, 3] == pixels[..., 3].max() > 200  # the peak is the most opaque
    assert pixels[0, 0, 3] == 0  # far from every event: transparent
    faint = values < FLOOR * image.vmax
    assert (pixels[..., 3][faint] == 0).all()


def test_the_density_layer_embeds_an_image_and_no_event_positions(blob: pd.DataFrame) -> None:
    grid = kde_grid(blob, bandwidth_m=150, cell_m=50)
    html = _render(density_layer(density_image(grid), show=True))
    assert "L.imageOverlay(" in html and "data:image/png;base64," in html
    assert json.dumps("热力图（核密度）")[1:-1] in html
    assert "heatLayer" not in html and "https://" not in html
    for lat in blob["lat"].head(50):
        assert repr(float(lat)) not in html
    legend = density_legend(2500.0, bandwidth_m=300).render()
    assert "带宽300米" in legend and "2,000–2,500" in legend
