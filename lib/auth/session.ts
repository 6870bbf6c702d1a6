import "server-only";
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
