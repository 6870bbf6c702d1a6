/**
 * The embedded PostgreSQL: one process owns the PGlite data folder and serves
 * it over the PostgreSQL wire protocol on loopback, so the app, the CLI and
 * the tests all reach it with postgres.js (one driver path) and no two
 * processes ever open the folder.
 *
 * PGlite is a single session. Many client connections share it through a
 * small multiplexer: a connection's messages up to a Sync/Query/Flush run as
 * one unit, and while a connection holds an open transaction no other
 * connection's messages run. That keeps transactions and row locks correct.
 */
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

const SSL_REQUEST_CODE = 80877103;
const CANCEL_REQUEST_CODE = 80877102;
const PROTOCOL_V3 = 196608;
/** Message types after which a client waits for the server's answer. */
const BATCH_END = new Set(["S", "Q", "H"]);
const FLUSH = "H".charCodeAt(0);

type Batch = { conn: Connection; messages: Uint8Array[] };

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private pending: Uint8Array[] = [];
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly mux: ProtocolMultiplexer,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("close", () => this.onClose());
    socket.on("error", () => socket.destroy());
  }

  private onData(chunk: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        if (code === SSL_REQUEST_CODE) {
          this.socket.write("N");
          continue;
        }
        if (code === CANCEL_REQUEST_CODE) {
          this.socket.end();
          return;
        }
        if (code !== PROTOCOL_V3) {
          this.socket.destroy();
          return;
        }
        this.started = true;
        this.mux.enqueue({ conn: this, messages: [new Uint8Array(message)] });
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = 1 + this.buffer.readInt32BE(1);
      if (this.buffer.length < length) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const message = new Uint8Array(this.buffer.subarray(0, length));
      this.buffer = this.buffer.subarray(length);
      if (type === "X") {
        this.socket.end();
        return;
      }
      this.pending.push(message);
      if (BATCH_END.has(type)) {
        this.mux.enqueue({ conn: this, messages: this.pending });
        this.pending = [];
      }
    }
  }

  private onClose() {
    this.closed = true;
    this.mux.release(this);
  }

  write(data: Uint8Array) {
    if (!this.closed && this.socket.writable) this.socket.write(data);
  }
}

class ProtocolMultiplexer {
  private queue: Batch[] = [];
  private running = false;
  /** The connection with an open transaction; only it may run until it ends. */
  private owner: Connection | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(batch: Batch) {
    this.queue.push(batch);
    void this.drain();
  }

  release(conn: Connection) {
    this.queue = this.queue.filter((b) => b.conn !== conn);
    if (this.owner === conn) {
      this.owner = null;
      void this.db
        .runExclusive(() => this.db.exec("ROLLBACK"))
        .catch(() => {})
        .finally(() => this.drain());
    }
  }

  private next(): Batch | undefined {
    if (!this.owner) return this.queue.shift();
    const index = this.queue.findIndex((b) => b.conn === this.owner);
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  private async drain() {
    if (this.running) return;
    this.running = true;
    try {
      for (let batch = this.next(); batch; batch = this.next()) {
        const { conn, messages } = batch;
        await this.db.runExclusive(async () => {
          for (const message of messages) {
            await this.db.execProtocolRawStream(message, { onRawData: (data) => conn.write(data) });
          }
        });
        // A batch ended by Flush (not Sync) is mid extended-query: postgres.js describes an
        // unnamed statement, then binds it in its next batch. Another connection's Parse in
        // between would replace that statement, so the connection keeps the session until Sync.
        const midExtendedQuery = messages[messages.length - 1]?.[0] === FLUSH;
        this.owner = this.db.isInTransaction() || midExtendedQuery ? conn : null;
        if (this.owner?.closed) this.release(this.owner);
      }
    } finally {
      this.running = false;
    }
  }
}

export type EmbeddedServer = { port: number; close(): Promise<void> };

export async function startEmbeddedServer(dataDir: string, port = 0): Promise<EmbeddedServer> {
  const pgdata = path.join(dataDir, "pgdata");
  mkdirSync(pgdata, { recursive: true });
  const db = await PGlite.create({ dataDir: pgdata });
  const mux = new ProtocolMultiplexer(db);
  const connections = new Set<Connection>();
  const server = net.createServer((socket) => {
    const conn = new Connection(socket, mux);
    connections.add(conn);
    socket.on("close", () => connections.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("embedded database: no port");
  return {
    port: address.port,
    async close() {
      for (const conn of connections) conn.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    },
  };
}
