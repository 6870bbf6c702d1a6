CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TABLE "figure_snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"figures" jsonb NOT NULL,
	"computed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "activations_air_gapped_expiry_idx" ON "activations" USING btree ("license_file_expires_at") WHERE "activations"."deactivated_at" is null and "activations"."kind" = 'air_gapped';--> statement-breakpoint
CREATE INDEX "audit_action_idx" ON "audit_events" USING btree ("action","at","id");--> statement-breakpoint
CREATE INDEX "licenses_list_idx" ON "licenses" USING btree ("issued_at","id","state","plan","expires_at","grace_ends_at","team_id");--> statement-breakpoint
CREATE INDEX "licenses_email_trgm_idx" ON "licenses" USING gin ("email" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "licenses_company_trgm_idx" ON "licenses" USING gin ("company" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "licenses_key_suffix_idx" ON "licenses" USING btree (right("key_masked", 4));--> statement-breakpoint
CREATE INDEX "licenses_heartbeat_window_idx" ON "licenses" USING btree ("heartbeat_window_seconds") WHERE "licenses"."heartbeat_window_seconds" > 0;--> statement-breakpoint
CREATE INDEX "payments_renew_license_idx" ON "payments" USING btree ("renew_license_id");--> statement-breakpoint
CREATE INDEX "payments_paid_license_idx" ON "payments" USING btree (coalesce("license_id", "renew_license_id"));--> statement-breakpoint
CREATE INDEX "teams_name_trgm_idx" ON "teams" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "users_email_trgm_idx" ON "users" USING gin ("email" gin_trgm_ops);--> statement-breakpoint
DROP INDEX "licenses_issued_idx";--> statement-breakpoint
-- Statistics for the new expression index (right(key_masked, 4)): without them the planner guesses.
ANALYZE "licenses";
