#!/usr/bin/env node
// The `ims-llm-verify` command. The package ships the bundle `npm pack` builds into dist/,
// because Node strips no types inside node_modules; a checkout runs the TypeScript source
// (the project's own Node 22), so what runs there is always what was last edited.
import { existsSync } from "node:fs";

const source = new URL("../contracts/conformance/ims-llm-verify.ts", import.meta.url);
await import(existsSync(source) ? source.href : new URL("../dist/ims-llm-verify.js", import.meta.url).href);
