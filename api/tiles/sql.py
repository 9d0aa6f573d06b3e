"""The SQL of every vector tile layer: one named statement per layer, each answering one
Mapbox Vector Tile layer (``ST_AsMVT``) for tile ``z/x/y``.

Raw SQL because each statement is one ``ST_AsMVT`` aggregate over ``ST_AsMVTGeom`` rows cut
by the tile envelope: PostGIS builds the protobuf, so no geometry crosses into Python.
Geometry is stored in EPSG:4326; rows are picked by their bounding box against the tile
envelope (with a margin of ``buffer`` tile units, so that strokes across tile edges join)
transformed to 4326, which the GiST indexes answer, then transformed to EPSG:3857 for
``ST_AsMVTGeom``.

Every statement takes ``:z, :x, :y`` (the tile), ``:extent`` and ``:buffer`` (tile units),
``:margin`` (``buffer / extent``), ``:layer`` (the MVT layer name) and ``:gen`` (the active
boundary generation). Statistics computed in Python (counts, Gi*, emerging categories, road
loads: ``api.maps.analysis``, the numbers the hot spot maps draw) come in as parallel arrays
and are joined to the stored geometry by code or ref.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

_BOUNDS = """
WITH bounds AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS tile,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326) AS box
)"""

AREAS: TextClause = text(
    _BOUNDS
    + """,
