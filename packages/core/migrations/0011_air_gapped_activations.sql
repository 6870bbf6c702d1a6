ALTER TABLE "activations" ADD COLUMN "kind" text DEFAULT 'online' NOT NULL;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "instance_public_key" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_id" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_nonce" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_expires_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "licenses_key_masked_idx" ON "licenses" USING btree ("key_masked");