// Builds the self-hosted server once, and with it the worker bundle exactly as `wrangler deploy`
// would, so every test runs the artifact that ships rather than the sources: Miniflare runs the
// bundle, the self-hosted tests run the server around it.
import { buildServer } from "../../selfhost/build-server.ts";
import { builtServerDir } from "./paths.ts";

export default function setup() {
  buildServer(builtServerDir);
}
