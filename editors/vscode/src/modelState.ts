// What the status bar says, as pure functions of the server's answers (tested without VS Code).
export type ModelState =
  | { kind: 'starting' }
  | { kind: 'loading'; title: string; percentage?: number; message?: string }
  | { kind: 'ready'; device: 'GPU' | 'CPU'; model: string; last?: string }
  | { kind: 'off'; reason: string }
  | { kind: 'error'; message: string }
  | { kind: 'stopped'; message: string };

interface ModelStats {
  loaded?: boolean;
  path?: string | null;
  gpu_layers?: number | string | null;
  error?: string | null;
  state?: string | null;
  last?: { model?: string; rule?: string } | null;
}

/** Model state from a `glm-lsp.stats` answer. */
export function stateFromStats(stats: unknown, inlineEnabled: boolean): ModelState {
  const model: ModelStats = (stats as { model?: ModelStats } | undefined)?.model ?? {};
  if (model.error) {
    return { kind: 'error', message: String(model.error) };
  }
  if (!inlineEnabled) {
    return { kind: 'off', reason: 'inline completions are turned off (dropdown still works)' };
  }
  if (model.loaded) {
    const layers = typeof model.gpu_layers === 'number' ? model.gpu_layers : 0;
    const name = model.path ? (String(model.path).split(/[\\/]/).pop() ?? '') : '';
    // With several models (the router), which one answered the last suggestion.
    const last = model.last?.model ? String(model.last.model) : undefined;
    return { kind: 'ready', device: layers !== 0 ? 'GPU' : 'CPU', model: name, last };
  }
  if (!model.path) {
    return { kind: 'off', reason: 'no model configured (glmLsp.model.path / model.name)' };
  }
  if (model.state === 'loading') {
    return { kind: 'loading', title: 'loading model' };
  }
  return { kind: 'off', reason: `model not loaded (${model.state ?? 'unknown'})` };
}

export function render(state: ModelState): { text: string; tooltip: string } {
  switch (state.kind) {
    case 'starting':
      return { text: '$(sync~spin) GLM', tooltip: 'glm-lsp: starting the server' };
    case 'loading': {
      // Server titles are "glm-lsp: model" / "glm-lsp: indexing"; the item already says GLM.
      const title = state.title.replace(/^glm-lsp:\s*/i, '');
      const pct = state.percentage !== undefined ? ` ${Math.round(state.percentage)}%` : '';
      return {
        text: `$(sync~spin) GLM ${title}${pct}`,
        tooltip: `glm-lsp: ${title}${pct}${state.message ? ` — ${state.message}` : ''}`,
      };
    }
    case 'ready':
      return {
        text: `$(sparkle) GLM ${state.device}${state.last ? ` · ${state.last}` : ''}`,
        tooltip:
          `glm-lsp: model ready on ${state.device}${state.model ? ` (${state.model})` : ''}` +
          (state.last ? `\nlast suggestion from model ${state.last}` : ''),
      };
    case 'off':
      return { text: '$(circle-slash) GLM off', tooltip: `glm-lsp: ${state.reason}` };
    case 'error':
      return { text: '$(error) GLM error', tooltip: `glm-lsp: ${state.message}` };
    case 'stopped':
      return { text: '$(debug-stop) GLM stopped', tooltip: `glm-lsp: ${state.message}` };
  }
}
