import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";

export interface RunningEndpoint {
  /** http://127.0.0.1:<port> */
  url: string;
  close: () => Promise<void>;
}

/** Starts a plain Node HTTP server on 127.0.0.1 and a free port: a partner's endpoint in miniature. */
export async function startEndpoint(handler: RequestListener): Promise<RunningEndpoint> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        // A stalled stream never ends by itself.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
