import { type NextRequest, NextResponse } from "next/server";

/**
 * An optimistic check before the Admin Panel and the back office render:
 * without a session cookie at all, answer a real 307 to sign-in (pages stream,
 * so their own redirect would arrive as a 200 with a client-side refresh).
 * The pages and every server action still verify the session itself.
 */
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];

export function proxy(request: NextRequest) {
  const hasSession = request.cookies
    .getAll()
    .some(({ name }) => SESSION_COOKIES.some((session) => name === session || name.startsWith(`${session}.`))); // chunked
  if (hasSession) return NextResponse.next();
  const signIn = new URL("/signin", request.url);
  signIn.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(signIn, 307);
}

// Pages only: /admin/activate-license and /admin/generate-trial are JSON APIs with their own credentials.
export const config = { matcher: ["/admin", "/admin/license/:path*", "/admin/team/:path*", "/staff", "/staff/:path*"] };
