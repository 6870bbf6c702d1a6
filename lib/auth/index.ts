/**
 * Accounts: next-auth with the Drizzle adapter and email magic links. Links
 * are single-use (the adapter deletes the token when it is used) and expire
 * after 15 minutes. Mail goes over SMTP when SMTP_URL is set; otherwise to the
 * dev outbox, and the link is printed to the server log.
 */
import "server-only";
import { DrizzleAdapter } from "@auth/drizzle-adapter";
import { getDb } from "@ticketzero/core/db/client";
import { accounts, sessions, users, verificationTokens } from "@ticketzero/core/db/schema";
import { config } from "@ticketzero/core/server/config";
import { isOutboxEnabled, sendMail } from "@ticketzero/core/server/mail";
import NextAuth from "next-auth";

export const SIGN_IN_LINK_MINUTES = 15;

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  adapter: DrizzleAdapter(getDb(), {
    usersTable: users,
    accountsTable: accounts,
    sessionsTable: sessions,
    verificationTokensTable: verificationTokens,
  } as never),
  // Database sessions: signing out deletes the session row, so a copied cookie is refused at once
  // ("sign out everywhere" deletes them all, lib/auth/session.ts).
  session: { strategy: "database", maxAge: 30 * 24 * 3600, updateAge: 24 * 3600 },
  trustHost: true,
  pages: { signIn: "/signin", verifyRequest: "/signin/check-email", error: "/signin" },
  providers: [
    {
      id: "email",
      type: "email",
      name: "Email",
      from: config().mailFrom,
      maxAge: SIGN_IN_LINK_MINUTES * 60,
      options: {},
      async sendVerificationRequest({ identifier, url }) {
        await sendMail({
          to: identifier,
          subject: "Sign in to the TicketZero License Portal",
          text: `Sign in to the TicketZero License Portal:\n\n${url}\n\nThe link works once and expires in ${SIGN_IN_LINK_MINUTES} minutes. If you did not ask for it, ignore this mail.`,
        });
        if (isOutboxEnabled()) console.info(`[auth] sign-in link for ${identifier}: ${url}`);
      },
    },
  ],
  callbacks: {
    session({ session, user }) {
      if (user?.id && session.user) session.user.id = user.id;
      return session;
    },
  },
  secret: process.env.AUTH_SECRET,
  debug: false,
  logger: config().isProduction ? undefined : { debug: () => {} },
}));
