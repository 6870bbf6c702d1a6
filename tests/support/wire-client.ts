/**
 * A client process that speaks the PostgreSQL wire protocol by hand, so a
 * test can kill it at an exact point of a conversation:
 *
 *   node --import tsx tests/support/wire-client.ts <url> <table> <id> transaction|parse
 *
 * Both modes authenticate (trust, cleartext, MD5 or SCRAM-SHA-256), open a
 * transaction and lock row <id> of <table> (`SELECT … FOR UPDATE`); `parse`
 * then sends an extended-query Parse and a Flush but no Sync, and waits for
 * ParseComplete. Then it prints "ready" and waits to be killed.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import net from "node:net";

const [urlArg, table, id, mode] = process.argv.slice(2);
if (!urlArg || !table || !id || (mode !== "transaction" && mode !== "parse")) {
  console.error("usage: wire-client.ts <url> <table> <id> transaction|parse");
  process.exit(2);
}
const url = new URL(urlArg);
const user = decodeURIComponent(url.username || "postgres");
const password = decodeURIComponent(url.password);
const database = url.pathname.slice(1) || user;

const cstr = (s: string) => Buffer.from(`${s}\0`);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const message = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
};

const socket = net.connect(Number(url.port || 5432), url.hostname);
socket.on("error", (error) => {
  console.error(error.message);
  process.exit(1);
});

let buffer = Buffer.alloc(0);
const waiters: { type: string; resolve: (body: Buffer) => void }[] = [];
const inbox: { type: string; body: Buffer }[] = [];
socket.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 5) {
    const length = buffer.readInt32BE(1);
    if (buffer.length < length + 1) return;
    const type = String.fromCharCode(buffer[0]!);
    const body = buffer.subarray(5, length + 1);
    buffer = buffer.subarray(length + 1);
    if (type === "E") {
      console.error(`server error: ${body.toString("utf8").replace(/\0/g, " ")}`);
      process.exit(1);
    }
    const index = waiters.findIndex((w) => w.type === type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(body);
    else inbox.push({ type, body });
  }
});
/** The next message of `type` (messages of other types before it are passed over). */
const next = (type: string) =>
  new Promise<Buffer>((resolve) => {
    const index = inbox.findIndex((m) => m.type === type);
    if (index < 0) return waiters.push({ type, resolve });
    resolve(inbox[index]!.body);
    inbox.splice(0, index + 1);
  });

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]!));
const hmac = (key: Buffer, data: string) => createHmac("sha256", key).update(data).digest();

async function main() {
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const params = Buffer.concat([int32(196608), cstr("user"), cstr(user), cstr("database"), cstr(database), cstr("")]);
  socket.write(Buffer.concat([int32(params.length + 4), params]));
  for (;;) {
    const auth = await next("R");
    const code = auth.readInt32BE(0);
    if (code === 0) break;
    if (code === 3) socket.write(message("p", cstr(password)));
    else if (code === 5) {
      const inner = createHash("md5")
        .update(password + user)
        .digest("hex");
      const outer = createHash("md5")
        .update(Buffer.concat([Buffer.from(inner), auth.subarray(4, 8)]))
        .digest("hex");
      socket.write(message("p", cstr(`md5${outer}`)));
    } else if (code === 10) {
      const clientNonce = randomBytes(18).toString("base64");
      const clientFirstBare = `n=*,r=${clientNonce}`;
      const first = Buffer.from(`n,,${clientFirstBare}`);
      socket.write(message("p", cstr("SCRAM-SHA-256"), int32(first.length), first));
      const serverFirst = (await next("R")).subarray(4).toString("utf8");
      const fields = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]));
      const salted = pbkdf2Sync(password, Buffer.from(fields.s!, "base64"), Number(fields.i), 32, "sha256");
      const clientKey = hmac(salted, "Client Key");
      const storedKey = createHash("sha256").update(clientKey).digest();
      const finalWithoutProof = `c=biws,r=${fields.r}`;
      const authMessage = `${clientFirstBare},${serverFirst},${finalWithoutProof}`;
      const proof = xor(clientKey, hmac(storedKey, authMessage)).toString("base64");
      socket.write(message("p", Buffer.from(`${finalWithoutProof},p=${proof}`)));
      await next("R"); // SASLFinal; AuthenticationOk follows
    } else {
      throw new Error(`unsupported authentication request ${code}`);
    }
  }
  await next("Z");
  socket.write(message("Q", cstr(`begin; select * from ${table} where id = ${Number(id)} for update`)));
  await next("Z");
  if (mode === "parse") {
    socket.write(Buffer.concat([message("P", cstr(""), cstr("select $1::int + 1"), int16(0)), message("H")]));
    await next("1"); // ParseComplete: the server now waits for more of this extended query
  }
  process.stdout.write("ready\n");
  setInterval(() => {}, 60_000); // until killed
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
