// The floor for a flood of refused bodies: a worker that does nothing but have the runtime read
// each body natively (arrayBuffer()) and answer by its size, a small one 200 and a large one 413.
// A normal caller's latency beside a flood served by this is what the machine itself allows.
/** Larger than any normal call of the bench, far smaller than a flood body. */
const REFUSED_BYTES = 64 * 1024;

export default {
  async fetch(request) {
    if (request.method !== "POST") return new Response("ready");
    const { byteLength } = await request.arrayBuffer();
    return byteLength > REFUSED_BYTES ? new Response("refused", { status: 413 }) : new Response("ok");
  },
};
