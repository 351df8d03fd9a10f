/**
 * A real TCP proxy (node:net) on 127.0.0.1 between a client and a server, whose links can be cut
 * on demand: `partition()` makes the server unreachable (open connections are cut, or go silent
 * with `{ silent: true }`, and new ones are refused or left hanging), `heal()` lets connections
 * through again. For tests of what a client does when the network between it and PostgreSQL fails.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections the proxy passed through since it started. */
  readonly connections: number;
  /**
   * Cuts the server off. Default: open connections are reset and new ones refused at once.
   * `silent`: nothing is forwarded any more and nothing is closed (packets lost, as when a
   * network link dies): open connections hang and new ones are accepted but never answered.
   */
  partition(options?: { silent?: boolean }): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  let mode: 'open' | 'reset' | 'silent' = 'open';
  let passed = 0;
  const links = new Set<{ client: net.Socket; upstream?: net.Socket }>();

  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const link: { client: net.Socket; upstream?: net.Socket } = { client };
    links.add(link);
    client.on('close', () => {
      links.delete(link);
      link.upstream?.destroy();
    });
    // Connected while silent: held, never forwarded.
    if (mode === 'silent') return;
    passed++;
    const upstream = net.connect({ host, port: target.port });
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (mode === 'open') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'open') client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    port,
    get connections() {
      return passed;
    },
    partition(options = {}) {
      mode = options.silent === true ? 'silent' : 'reset';
      if (mode === 'reset') {
        for (const link of links) {
          link.client.resetAndDestroy();
          link.upstream?.destroy();
        }
        links.clear();
      }
    },
    heal() {
      // Connections that went silent stay dead (their bytes were lost): cut them so their ends notice.
      if (mode === 'silent') {
        for (const link of links) {
          link.client.destroy();
          link.upstream?.destroy();
        }
        links.clear();
      }
      mode = 'open';
    },
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
