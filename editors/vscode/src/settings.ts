// Server settings as the server wants them: the `glmLsp` section, nested camelCase, holding only
// the keys of the server's SCHEMA (the manifest mirrors it one to one). Client-only settings
// (`glmLsp.server.*`, `glmLsp.trace.*`) stay out, or the server would report them as unknown.
import * as vscode from 'vscode';

export const SECTION = 'glmLsp';
const CLIENT_ONLY = ['server.', 'trace.'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Dotted keys (below `glmLsp.`) of the server settings declared in the extension manifest. */
export function serverSettingKeys(packageJSON: unknown): string[] {
  const props = (packageJSON as { contributes?: { configuration?: { properties?: object } } })
    .contributes?.configuration?.properties;
  return Object.keys(props ?? {})
    .filter((key) => key.startsWith(`${SECTION}.`))
    .map((key) => key.slice(SECTION.length + 1))
    .filter((key) => !CLIENT_ONLY.some((prefix) => key.startsWith(prefix)));
}

/** Nests `{"model.path": x}` into `{"model": {"path": x}}`. */
export function nest(flat: Record<string, Json>): JsonObject {
  const out: JsonObject = {};
  for (const [dotted, value] of Object.entries(flat)) {
    const parts = dotted.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
        node[part] = {};
      }
      node = node[part] as JsonObject;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/**
 * The settings to send. Only values the user set somewhere are included, so the server's own
 * defaults (and its GLM_LSP_MODEL fallback for model.path) keep applying to everything else. In
 * an untrusted workspace VS Code already hides workspace values of the restricted settings.
 */
export function serverSettings(
  keys: string[],
  scope?: vscode.ConfigurationScope,
  overrides: Record<string, Json> = {},
): JsonObject {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const flat: Record<string, Json> = {};
  for (const key of keys) {
    const info = config.inspect<Json>(key);
    const set =
      info?.workspaceFolderValue !== undefined ||
      info?.workspaceValue !== undefined ||
      info?.globalValue !== undefined;
    if (set) {
      flat[key] = config.get<Json>(key) ?? null;
    }
  }
  return nest({ ...flat, ...overrides });
}

/** Settings that decide which process is started: changing one means a restart. */
export const COMMAND_KEYS = ['server.path', 'server.python'];
