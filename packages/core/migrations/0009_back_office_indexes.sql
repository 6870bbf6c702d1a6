CREATE INDEX "audit_at_idx" ON "audit_events" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "licenses_issued_idx" ON "licenses" USING btree ("issued_at","id");--> statement-breakpoint
CREATE INDEX "payments_created_idx" ON "payments" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "teams_created_idx" ON "teams" USING btree ("created_at","id");