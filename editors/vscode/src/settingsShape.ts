// Shape of the server settings (pure: no VS Code import, unit-tested with node:test).
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
