-- 001: published zone layers, append-only, with real PostGIS geometries.
-- A GIS user opens table "zones" (or one version through the view zones_latest) in QGIS/GDAL.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE zone_layers (
    version_id   bigserial PRIMARY KEY,
    jurisdiction text        NOT NULL,
    label        text        NOT NULL,
    sha256       text        NOT NULL,
    n_zones      integer     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE zones (
    fid        bigserial PRIMARY KEY,
    version_id bigint  NOT NULL REFERENCES zone_layers (version_id),
    school     text    NOT NULL,
    school_id  text    NOT NULL,
    level      text    NOT NULL,
    rule_id    text    NOT NULL,
    kind       text    NOT NULL,
    source     text,
    line       integer,
    within     text,
    schematic  boolean NOT NULL DEFAULT false,
    geom       geometry(MultiPolygon, 4326) NOT NULL,
    UNIQUE (version_id, rule_id)
);
CREATE INDEX zones_geom_gist ON zones USING gist (geom);
CREATE INDEX zones_version ON zones (version_id);

-- Append-only: a published layer never changes; a new layer is a new version.
CREATE FUNCTION geo_enroll_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused (publish a new version instead)',
        TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER zone_layers_append_only BEFORE UPDATE OR DELETE ON zone_layers
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();
CREATE TRIGGER zones_append_only BEFORE UPDATE OR DELETE ON zones
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();

CREATE VIEW zones_latest AS
    SELECT z.* FROM zones z
    JOIN (SELECT jurisdiction, max(version_id) AS version_id FROM zone_layers GROUP BY jurisdiction) l
      ON z.version_id = l.version_id;
