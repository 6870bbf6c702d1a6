/**
 * An HTTP client for the black-box suite: plain node:http, one connection per
 * request, so a test can send what fetch refuses to (TRACE, a chunked body of
 * several chunks without Content-Length, a body that never ends).
 *
 * Every client is one "machine": it connects from its own loopback address
 * (127.x.y.z; Linux routes the whole of 127/8 to lo), so the server sees a
 * different socket address per client. That keeps per-IP limits (trials,
 * failed lookups) apart between tests and between runs on a PostgreSQL that
 * keeps its rate-limit rows, without TRUST_PROXY and without any header a
 * client could forge. Requests go to 127.0.0.1 with `Host: localhost:<port>`,
 * the host of the server's own URL, so same-origin checks see one origin.
 */
import { randomInt } from "node:crypto";
import http from "node:http";
import type { AppServer } from "../../support/app-server";

/** A parsed JSON body: tests read into it freely and assert what they find. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON under test
export type Json = any;

export type Reply = {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  body: Json;
  /** For a body sent with `hold`: whether the answer came while the body was still open. */
  answeredBeforeEnd?: boolean;
};

export type SendOptions = {
  method?: string;
  headers?: Record<string, string>;
  /** Sent in one piece with Content-Length. */
  body?: string | Buffer;
  /** Sent with Transfer-Encoding: chunked and no Content-Length, one write per chunk. */
  chunks?: (string | Buffer)[];
  /**
   * With `chunks`: after the last chunk keep the body open this many ms and wait for an answer
   * (a server that refuses an oversized body answers without waiting for its end); then end it.
   */
  hold?: number;
  /** Milliseconds between chunks. */
  chunkDelay?: number;
};

const REQUEST_TIMEOUT_MS = 30_000;

/** Every answer any Client of this test file received, in order (checked against the OpenAPI document). */
export const recordedAnswers: { method: string; path: string; reply: Reply }[] = [];

/** A loopback address other than 127.0.0.1, drawn at random. */
export function randomLoopbackIp(): string {
  return `127.${randomInt(1, 255)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

export class Client {
  /** Cookies the server set (a signed-in browser's session), sent back on every request. */
  readonly cookies = new Map<string, string>();

  constructor(
    readonly server: Pick<AppServer, "port" | "url">,
    readonly ip = randomLoopbackIp(),
  ) {}

  get origin(): string {
    return this.server.url;
  }

  cookieHeader(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  send(path: string, options: SendOptions = {}): Promise<Reply> {
    const method = options.method ?? (options.body !== undefined || options.chunks ? "POST" : "GET");
    const headers: Record<string, string> = { Host: new URL(this.server.url).host, ...options.headers };
    if (options.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(options.body));
    return new Promise<Reply>((resolve, reject) => {
      let answered = false;
      let ended = false;
      const req = http.request(
        {
          host: "127.0.0.1",
          port: this.server.port,
          localAddress: this.ip,
          method,
          path,
          headers,
          setHost: false,
          agent: false,
        },
        (res) => {
          answered = true;
          const answeredBeforeEnd = options.hold !== undefined ? !ended : undefined;
          const parts: Buffer[] = [];
          res.on("data", (part: Buffer) => parts.push(part));
          res.on("error", reject);
          res.on("end", () => {
            for (const cookie of ([] as string[]).concat(res.headers["set-cookie"] ?? [])) {
              const [pair] = cookie.split(";");
              const eq = pair!.indexOf("=");
              const name = pair!.slice(0, eq).trim();
              const value = pair!.slice(eq + 1).trim();
              if (/max-age=0|expires=thu, 01 jan 1970/i.test(cookie) || value === "") this.cookies.delete(name);
              else this.cookies.set(name, value);
            }
            const text = Buffer.concat(parts).toString("utf8");
            let body: Json = null;
            try {
              body = JSON.parse(text);
            } catch {
              body = null;
            }
            const reply = { status: res.statusCode ?? 0, headers: res.headers, text, body, answeredBeforeEnd };
            recordedAnswers.push({ method, path, reply });
            resolve(reply);
            req.destroy();
          });
        },
      );
      // A server that never answers fails the request with a clear message, well inside the test's timeout.
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
      req.on("error", (error: NodeJS.ErrnoException) => {
        // Writing into a connection the server closed after answering is the client's problem, not the answer's.
        if (answered) return;
        reject(new Error(`${method} ${path}: no answer (${error.code ?? error.message})`));
      });
      if (options.chunks) {
        void (async () => {
          for (const chunk of options.chunks!) {
            if (answered || req.destroyed) return;
            req.write(chunk);
            await delay(options.chunkDelay ?? 2);
          }
          if (options.hold !== undefined) {
            const until = Date.now() + options.hold;
            while (!answered && !req.destroyed && Date.now() < until) await delay(20);
          }
          if (!answered && !req.destroyed) {
            ended = true;
            req.end();
          }
        })();
      } else {
        ended = true;
        req.end(options.body);
      }
    });
  }

  /** A JSON request: `value` serialised unless it is already a string or Buffer. */
  json(path: string, value: unknown, options: Omit<SendOptions, "body"> = {}): Promise<Reply> {
    const body = typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value);
    return this.send(path, { ...options, body, headers: { "Content-Type": "application/json", ...options.headers } });
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Which side of the launcher answered: Next.js marks every App Router answer with its `Vary: rsc, …`. */
export function answeredBy(reply: Reply): "next" | "fast" {
  const vary = String(reply.headers.vary ?? "").toLowerCase();
  return vary.includes("next-router-state-tree") ? "next" : "fast";
}
