// The floor: the least a worker can do between a caller and the model. It forwards the
// request to UPSTREAM_BASE_URL and hands the upstream body back untouched, so its CPU per
// request is what workerd itself costs for one proxied stream.
export default {
  async fetch(request, env) {
    if (request.method === "GET") return new Response("ok");
    const upstream = await fetch(`${env.UPSTREAM_BASE_URL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.UPSTREAM_API_KEY}` },
      body: request.body,
      signal: request.signal,
    });
    return new Response(upstream.body, { status: upstream.status, headers: upstream.headers });
  },
};
