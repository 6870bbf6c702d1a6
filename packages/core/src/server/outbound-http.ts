/**
 * Outbound HTTP for webhooks, safe against SSRF (docs/VENDOR-API.md §3, "SSRF policy").
 *
 * - https:// only; no credentials in the URL.
 * - Every address the host resolves to must be public unicast (ipaddr.js's range
 *   classification): private, loopback, link-local, CGNAT, multicast, reserved,
 *   unspecified, IPv4-mapped/translated and tunnelling ranges are refused, v4 and v6.
 * - Checked when an endpoint is saved and again at every attempt; the request
 *   connects to the very address that was checked (a custom `lookup`), so a
 *   name that re-resolves elsewhere between check and connect (DNS rebinding)
 *   gets nowhere. TLS still verifies the certificate against the host name.
 * - No redirects (node:http never follows them; a 3xx is a failed attempt),
 *   one overall deadline, only the first 1 KB of the answer is read.
 *
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_TARGETS=true) lifts the scheme and
 * address rules for development and tests; nothing else changes.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { LicenseError } from "../license/errors";

export const RESPONSE_EXCERPT_BYTES = 1024;
const MAX_URL_LENGTH = 2048;

export type OutboundPolicy = { allowPrivate: boolean };

const refused = (message: string) => new LicenseError("WEBHOOK_URL_REFUSED", message);

/** The deprecated IPv4-compatible range (`::a.b.c.d`), which ipaddr.js calls unicast: never a webhook target. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** True for a public unicast address (v4, v6, or v6 carrying a v4 that is public). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // ::ffff:a.b.c.d is judged as a.b.c.d (ipaddr.process), so a mapped loopback is loopback.
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv6" && parsed.match(IPV4_COMPATIBLE)) return false;
  return parsed.range() === "unicast";
}

/**
 * Text from the far side as PostgreSQL can store it and a page can show it: no NUL or other
 * control characters (a NUL is refused by PostgreSQL's text type and would leave the attempt
 * unrecorded, the delivery stuck and re-sent).
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "\uFFFD");
}

/** The URL's shape: scheme, no credentials, a host. Throws WEBHOOK_URL_REFUSED. */
export function parseTargetUrl(raw: string, policy: OutboundPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) throw refused(`Keep the URL under ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused("Enter a full URL, like https://hooks.example.com/ticketzero.");
  }
  if (url.protocol !== "https:" && !(policy.allowPrivate && url.protocol === "http:")) {
    throw refused("Webhook URLs must use https://.");
  }
  if (url.username || url.password) throw refused("Put no user name or password in the URL; verify the signature.");
  if (!url.hostname) throw refused("The URL needs a host name.");
  return url;
}

/** `[::1]` → `::1` (URL keeps IPv6 literals bracketed). */
const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, "$1");

export type ResolvedTarget = { url: URL; address: string; family: 4 | 6 };

/**
 * Parses and resolves a target, refusing it unless every address it resolves
 * to is allowed. Returns the address to connect to. Throws WEBHOOK_URL_REFUSED.
 */
export async function resolveTarget(raw: string, policy: OutboundPolicy): Promise<ResolvedTarget> {
  const url = parseTargetUrl(raw, policy);
  const host = bareHost(url.hostname);
  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(":") ? 6 : 4 }];
  } else {
    try {
      addresses = await dnsLookup(host, { all: true, verbatim: true });
    } catch {
      throw refused(`The host name ${host} does not resolve.`);
    }
  }
  if (!addresses.length) throw refused(`The host name ${host} does not resolve.`);
  // One private address is enough to refuse: the resolver may hand any of them out later.
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad && !policy.allowPrivate) {
    throw refused(
      `${host} ${bad.address === host ? "is" : `resolves to ${bad.address}, which is`} a private, loopback, link-local or reserved address: webhooks go to public addresses only.`,
    );
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

export type OutboundResult = {
  /** The HTTP status, or null when there was no answer (refused, timeout, network error). */
  statusCode: number | null;
  durationMs: number;
  /** The first 1 KB of the answer (UTF-8, lossy). */
  responseExcerpt: string | null;
  /** Why there was no 2xx answer from the network's or the policy's side. */
  error: string | null;
  /** The policy refused the target (no request was made). */
  refused: boolean;
  /** The attempt was abandoned by `signal` (shutdown): not the receiver's failure, not to be recorded. */
  aborted: boolean;
};

export type PostOptions = {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The whole attempt: resolving the name, connecting, sending and reading the answer. */
  timeoutMs: number;
  policy: OutboundPolicy;
  /** Aborts the attempt (the app is shutting down): the result says `aborted`. */
  signal?: AbortSignal;
};

/** POSTs `body` to `url` under the policy; never throws. */
export async function postOutbound(options: PostOptions): Promise<OutboundResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timedOut = `no answer within ${options.timeoutMs} ms`;
  let target: ResolvedTarget;
  let lookupTimer: NodeJS.Timeout | undefined;
  try {
    // The deadline covers the name lookup too: a slow name server is a slow receiver.
    target = await Promise.race([
      resolveTarget(options.url, options.policy),
      new Promise<never>((_resolve, reject) => {
        lookupTimer = setTimeout(() => reject(new Error(timedOut)), options.timeoutMs);
      }),
    ]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      statusCode: null,
      durationMs: elapsed(),
      responseExcerpt: null,
      error: printable(message),
      refused: message !== timedOut,
      aborted: false,
    };
  } finally {
    clearTimeout(lookupTimer);
  }
  const remainingMs = Math.max(1, options.timeoutMs - elapsed());
  // The connection goes to the checked address, whatever the name resolves to by now.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const client = target.url.protocol === "https:" ? https : http;
  return new Promise<OutboundResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<OutboundResult, "durationMs" | "refused" | "aborted">, aborted = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal?.removeEventListener("abort", onAbort);
      request.destroy();
      resolve({ ...result, durationMs: elapsed(), refused: false, aborted });
    };
    const onAbort = () => finish({ statusCode: null, responseExcerpt: null, error: "aborted: shutting down" }, true);
    const request = client.request(
      target.url,
      {
        method: "POST",
        headers: { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) },
        lookup: pinned,
        agent: false, // a fresh connection per attempt: no pooled socket to an earlier address
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () =>
          finish({
            statusCode: response.statusCode ?? null,
            responseExcerpt: printable(Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString("utf8")),
            error: null,
          });
        response.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_EXCERPT_BYTES) done(); // the rest is not read
        });
        response.on("end", done);
        response.on("error", done);
      },
    );
    const deadline = setTimeout(
      () => finish({ statusCode: null, responseExcerpt: null, error: timedOut }),
      remainingMs,
    );
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    request.on("error", (error: NodeJS.ErrnoException) =>
      finish({ statusCode: null, responseExcerpt: null, error: printable(error.code ?? error.message) }),
    );
    request.end(options.body);
  });
}
