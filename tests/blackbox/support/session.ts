/**
 * Signing in over HTTP, as a person does: the sign-in form (a server action)
 * mails a magic link, the dev outbox (APP_ENV=development) shows it, and
 * opening it sets the session cookie, which the client then keeps.
 */
import type { Client } from "./client";
import { browserHeaders, decodeEntities, submitForm } from "./forms";

export async function signIn(client: Client, email: string, callbackPath = "/admin/license"): Promise<void> {
  const { reply } = await submitForm(client, `/signin?callbackUrl=${encodeURIComponent(callbackPath)}`, {
    email,
    callbackUrl: callbackPath,
  });
  if (reply.status >= 400) throw new Error(`sign-in form answered ${reply.status}: ${reply.text.slice(0, 300)}`);

  let link: string | null = null;
  for (let attempt = 0; attempt < 50 && !link; attempt++) {
    const outbox = await client.send(`/dev/outbox?to=${encodeURIComponent(email)}`, {
      headers: browserHeaders(client, false),
    });
    if (outbox.status !== 200) throw new Error(`/dev/outbox answered ${outbox.status}`);
    const href = /href="([^"]*\/api\/auth\/callback\/email[^"]*)"/.exec(outbox.text)?.[1];
    if (href) link = decodeEntities(href);
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!link) throw new Error(`no sign-in link for ${email} in the dev outbox`);

  const url = new URL(link);
  const opened = await client.send(url.pathname + url.search, { headers: browserHeaders(client, false) });
  if (opened.status >= 400) throw new Error(`the sign-in link answered ${opened.status}: ${opened.text.slice(0, 300)}`);
  if (![...client.cookies.keys()].some((name) => name.includes("authjs.session-token"))) {
    throw new Error(
      `the sign-in link set no session cookie (status ${opened.status}, cookies: ${[...client.cookies.keys()].join(", ")})`,
    );
  }
}
