// Writes the published JSON Schemas and the OpenAPI document from the Zod contracts, and the
// worker's copy of the request schemas (worker/http/request-schemas.json) from those. With
// --check it writes nothing and fails when the committed files differ, so neither what is
// published nor what the worker checks requests with can drift from the Zod source.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { publishedFiles, requestSchemasFile } from "./published-files.ts";

const root = join(import.meta.dirname, "..");
const outDir = join(root, "contracts", "json-schema");
const requestSchemasPath = join(root, "worker", "http", "request-schemas.json");
const check = process.argv.includes("--check");
const files = publishedFiles();
const requestSchemas = requestSchemasFile(files);

const existing = new Set(readdirSync(outDir));
const drift = Object.keys(files).filter((file) => !existing.has(file) || readFileSync(join(outDir, file), "utf8") !== files[file]);
const stale = [...existing].filter((file) => !(file in files) && !file.startsWith("."));
const requestDrift = !existsSync(requestSchemasPath) || readFileSync(requestSchemasPath, "utf8") !== requestSchemas;

if (check) {
  if (drift.length || stale.length || requestDrift) {
    const names = [...drift, ...stale].map((file) => `contracts/json-schema/${file}`);
    if (requestDrift) names.push("worker/http/request-schemas.json");
    console.error(`${names.join(", ")} out of date: run npm run schemas and commit.`);
    process.exit(1);
  }
  console.log(`contracts/json-schema (${Object.keys(files).length} files) and worker/http/request-schemas.json match the Zod contracts.`);
} else {
  for (const file of drift) writeFileSync(join(outDir, file), files[file]!);
  for (const file of stale) rmSync(join(outDir, file));
  if (requestDrift) writeFileSync(requestSchemasPath, requestSchemas);
  console.log(`wrote ${drift.length + Number(requestDrift)} file(s), removed ${stale.length}`);
}
