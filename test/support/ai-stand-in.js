// A stand-in for the Workers AI binding, loaded by workerd as a wrapped binding (in the
// worker's own isolate, as the real binding is). run() forwards the call to the test's
// loopback upstream, which answers in Workers AI's stream format, and hands back its body.
export default function makeBinding(env) {
  return {
    async run(model, inputs, options) {
      const response = await fetch(env.UPSTREAM_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, inputs }),
        signal: options?.signal,
      });
      if (!response.ok) throw new Error(`AiError: ${response.status}: ${await response.text()}`);
      return inputs.stream ? response.body : response.json();
    },
  };
}
