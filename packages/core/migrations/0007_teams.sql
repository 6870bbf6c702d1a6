CREATE TABLE "subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"mode" text NOT NULL,
	"customer_id" text,
	"status" text NOT NULL,
	"plan" text,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"current_period_end" timestamp with time zone,
	"scheduled_plan" text,
	"last_event_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "team_members" (
	"team_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"invited_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "team_members_team_id_user_id_pk" PRIMARY KEY("team_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"primary_license_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "team_id" uuid;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "team_id" uuid;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "buyer_token_hash" text;--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD COLUMN "key_revealed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "licenses" ADD COLUMN "team_id" uuid;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "kind" text DEFAULT 'purchase' NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "receipt_url" text;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_primary_license_id_licenses_id_fk" FOREIGN KEY ("primary_license_id") REFERENCES "public"."licenses"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "team_members_user_idx" ON "team_members" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "checkout_sessions" ADD CONSTRAINT "checkout_sessions_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licenses" ADD CONSTRAINT "licenses_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_team_idx" ON "audit_events" USING btree ("team_id","at");--> statement-breakpoint
CREATE INDEX "licenses_team_idx" ON "licenses" USING btree ("team_id");--> statement-breakpoint
CREATE INDEX "payments_license_idx" ON "payments" USING btree ("license_id","created_at");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
-- Every account that held licenses becomes a team with that user as its owner (the team id is derived from the user id, so this runs once and joins up).
INSERT INTO "teams" ("id", "name", "created_at")
  SELECT md5('team:' || u."id")::uuid, coalesce(nullif(u."company", ''), u."email", 'Team'), u."created_at"
  FROM "users" u WHERE EXISTS (SELECT 1 FROM "licenses" l WHERE l."account_id" = u."id");--> statement-breakpoint
INSERT INTO "team_members" ("team_id", "user_id", "role", "created_at")
  SELECT md5('team:' || u."id")::uuid, u."id", 'owner', u."created_at"
  FROM "users" u WHERE EXISTS (SELECT 1 FROM "licenses" l WHERE l."account_id" = u."id");--> statement-breakpoint
UPDATE "licenses" SET "team_id" = md5('team:' || "account_id")::uuid WHERE "account_id" IS NOT NULL;--> statement-breakpoint
UPDATE "payments" SET "kind" = CASE WHEN "renew_license_id" IS NOT NULL THEN 'renewal' WHEN "upgrade_from_license_id" IS NOT NULL THEN 'upgrade' ELSE 'purchase' END;
