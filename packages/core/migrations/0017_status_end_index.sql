CREATE INDEX "licenses_status_end_idx" ON "licenses" USING btree ((case when "state" = 'superseded' and "grace_ends_at" is not null and "grace_ends_at" < "expires_at" then "grace_ends_at" else "expires_at" end),"state","plan","expires_at","grace_ends_at");--> statement-breakpoint
-- Statistics for the expression.
ANALYZE "licenses";
