// Writes the published JSON Schemas and the OpenAPI document from the Zod contracts.
// With --check it writes nothing and fails when the committed files differ, so the
// published artifacts can never drift from the source that validates requests.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishedFiles } from "./published-files.ts";

const outDir = join(import.meta.dirname, "..", "contracts", "json-schema");
const check = process.argv.includes("--check");
const files = publishedFiles();

const existing = new Set(readdirSync(outDir));
const drift = Object.keys(files).filter((file) => !existing.has(file) || readFileSync(join(outDir, file), "utf8") !== files[file]);
const stale = [...existing].filter((file) => !(file in files) && !file.startsWith("."));

if (check) {
  if (drift.length || stale.length) {
    console.error(`contracts/json-schema is out of date (${[...drift, ...stale].join(", ")}): run npm run schemas and commit.`);
    process.exit(1);
  }
  console.log(`contracts/json-schema matches the Zod contracts (${Object.keys(files).length} files).`);
} else {
  for (const file of drift) writeFileSync(join(outDir, file), files[file]!);
  for (const file of stale) rmSync(join(outDir, file));
  console.log(`wrote ${drift.length} file(s), removed ${stale.length}, in contracts/json-schema`);
}
