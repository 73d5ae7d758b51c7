// The flooding clients of bench:hostile, in a Node process of their own: a real attacker is
// another machine, and a 2 MiB upload sent from the bench's own process would stall the event
// loop that times the normal caller, counting the client's own cost as the worker's. They send
// with node:http and one encoded body, not fetch: fetch spent ~15 ms of CPU per 2 MiB upload
// (five times what refusing it costs workerd), on the same 2 cores the worker runs on.
// Usage: node bench/flood-process.ts <url> <clients> <bytes> [drained]. Prints one line once
// flooding, and on SIGTERM one JSON line {requests, statuses, cpuMsPerRequest} before it exits.
import { Agent, request } from "node:http";
import { floodBody } from "./flood-body.ts";

const [url, clients, bytes, drained] = process.argv.slice(2);
const body = Buffer.from(floodBody(Number(bytes)));
const agent = new Agent({ keepAlive: true });
const [path, contentType] = drained === "drained" ? ["/v1/chat/completions", "application/json"] : ["/", "multipart/form-data; boundary=b"];

const refused = () =>
  new Promise<number>((resolve, reject) => {
    const sent = request(`${url}${path}`, { method: "POST", agent, headers: { "content-type": contentType, "content-length": body.byteLength } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode!));
    });
    sent.on("error", reject);
    sent.end(body);
  });

const started = process.cpuUsage();
let flooding = true;
let requests = 0;
const statuses: Record<string, number> = {};
const loops = Array.from({ length: Number(clients) }, async () => {
  while (flooding) {
    const status = await refused().catch(() => "reset");
    statuses[status] = (statuses[status] ?? 0) + 1;
    requests++;
  }
});
process.once("SIGTERM", async () => {
  flooding = false;
  await Promise.all(loops);
  const { user, system } = process.cpuUsage(started);
  // This process's own CPU per request: on one machine, what the flooders take from the cores the worker shares.
  console.log(JSON.stringify({ requests, statuses, cpuMsPerRequest: (user + system) / 1000 / Math.max(requests, 1) }));
  process.exit(0);
});
console.log("flooding");
