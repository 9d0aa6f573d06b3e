-- Raw because it is the whole point lookup in one round trip (the router's hot statement on a
-- session), with a lateral plan on the subdivided parts that Core would only obscure.
--
-- A point (:lon, :lat, WGS-84) in generation :gen (NULL: the active one): the deepest area
-- within :eps degrees (smallest code first among equals), the names up its hierarchy and,
-- with an accuracy radius :r (metres, 0: none), the streets the disc (:quad segments, drawn
-- in :metric_srid) reaches with their areas (a single street reached takes the whole disc, so
-- the intersection is only computed when the disc crosses a boundary) and, only for a point
-- outside every area, the nearest district and its distance.
-- The point and disc tests run on the subdivided area_parts only: an area is the union of its
-- parts, so the distance to the area is the smallest distance to a part, and small parts are
-- cheap to test where a district's full outline is not. "+ 0" keeps the planner on the code
-- index for the names (the generation index would match every area of the generation). The
-- prefixes are the code lengths of geo.codes.CODE_LENGTH (6, 9, 12, 15).
WITH g AS (SELECT COALESCE(CAST(:gen AS integer), (SELECT max(id) FROM generations)) AS gen),
pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS p),
deepest AS (
  SELECT a.code FROM area_parts p JOIN areas a ON a.id = p.area_id, g, pt
  WHERE a.generation_low <= g.gen AND a.generation_high >= g.gen
  AND ST_DWithin(p.geom, pt.p, :eps)
  ORDER BY length(a.code) DESC, a.code LIMIT 1
),
disc AS (
  SELECT ST_Transform(ST_Buffer(ST_Transform(pt.p, CAST(:metric_srid AS integer)),
         CAST(:r AS float8), CAST(:quad AS text)), 4326) AS d
  FROM pt WHERE CAST(:r AS float8) > 0
),
hit AS (
  SELECT a.code, a.name, a.geom FROM areas a, g
  WHERE a.level = 'street' AND a.generation_low <= g.gen AND a.generation_high >= g.gen
  AND a.id IN (SELECT p.area_id FROM area_parts p, disc WHERE ST_Intersects(p.geom, disc.d))
)
SELECT g.gen,
  (SELECT code FROM deepest) AS code,
  (SELECT json_agg(json_build_array(a.level, a.code, a.name)) FROM areas a, deepest d
   WHERE a.code = ANY(ARRAY[left(d.code, 6), left(d.code, 9), left(d.code, 12), left(d.code, 15)])
   AND a.generation_low + 0 <= g.gen AND a.generation_high + 0 >= g.gen) AS areas,
  (SELECT json_agg(json_build_array(h.code, h.name, CASE WHEN (SELECT count(*) FROM hit) = 1
     THEN 1.0 ELSE ST_Area(ST_Transform(ST_Intersection(h.geom, disc.d),
                                        CAST(:metric_srid AS integer))) END)
     ORDER BY h.code) FROM hit h, disc) AS shares
FROM g, pt
