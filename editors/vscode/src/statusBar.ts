// The status-bar item: one glance tells whether ghost text can work right now.
// Fed by the server's work-done progress (model load, indexing) and by `glm-lsp.stats`.
import * as vscode from 'vscode';
import { type ModelState, render } from './modelState';

export { type ModelState, render, stateFromStats } from './modelState';

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
