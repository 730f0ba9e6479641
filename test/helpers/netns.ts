// Runner "machines" for the many-runner tests: Linux network namespaces, each with a veth link to this
// host, reaching the local PostgreSQL at one shared address (10.213.0.1, added to this host's loopback)
// through a TCP relay in the test process. PostgreSQL itself listens on 127.0.0.1 only and is not
// reconfigured. Needs root (CI runs as root here); `netnsUnavailable()` says why not otherwise.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export const SHARED_ADDRESS = '10.213.0.1';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Why this machine cannot make namespaces (not root, no `ip`, no CAP_NET_ADMIN), or undefined. */
export function netnsUnavailable(): string | undefined {
  const probe = `dbfprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (err) {
    return `network namespaces are not available here: ${(err as Error).message.split('\n')[0]}`;
  }
}

export interface Machines {
  /** The namespaces' names, one per machine. */
  names: string[];
  /** host:port at which every machine (and this host) reaches the PostgreSQL server. */
  server: { host: string; port: number };
  /** Cuts every machine's sessions (the relay's sockets) and removes the namespaces and links. */
  close(): Promise<void>;
}

/**
 * Makes `count` namespaces (10.213.<i>.2, link 10.213.<i>.1 on this side, default route through it) and
 * a relay at SHARED_ADDRESS:<free port> to 127.0.0.1:5432.
 */
export async function makeMachines(count: number, label: string): Promise<Machines> {
  const names: string[] = [];
  let addedAddress = false;
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(5432, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  const close = async () => {
    for (const s of sockets) s.destroy();
    relay.close();
    for (const name of names) {
      try {
        ip('netns', 'del', name); // takes its end of the veth pair, and so the pair, with it
      } catch {}
    }
    if (addedAddress)
      try {
        ip('addr', 'del', `${SHARED_ADDRESS}/32`, 'dev', 'lo');
      } catch {}
  };
  try {
    try {
      ip('addr', 'add', `${SHARED_ADDRESS}/32`, 'dev', 'lo');
      addedAddress = true;
    } catch {
      // already there (another test file's machines): shared, and removed by whoever added it
    }
    for (let i = 1; i <= count; i++) {
      const name = `${label}${i}`;
      const [hostEnd, nsEnd] = [`${label}h${i}`, `${label}p${i}`];
      const subnet = `10.213.${(process.pid % 200) + i}`;
      ip('netns', 'add', name);
      names.push(name);
      ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd);
      ip('link', 'set', nsEnd, 'netns', name);
      ip('addr', 'add', `${subnet}.1/24`, 'dev', hostEnd);
      ip('link', 'set', hostEnd, 'up');
      ip('netns', 'exec', name, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', nsEnd);
      ip('netns', 'exec', name, 'ip', 'link', 'set', nsEnd, 'up');
      ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
      ip('netns', 'exec', name, 'ip', 'route', 'add', 'default', 'via', `${subnet}.1`);
    }
    relay.listen(0, SHARED_ADDRESS);
    await once(relay, 'listening');
  } catch (err) {
    await close();
    throw err;
  }
  const port = (relay.address() as net.AddressInfo).port;
  return { names, server: { host: SHARED_ADDRESS, port }, close };
}
