ALTER TABLE "subscriptions" ADD COLUMN "upgrade_started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "team_members" ADD COLUMN "accepted_at" timestamp with time zone;--> statement-breakpoint
-- Memberships before invitations needed accepting count as accepted.
UPDATE "team_members" SET "accepted_at" = "created_at" WHERE "accepted_at" IS NULL;
