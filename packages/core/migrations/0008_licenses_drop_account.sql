ALTER TABLE "licenses" DROP CONSTRAINT "licenses_account_id_users_id_fk";
--> statement-breakpoint
DROP INDEX "licenses_account_idx";--> statement-breakpoint
ALTER TABLE "licenses" DROP COLUMN "account_id";