rows AS (
    SELECT a.code, a.name, coalesce(a.parent_code, '') AS parent_code,
           ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM areas a, bounds b
     WHERE a.level = :level AND a.generation_low <= :gen AND a.generation_high >= :gen
       AND a.geom && b.box
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""Outlines of one level (``:level``: district, street, community or grid) with code, name
and parent code."""

UNITS: TextClause = text(
    _BOUNDS
    + """,
stats AS (
    SELECT * FROM unnest(
        CAST(:codes AS text[]), CAST(:counts AS integer[]), CAST(:per_km2 AS float8[]),
        CAST(:zs AS float8[]), CAST(:classes AS text[]), CAST(:class_labels AS text[]),
        CAST(:emerging AS text[]), CAST(:emerging_labels AS text[])
    ) AS s(code, count, per_km2, z, class, class_label, emerging, emerging_label)
),
rows AS (
    SELECT a.code, a.name, s.count, s.per_km2, s.z, s.class, s.class_label, s.emerging,
           s.emerging_label,
           ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM stats s
      JOIN areas a ON a.code = s.code AND a.level = :level
                  AND a.generation_low <= :gen AND a.generation_high >= :gen
     CROSS JOIN bounds b
     WHERE a.geom && b.box
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""The units of a hot spot scope (communities or grid cells, ``:level``) with the statistics
the scope's map draws: count, events per km² of the unit's area, Gi* z and class, emerging
category (and their Chinese labels)."""

ROADS: TextClause = text(
    _BOUNDS
    + """,
loads AS (
    SELECT * FROM unnest(
        CAST(:refs AS text[]), CAST(:counts AS integer[]), CAST(:kind_labels AS text[])
    ) AS l(ref, count, kind_label)
),
rows AS (
    SELECT r.ref, r.name, r.kind, l.kind_label, r.street_code,
           coalesce(r.chief_ref, '') AS chief_ref, coalesce(c.name, '') AS chief,
           coalesce(c.title, '') AS title, l.count,
           ST_AsMVTGeom(ST_Transform(r.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM loads l
      JOIN roads r ON r.ref = l.ref AND r.generation_low <= :gen AND r.generation_high >= :gen
      LEFT JOIN chiefs c ON c.ref = r.chief_ref
                        AND c.generation_low <= :gen AND c.generation_high >= :gen
     CROSS JOIN bounds b
     WHERE r.geom && b.box
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""Streets and alleys with their chief and the events within 30 m (``:refs``/``:counts``,
with the kind in words, ``:kind_labels``, as the maps' popups say it)."""

ROADNET: TextClause = text(
    _BOUNDS
    + """,
rows AS (
    SELECT r.ref, r.name, r.kind, r.street_code,
           ST_AsMVTGeom(ST_Transform(r.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM roads r, bounds b
     WHERE r.generation_low <= :gen AND r.generation_high >= :gen
       AND r.geom && b.box
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""The basemap's streets and alleys (every road of the generation, the table the chiefs'
roads come from) with ref, name, kind (``street`` or ``alley``) and street code: no load,
no chief, so that any page may draw them."""

ADDRESSES: TextClause = text(
    _BOUNDS
    + """,
rows AS (
    SELECT a.ref, a.text, a.kind,
           CASE a.kind
               WHEN 'plate' THEN a.number::text || a.suffix || '号'
               WHEN 'building' THEN a.building::text || '号楼'
               WHEN 'village' THEN coalesce(a.number::text || '号', a.name)
               WHEN 'compound' THEN coalesce(nullif(a.name, ''), a.number::text || '号院')
               ELSE a.name
           END AS label,
           ST_AsMVTGeom(ST_Transform(a.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM address_entries a, bounds b
     WHERE a.generation_low <= :gen AND a.generation_high >= :gen
       AND a.geom && b.box
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""The address register's entries (door plates, compounds, buildings, village houses,
places) with ref, the standard address ``text``, kind and a short ``label`` for the map:
``12甲号`` at a door, ``3号楼``, a compound's or place's name."""

EVENTS: TextClause = text(
    _BOUNDS
    + """,
raw AS (
    SELECT e.ref, e.at, e.category, e.source, e.geom, e.community_code, e.street_code,
           NULL::integer AS reporter_id, NULL::integer AS case_id
      FROM events e, bounds b
     WHERE e.geom && b.box
     UNION ALL
    SELECT 'R' || r.id, r.created_at, r.category, r.source, ST_PointOnSurface(r.geom),
           c.community_code, c.lead_street_code, r.reporter_id, c.id
      FROM reports r JOIN cases c ON c.id = r.case_id, bounds b
     WHERE r.geom && b.box
),
rows AS (
    SELECT ev.ref, ev.category, ev.source,
           to_char(ev.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS at,
           ST_AsMVTGeom(ST_Transform(ev.geom, 3857), b.tile, :extent, :buffer, true) AS geom
      FROM raw ev, bounds b
     WHERE ev.geom && b.box
       AND (CAST(:since AS timestamptz) IS NULL OR ev.at >= :since)
       AND (CAST(:until AS timestamptz) IS NULL OR ev.at < :until)
       AND (CAST(:category AS text) IS NULL OR ev.category LIKE :category || '%')
       AND (CAST(:prefix AS text) IS NULL OR ev.street_code LIKE :prefix || '%')
       AND (CAST(:community AS text) IS NULL OR ev.community_code = :community)
       AND (CAST(:reporter AS integer) IS NULL OR ev.reporter_id = :reporter)
       AND (CAST(:department AS text) IS NULL OR EXISTS (
                SELECT 1 FROM assignments a
                 WHERE a.case_id = ev.case_id AND a.department_code = :department))
       AND (CAST(:chief AS text) IS NULL OR EXISTS (
                SELECT 1 FROM roads r
                 WHERE r.chief_ref = :chief
                   AND r.generation_low <= :gen AND r.generation_high >= :gen
                   AND ST_DWithin(ST_Transform(r.geom, CAST(:metric_srid AS integer)),
                                  ST_Transform(ev.geom, CAST(:metric_srid AS integer)),
                                  :near_m)))
)
SELECT ST_AsMVT(rows, :layer, :extent, 'geom') FROM rows WHERE geom IS NOT NULL
"""
)
"""Raw events (the stored year and the reports that arrived through the service) with ref,
category, source and local time, narrowed to what the caller may see: a code prefix, a
community, a reporter's own reports, a department's assigned cases or a chief's roads
(within ``:near_m`` metres in EPSG:4548, as the chief's map measures), each NULL when it
does not apply; and by ``:since``/``:until``/``:category`` as the maps filter."""

ASSIGNED: TextClause = text(
    "SELECT count(*), coalesce(max(id), 0) FROM assignments WHERE department_code = :department"
)
"""How many assignments a department has (and the last one's id): the events a department
sees change with them, which the map cache's ``DataVersion`` does not follow."""
