import { writeFileSync } from "node:fs";

/** V8's heap figures for one isolate, in bytes (Runtime.getHeapUsage). */
export interface HeapUsage {
  usedSize: number;
  totalSize: number;
}

export interface HeapInspector {
  /** Collects garbage in the worker's isolate, then reads its heap: what is still reachable. */
  collectedHeap: () => Promise<HeapUsage>;
  /** Writes a heap snapshot of the isolate (the file Chrome DevTools' Memory tab loads). */
  writeSnapshot: (path: string) => Promise<void>;
  close: () => void;
}

/** A devtools command that has not answered in this long has failed; the bench must not hang on it. */
const COMMAND_TIMEOUT_MS = 15_000;
/**
 * workerd runs the collection V8 queues for HeapProfiler.collectGarbage only when the isolate is next
 * entered, so an idle worker is sent a request this often until a command has answered.
 */
const NUDGE_EVERY_MS = 100;

interface DevtoolsReply {
  id?: number;
  result?: unknown;
  error?: { message: string };
  method?: string;
  params?: { chunk?: string };
}

const isHeapUsage = (value: unknown): value is HeapUsage =>
  typeof value === "object" && value !== null && "usedSize" in value && typeof value.usedSize === "number" && "totalSize" in value && typeof value.totalSize === "number";

/**
 * Connects to a worker's V8 inspector (Chrome DevTools Protocol over a loopback WebSocket).
 * `nudge` sends the worker one cheap request, to let a queued collection run.
 */
export async function connectHeapInspector(url: string, nudge: () => Promise<void>): Promise<HeapInspector> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`inspector ${url} refused the connection`)), { once: true });
  });
  const pending = new Map<number, (reply: DevtoolsReply) => void>();
  let snapshotChunks: string[] = [];
  socket.addEventListener("message", (event) => {
    const reply = JSON.parse(String(event.data)) as DevtoolsReply;
    if (reply.id !== undefined) pending.get(reply.id)?.(reply);
    else if (reply.method === "HeapProfiler.addHeapSnapshotChunk") snapshotChunks.push(reply.params?.chunk ?? "");
  });
  let lastId = 0;
  const send = (method: string): Promise<unknown> => {
    const id = ++lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`inspector: ${method} did not answer within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        pending.delete(id);
        if (reply.error) reject(new Error(`inspector: ${method}: ${reply.error.message}`));
        else resolve(reply.result);
      });
      socket.send(JSON.stringify({ id, method }));
    });
  };

  /** Sends a command, nudging the worker until it answers (V8 runs some commands only inside the isolate). */
  const answered = async (method: string): Promise<unknown> => {
    let settled = false;
    const reply = send(method).finally(() => (settled = true));
    while (!settled) {
      await Promise.race([reply, new Promise((resolve) => setTimeout(resolve, NUDGE_EVERY_MS))]);
      if (!settled) await nudge();
    }
    return reply;
  };

  const collectedHeap = async (): Promise<HeapUsage> => {
    // An attached inspector keeps the isolate's last 1,000 console messages (the worker's log lines)
    // for a devtools window that may open later; a deployed worker has no such buffer, so it is emptied first.
    await answered("Runtime.discardConsoleEntries");
    await answered("HeapProfiler.collectGarbage");
    const usage = await answered("Runtime.getHeapUsage");
    if (!isHeapUsage(usage)) throw new Error(`inspector: Runtime.getHeapUsage answered ${JSON.stringify(usage)}`);
    return { usedSize: usage.usedSize, totalSize: usage.totalSize };
  };
  const writeSnapshot = async (path: string) => {
    snapshotChunks = [];
    await answered("HeapProfiler.takeHeapSnapshot");
    writeFileSync(path, snapshotChunks.join(""));
    snapshotChunks = [];
  };
  return { collectedHeap, writeSnapshot, close: () => socket.close() };
}
