CREATE TABLE "air_gapped_requests" (
	"license_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"instance_id" varchar(128) NOT NULL,
	"license_file_id" text NOT NULL,
	"answered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "air_gapped_requests_license_id_nonce_pk" PRIMARY KEY("license_id","nonce")
);
--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "kind" text DEFAULT 'online' NOT NULL;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "instance_public_key" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_id" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_nonce" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file" text;--> statement-breakpoint
ALTER TABLE "activations" ADD COLUMN "license_file_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "air_gapped_requests" ADD CONSTRAINT "air_gapped_requests_license_id_licenses_id_fk" FOREIGN KEY ("license_id") REFERENCES "public"."licenses"("id") ON DELETE cascade ON UPDATE no action;