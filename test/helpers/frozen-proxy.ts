// A TCP proxy on 127.0.0.1 in front of the test PostgreSQL that can stop forwarding on command while
// keeping every socket open: a network path (NAT box, proxy, firewall) that silently drops traffic.
import net from 'node:net';

export interface FrozenProxy {
  port: number;
  /** From now on nothing passes, either way; the sockets stay open. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFrozenProxy(target: { host: string; port: number }): Promise<FrozenProxy> {
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!frozen) to.write(chunk);
      });
      from.on('error', () => {});
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
