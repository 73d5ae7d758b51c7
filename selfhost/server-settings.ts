// The self-hosted server's own settings. The worker's settings are not read here: they pass to the
// worker as they are, and the worker's config.ts validates them exactly as on Cloudflare.
import { existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

/** The settings only the self-hosted server has; the README's settings tables list them beside the worker's. */
export const serverSettingNames = ["HOST", "PORT", "SHUTDOWN_GRACE_MS"] as const;

export interface ServerSettings {
  host: string;
  port: number;
  /** How long streams in flight may run on after SIGTERM before they are cut. */
  graceMs: number;
}

/** Loopback by default: a checkout serving on every interface by surprise would be a hazard (the image sets 0.0.0.0). */
const DEFAULT_HOST = "127.0.0.1";
/** The port `npm start` (wrangler dev) uses, so local clients work against either; the image sets 9000, Function Compute's default. */
const DEFAULT_PORT = 8787;
/** Kubernetes' default termination grace; a spoken reply is over well within it. Set the platform's own period above it. */
const DEFAULT_GRACE_MS = 30_000;
const MAX_PORT = 65_535;

export class SettingsError extends Error {}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > max) throw new SettingsError(`Setting ${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(raw)}.`);
  return value;
}

export function parseServerSettings(env: NodeJS.ProcessEnv): ServerSettings {
  return {
    host: env.HOST?.trim() || DEFAULT_HOST,
    port: wholeNumber(env, "PORT", DEFAULT_PORT, MAX_PORT),
    graceMs: wholeNumber(env, "SHUTDOWN_GRACE_MS", DEFAULT_GRACE_MS),
  };
}

/**
 * The process environment over the `.env` file in `dir`, when there is one: a value set in the
 * environment wins, as with `docker run -e` over an env file.
 */
export function environmentWithEnvFile(env: NodeJS.ProcessEnv, dir: string): { env: NodeJS.ProcessEnv; envFile: string | undefined } {
  const path = `${dir}/.env`;
  if (!existsSync(path)) return { env, envFile: undefined };
  return { env: { ...parseEnv(readFileSync(path, "utf8")), ...env }, envFile: path };
}
