import "server-only";
import { getDb } from "@ticketzero/core/db/client";
import { sessions } from "@ticketzero/core/db/schema";
import { eq } from "drizzle-orm";
import { auth } from "./index";

/** The signed-in account's id, or null. */
export async function sessionAccountId(): Promise<string | null> {
  const session = await auth();
  return session?.user?.id ?? null;
}

export async function sessionUser(): Promise<{ id: string; email: string } | null> {
  const session = await auth();
  const user = session?.user;
  return user?.id && user.email ? { id: user.id, email: user.email } : null;
}

/** "Sign out everywhere": deletes every session of the user, this browser's included. */
export async function endAllSessions(userId: string): Promise<void> {
  await getDb().delete(sessions).where(eq(sessions.userId, userId));
}
