import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { packageRoot } from "../package-root";

export const MIGRATIONS_FOLDER = path.join(packageRoot(), "migrations");

/** Applies the committed migrations; an advisory lock keeps concurrent starts from racing. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(7162024)`;
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    await sql`select pg_advisory_unlock(7162024)`;
  } finally {
    await sql.end();
  }
}
