// Server settings as the server wants them: the `glmLsp` section, nested camelCase, holding only
// the keys of the server's SCHEMA (the manifest mirrors it one to one). Client-only settings
// (`glmLsp.server.*`, `glmLsp.trace.*`) stay out, or the server would report them as unknown.
import * as vscode from 'vscode';

import { type Json, type JsonObject, SECTION, nest } from './settingsShape';

export { SECTION, serverSettingKeys } from './settingsShape';

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
