-- 002: the web service's store (web/store_pg.py), the same tables as the embedded SQLite
-- store (web/storage.py), plus each zone version's polygons as real PostGIS geometries.
CREATE TABLE versions (
    id bigserial PRIMARY KEY,
    parent_id bigint REFERENCES versions (id),
    author text NOT NULL,
    created_at text NOT NULL,
    message text NOT NULL,
    spec_json text NOT NULL,
    zones_json text NOT NULL,
    sha256 text NOT NULL,
    jurisdiction text NOT NULL DEFAULT ''
);
CREATE TABLE publications (
    id bigserial PRIMARY KEY,
    version_id bigint NOT NULL REFERENCES versions (id),
    author text NOT NULL,
    at text NOT NULL,
    jurisdiction text NOT NULL DEFAULT ''
);
CREATE TABLE cohorts (
    id bigserial PRIMARY KEY,
    label text NOT NULL,
    synthetic integer NOT NULL,
    author text NOT NULL,
    created_at text NOT NULL,
    rows_json text NOT NULL,
    jurisdiction text NOT NULL DEFAULT ''
);
CREATE TABLE runs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    version_id bigint NOT NULL REFERENCES versions (id),
    cohort_id bigint NOT NULL REFERENCES cohorts (id),
    params_json text NOT NULL,
    of_record integer NOT NULL DEFAULT 0,
    author text NOT NULL,
    created_at text NOT NULL,
    finished_at text,
    status text NOT NULL,
    progress double precision NOT NULL DEFAULT 0,
    error text,
    result_json text
);
CREATE TABLE appeals (
    id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES runs (id),
    student_id text NOT NULL,
    filed_at text NOT NULL,
    deadline text NOT NULL,
    reason text NOT NULL,
    author text NOT NULL
);
CREATE TABLE decisions (
    id bigserial PRIMARY KEY,
    appeal_id bigint NOT NULL REFERENCES appeals (id),
    outcome text NOT NULL,
    new_school text,
    reason text NOT NULL,
    author text NOT NULL,
    at text NOT NULL
);
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role text NOT NULL,
    created_at text NOT NULL,
    active integer NOT NULL DEFAULT 1
);
CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    at text NOT NULL,
    username text,
    role text,
    action text NOT NULL,
    object text,
    detail text
);
CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE sessions (
    sid_sha256 text PRIMARY KEY,
    username text NOT NULL,
    created_at text NOT NULL,
    expires double precision NOT NULL
);
CREATE TABLE idempotency (
    scope_sha256 text PRIMARY KEY,
    request_sha256 text NOT NULL,
    created double precision NOT NULL,
    status integer,
    response_json text
);

-- Append-only, as in the SQLite store (geo_enroll_append_only() comes from 001).
CREATE TRIGGER versions_append_only BEFORE UPDATE OR DELETE ON versions
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();
CREATE TRIGGER publications_append_only BEFORE UPDATE OR DELETE ON publications
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();

-- Each saved version's zones as geometry(MultiPolygon, 4326) with a GiST index, written in
-- the same transaction as the version (a trigger reads its GeoJSON), so a GIS user opens
-- them in QGIS: table version_zones, or view published_zones (each jurisdiction's current).
CREATE TABLE version_zones (
    fid bigserial PRIMARY KEY,
    version_id bigint NOT NULL REFERENCES versions (id),
    jurisdiction text NOT NULL,
    school text,
    school_id text,
    level text,
    rule_id text,
    kind text,
    properties jsonb NOT NULL,
    geom geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX version_zones_geom_gist ON version_zones USING gist (geom);
CREATE INDEX version_zones_version ON version_zones (version_id);
CREATE TRIGGER version_zones_append_only BEFORE UPDATE OR DELETE ON version_zones
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_append_only();

CREATE FUNCTION geo_enroll_version_zones() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO version_zones (version_id, jurisdiction, school, school_id, level, rule_id, kind,
                               properties, geom)
    SELECT NEW.id, NEW.jurisdiction,
           f -> 'properties' ->> 'school', f -> 'properties' ->> 'school_id',
           f -> 'properties' ->> 'level', f -> 'properties' ->> 'rule_id',
           f -> 'properties' ->> 'kind', coalesce(f -> 'properties', '{}'::jsonb),
           ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(f ->> 'geometry'), 4326))
    FROM jsonb_array_elements(coalesce(NEW.zones_json::jsonb -> 'features', '[]'::jsonb)) AS f
    WHERE f -> 'geometry' IS NOT NULL AND f -> 'geometry' <> 'null'::jsonb
      AND GeometryType(ST_GeomFromGeoJSON(f ->> 'geometry')) IN ('POLYGON', 'MULTIPOLYGON');
    RETURN NEW;
END $$;
CREATE TRIGGER versions_zones_geometry AFTER INSERT ON versions
    FOR EACH ROW EXECUTE FUNCTION geo_enroll_version_zones();

CREATE VIEW published_zones AS
    SELECT z.* FROM version_zones z
    JOIN (SELECT DISTINCT ON (jurisdiction) jurisdiction, version_id
          FROM publications ORDER BY jurisdiction, id DESC) p
      ON z.version_id = p.version_id;

-- SQLite's json_array_length(text), which the store's queries use, for text columns.
CREATE FUNCTION json_array_length(text) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT json_array_length($1::json) $$;
