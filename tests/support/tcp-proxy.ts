/**
 * A tiny TCP proxy (node:net) between a server process and the test database,
 * so a test can take the database away and bring it back: `pause()` drops
 * every open connection and refuses new ones; `resume()` forwards again.
 */
import net from "node:net";

export type TcpProxy = {
  port: number;
  url: string;
  pause(): void;
  resume(): void;
  /** Stops forwarding bytes on the open connections without closing them (a link that went silent). */
  stall(): void;
  /** Forwards them again. */
  unstall(): void;
  close(): Promise<void>;
};

/** Proxies to the host:port of `targetUrl` (a postgres:// URL); `url` is the same URL through the proxy. */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const targetHost = target.hostname || "127.0.0.1";
  let forwarding = true;
  const sockets = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    if (!forwarding) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    client.on("close", () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    port,
    url: url.toString(),
    pause() {
      forwarding = false;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      forwarding = true;
    },
    stall() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    unstall() {
      for (const [client, upstream] of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
