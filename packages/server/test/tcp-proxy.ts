import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service (the shared PostgreSQL or Redis),
 * so a test can make that service hang or vanish for its own connections
 * only, without touching the service others use.
 */
export class TcpProxy {
  #server: Server | undefined;
  #frozen = false;
  readonly #sockets = new Set<Socket>();
  /** What arrived while frozen, delivered on thaw: a frozen peer loses nothing, it only stops answering. */
  #held: { to: Socket; chunk: Buffer }[] = [];
  /** Connections accepted while frozen, joined to the service on thaw. */
  #waiting: Socket[] = [];

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    public port = 0,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.up();
    return proxy;
  }

  /** Listens (again, on the same port once it has one). */
  async up(): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** The service stops answering: connections stay open (and new ones are accepted) but nothing flows. */
  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
    for (const { to, chunk } of this.#held.splice(0)) to.write(chunk);
    for (const client of this.#waiting.splice(0)) this.#join(client);
  }

  /** The service is gone: every connection is cut and new ones are refused. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#frozen = false;
    this.#held = [];
    this.#waiting = [];
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
  }

  #accept(client: Socket): void {
    this.#track(client);
    if (this.#frozen) {
      // Read nothing yet: the service would not have answered the greeting either.
      client.pause();
      this.#waiting.push(client);
    } else {
      this.#join(client);
    }
  }

  #join(client: Socket): void {
    if (client.destroyed) return;
    const upstream = connect(this.targetPort, this.targetHost);
    this.#track(upstream);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (this.#frozen) this.#held.push({ to, chunk });
        else to.write(chunk);
      });
      from.on('close', () => to.destroy());
    };
    forward(client, upstream);
    forward(upstream, client);
    client.resume();
  }
}
