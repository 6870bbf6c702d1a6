-- Every change to what a license's status is made of (the license, its activations, its usage,
-- its swaps) notifies `tz_license_changed` with the license's id, at commit: each app process's
-- status cache (license/status-cache.ts) drops that license. Triggers, not calls in the code: no
-- path that changes a license can forget to tell the caches. One notification per license per
-- statement; a statement touching more than 100 licenses (a bulk load, a staff bulk action)
-- sends '*' instead, and every cache drops everything. A check-in (only last_seen_at and
-- certificate_expires_at) notifies nobody: the status shows it only in the next slot's estimate
-- when every slot is taken, and the cache re-reads such a license every few seconds.
CREATE FUNCTION tz_notify_license_ids(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  ELSIF cardinality(ids) > 100 THEN
    PERFORM pg_notify('tz_license_changed', '*');
  ELSE
    PERFORM pg_notify('tz_license_changed', id::text) FROM unnest(ids) AS id;
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION tz_licenses_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT id) INTO ids FROM new_rows;
  ELSE
    SELECT array_agg(DISTINCT id) INTO ids FROM old_rows;
  END IF;
  PERFORM tz_notify_license_ids(ids);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- activations, usage_months, slot_swaps: rows that name their license in license_id.
CREATE FUNCTION tz_license_rows_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT license_id) INTO ids FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT license_id) INTO ids FROM old_rows;
  ELSE
    SELECT array_agg(DISTINCT license_id) INTO ids
      FROM (SELECT license_id FROM new_rows UNION SELECT license_id FROM old_rows) changed;
  END IF;
  PERFORM tz_notify_license_ids(ids);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- An activation update notifies only when something the status shows changed (not a check-in).
CREATE FUNCTION tz_activations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(DISTINCT n.license_id) INTO ids
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE (n.license_id, n.instance_id, n.clients, n.activated_at, n.deactivated_at, n.deactivated_by,
          n.slot_frees_at, n.kind, n.license_file_expires_at)
         IS DISTINCT FROM
         (o.license_id, o.instance_id, o.clients, o.activated_at, o.deactivated_at, o.deactivated_by,
          o.slot_frees_at, o.kind, o.license_file_expires_at);
  PERFORM tz_notify_license_ids(ids);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tz_license_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('tz_license_changed', '*');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER licenses_changed_insert AFTER INSERT ON licenses REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_licenses_changed();
--> statement-breakpoint
CREATE TRIGGER licenses_changed_update AFTER UPDATE ON licenses REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_licenses_changed();
--> statement-breakpoint
CREATE TRIGGER licenses_changed_delete AFTER DELETE ON licenses REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_licenses_changed();
--> statement-breakpoint
CREATE TRIGGER licenses_truncated AFTER TRUNCATE ON licenses
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_truncated();
--> statement-breakpoint
CREATE TRIGGER activations_changed_insert AFTER INSERT ON activations REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER activations_changed_update AFTER UPDATE ON activations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_activations_updated();
--> statement-breakpoint
CREATE TRIGGER activations_changed_delete AFTER DELETE ON activations REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER activations_truncated AFTER TRUNCATE ON activations
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_truncated();
--> statement-breakpoint
CREATE TRIGGER usage_months_changed_insert AFTER INSERT ON usage_months REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER usage_months_changed_update AFTER UPDATE ON usage_months
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER usage_months_changed_delete AFTER DELETE ON usage_months REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER usage_months_truncated AFTER TRUNCATE ON usage_months
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_truncated();
--> statement-breakpoint
CREATE TRIGGER slot_swaps_changed_insert AFTER INSERT ON slot_swaps REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER slot_swaps_changed_update AFTER UPDATE ON slot_swaps
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER slot_swaps_changed_delete AFTER DELETE ON slot_swaps REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_rows_changed();
--> statement-breakpoint
CREATE TRIGGER slot_swaps_truncated AFTER TRUNCATE ON slot_swaps
  FOR EACH STATEMENT EXECUTE FUNCTION tz_license_truncated();
