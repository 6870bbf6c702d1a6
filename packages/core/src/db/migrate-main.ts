/** Entry of the migrations child process (runMigrationsInChild); imported by nothing. */
import { runMigrations } from "./migrate";

try {
  await runMigrations(process.argv[2] ?? "");
  process.exit(0);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
