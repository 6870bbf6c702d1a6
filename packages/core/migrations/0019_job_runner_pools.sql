CREATE TABLE "job_runner_pools" (
	"pool_id" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
