// The entry of the `ims-llm-verify` command: bin/ims-llm-verify.js runs this file in a checkout,
// and its bundle (dist/, built by `npm run build` when the package is packed) once installed.
import { writeFileSync } from "node:fs";
import { verify } from "./verify.ts";

const code = await verify(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  writeFile: (path, text) => writeFileSync(path, text),
  fetch,
});
// Exit at once: a server that keeps a connection open must not keep a CI job waiting. Writes to
// pipes and files are synchronous on POSIX, so nothing printed is lost.
process.exit(code);
