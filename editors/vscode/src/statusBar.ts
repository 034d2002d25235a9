// The status-bar item: one glance tells whether ghost text can work right now.
// Fed by the server's work-done progress (model load, indexing) and by `glm-lsp.stats`.
import * as vscode from 'vscode';

export type ModelState =
  | { kind: 'starting' }
  | { kind: 'loading'; title: string; percentage?: number; message?: string }
  | { kind: 'ready'; device: 'GPU' | 'CPU'; model: string }
  | { kind: 'off'; reason: string }
  | { kind: 'error'; message: string }
  | { kind: 'stopped'; message: string };

interface ModelStats {
  loaded?: boolean;
  path?: string | null;
  gpu_layers?: number | string | null;
  error?: string | null;
  state?: string | null;
}

/** Model state from a `glm-lsp.stats` answer. */
export function stateFromStats(stats: unknown, inlineEnabled: boolean): ModelState {
  const model: ModelStats = (stats as { model?: ModelStats } | undefined)?.model ?? {};
  if (model.error) {
    return { kind: 'error', message: String(model.error) };
  }
  if (model.loaded) {
    const layers = typeof model.gpu_layers === 'number' ? model.gpu_layers : 0;
    const name = model.path ? (String(model.path).split(/[\\/]/).pop() ?? '') : '';
    return { kind: 'ready', device: layers !== 0 ? 'GPU' : 'CPU', model: name };
  }
  if (!inlineEnabled) {
    return { kind: 'off', reason: 'inline completions are turned off' };
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
      const pct = state.percentage !== undefined ? ` ${Math.round(state.percentage)}%` : '';
      return {
        text: `$(sync~spin) GLM ${state.title}${pct}`,
        tooltip: `glm-lsp: ${state.title}${pct}${state.message ? ` — ${state.message}` : ''}`,
      };
    }
    case 'ready':
      return {
        text: `$(sparkle) GLM ${state.device}`,
        tooltip: `glm-lsp: model ready on ${state.device}${state.model ? ` (${state.model})` : ''}`,
      };
    case 'off':
      return { text: '$(circle-slash) GLM off', tooltip: `glm-lsp: ${state.reason}` };
    case 'error':
      return { text: '$(error) GLM error', tooltip: `glm-lsp: ${state.message}` };
    case 'stopped':
      return { text: '$(debug-stop) GLM stopped', tooltip: `glm-lsp: ${state.message}` };
  }
}

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  state: ModelState = { kind: 'starting' };

  constructor() {
    this.item = vscode.window.createStatusBarItem(
      'glmLsp.status',
      vscode.StatusBarAlignment.Right,
      100,
    );
    this.item.name = 'GLM LSP';
    this.item.command = 'glmLsp.showStats';
    this.set(this.state);
    this.item.show();
  }

  set(state: ModelState): void {
    this.state = state;
    const { text, tooltip } = render(state);
    this.item.text = text;
    this.item.tooltip = `${tooltip}\nClick for server stats.`;
    this.item.backgroundColor =
      state.kind === 'error' || state.kind === 'stopped'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
