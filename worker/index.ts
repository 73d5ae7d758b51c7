import type { Env } from "./config.ts";
import { router } from "./router.ts";

export default {
  fetch: (request, env, ctx) => router.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
