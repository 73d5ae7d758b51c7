// The JavaScript floor: the least a worker can cost that runs JavaScript on every upstream
// chunk, as checking and re-framing must. It is the floor, except that it reads each upstream
// chunk and writes it back unchanged into an IdentityTransformStream, awaiting each write; no
// decoding, no parsing. Its distance from the floor is what workerd charges for waking
// JavaScript once per chunk, which no worker that reads its stream can avoid; the worker's
// distance from it is what checking and re-framing cost.
import floor from "./floor-worker.js";

export default {
  async fetch(request, env) {
    const upstream = await floor.fetch(request, env);
    if (!upstream.body) return upstream;
    const { readable, writable } = new IdentityTransformStream();
    void copy(upstream.body.getReader(), writable.getWriter());
    return new Response(readable, { status: upstream.status, headers: upstream.headers });
  },
};

async function copy(reader, writer) {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writer.write(value);
    }
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => undefined);
    reader.cancel(error).catch(() => undefined);
  }
}
