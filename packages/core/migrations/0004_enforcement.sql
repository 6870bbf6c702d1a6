CREATE TABLE "slot_swaps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"license_id" uuid NOT NULL,
	"instance_id" varchar(128) NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"override" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "clients" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "certificate_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "deactivated_by" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "slot_frees_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "licenses" ADD COLUMN "swaps_per_30_days" integer;--> statement-breakpoint
ALTER TABLE "licenses" ADD COLUMN "heartbeat_window_seconds" integer;--> statement-breakpoint
ALTER TABLE "slot_swaps" ADD CONSTRAINT "slot_swaps_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "slot_swaps_license_idx" ON "slot_swaps" USING btree ("license_id","at");--> statement-breakpoint
CREATE INDEX "activations_heartbeat_idx" ON "activations" USING btree ("last_seen_at") WHERE "activations"."deactivated_at" is null;--> statement-breakpoint
-- Installations active before this migration: their certificates (7 days) were issued at their last check-in at the latest.
UPDATE "activations" SET "certificate_expires_at" = "last_seen_at" + interval '7 days';
