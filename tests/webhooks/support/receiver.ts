/**
 * A local webhook receiver for tests: a node:http server that records every
 * request (headers, raw body) and answers what the test says.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export type Received = { headers: IncomingHttpHeaders; body: string; at: number };
type Answer = (n: number, body: string) => number | { status: number; text: string };

export type Receiver = {
  url: string;
  received: Received[];
  /**
   * The status of the next answers (default 200); a function sees how many came before and the
   * body, and may also give the answer's text.
   */
  respond: (status: number | Answer) => void;
  ids: () => string[];
  close(): Promise<void>;
};

export async function startReceiver(path = "/hook"): Promise<Receiver> {
  const received: Received[] = [];
  let status: number | Answer = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = received.length;
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: req.headers, body, at: Date.now() });
      const answer = typeof status === "function" ? status(n, body) : status;
      const code = typeof answer === "number" ? answer : answer.status;
      res.writeHead(code, { "content-type": "text/plain" });
      res.end(typeof answer === "number" ? (code < 300 ? "ok" : `nope ${n}`) : answer.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    respond: (s) => {
      status = s;
    },
    ids: () => received.map((r) => String(r.headers["webhook-id"])),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
