// VS Code client for glm-lsp: starts the server, forwards settings, shows the model state and
// offers the commands. The server does all the work; this file only wires it into the editor.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ResponseError,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';
import { RestartPolicy } from './restartPolicy';
import {
  LaunchError,
  neutralCwd,
  pythonHasServer,
  resolveServerCommand,
  type ServerCommand,
} from './serverCommand';
import { pipFailureHint, pipInstallCommand, runPipInstall } from './serverInstall';
import { COMMAND_KEYS, SECTION, serverSettings, serverSettingKeys } from './settings';
import { StatusItem, stateFromStats } from './statusBar';

export const LANGUAGES = [
  'python',
  'javascript',
  'javascriptreact',
  'typescript',
  'typescriptreact',
  'go',
  'rust',
  'java',
  'c',
  'cpp',
];
const POLL_MS = 3000;

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path: string } | undefined;
    resolveEnvironment?: (
      env: { path: string } | string,
    ) => Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) {
    return undefined;
  }
  const api = ext.isActive ? ext.exports : await ext.activate();
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  const active = api?.environments?.getActiveEnvironmentPath?.(resource);
  if (!active) {
    return undefined;
  }
  const resolved = await api.environments?.resolveEnvironment?.(active);
  return resolved?.executable?.uri?.fsPath ?? active.path;
}

export class Controller implements vscode.Disposable {
  client: LanguageClient | undefined;
  command: ServerCommand | undefined;
  readonly log: vscode.LogOutputChannel;
  readonly status: StatusItem;
  private readonly keys: string[];
  private readonly restarts = new RestartPolicy();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** An install offer is on screen or its pip is running: never a second one. */
  private installing = false;

  constructor(context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('GLM LSP', { log: true });
    this.status = new StatusItem();
    this.keys = serverSettingKeys(context.extension.packageJSON);
    this.disposables.push(this.log, this.status);
  }

  get inlineEnabled(): boolean {
    return vscode.workspace.getConfiguration(SECTION).get<boolean>('inline.enabled', true);
  }

  async start(): Promise<void> {
    this.status.set({ kind: 'starting' });
    const config = vscode.workspace.getConfiguration(SECTION);
    try {
      this.command = await resolveServerCommand({
        serverPath: config.get<string | null>('server.path'),
        serverPython: config.get<string | null>('server.python'),
        pythonExtensionInterpreter,
      });
    } catch (error) {
      if (error instanceof LaunchError && error.installInto) {
        this.serverMissing(error, error.installInto);
      } else {
        this.fail(error);
      }
      return;
    }
    this.log.info(
      `starting ${this.command.command} ${this.command.args.join(' ')} (${this.command.source})`,
    );
    const serverOptions: ServerOptions = {
      command: this.command.command,
      args: this.command.args,
      transport: TransportKind.stdio,
      options: { env: { ...process.env }, cwd: neutralCwd() },
    };
    const client = new LanguageClient('glmLsp', 'GLM LSP', serverOptions, this.clientOptions());
    client.registerProposedFeatures();
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      this.fail(
        new LaunchError(
          `glm-lsp failed to start with ${this.command.command} (${this.command.source}): ${String(
            (error as Error)?.message ?? error,
          )}`,
          'Check the log, then fix glmLsp.server.path / glmLsp.server.python or reinstall glm-lsp.',
        ),
      );
      return;
    }
    this.watchProgress(client);
    this.startPolling();
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: LANGUAGES.flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      initializationOptions: serverSettings(this.keys),
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationFailedHandler: () => false,
      errorHandler: {
        error: (_error, _message, count) => ({
          action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => this.onClosed(),
      },
      middleware: {
        workspace: {
          // The server asks for `glmLsp`; answer with server settings only (no client keys).
          configuration: async (params, token, next) => {
            const answers: unknown = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers as ResponseError;
            }
            const given = answers as unknown[];
            const out: unknown[] = params.items.map((item, i): unknown =>
              item.section === SECTION ? serverSettings(this.keys) : given[i],
            );
            return out;
          },
        },
        // Toggling takes effect at once, without waiting for the server to see the setting.
        provideInlineCompletionItems: (document, position, context, token, next) =>
          this.inlineEnabled ? next(document, position, context, token) : null,
      },
    };
  }

  private onClosed(): { action: CloseAction; handled: boolean } {
    if (this.restarts.recordCrash()) {
      const { recentCrashes, maxRestarts } = this.restarts;
      this.log.warn(`server exited; restart ${recentCrashes} of ${maxRestarts}`);
      this.status.set({ kind: 'starting' });
      return { action: CloseAction.Restart, handled: true };
    }
    const minutes = Math.round(this.restarts.windowMs / 60000);
    const message = `glm-lsp stopped after exiting ${this.restarts.recentCrashes} times in ${minutes} minutes.`;
    this.status.set({ kind: 'stopped', message });
    this.stopPolling();
    void this.showError(message, 'See the log for the cause, then run "GLM LSP: Restart Server".');
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /**
   * No server anywhere, but an interpreter was chosen: offer to pip-install glm-lsp into its
   * environment and start it. Not in restricted mode (an untrusted workspace): there the message
   * only says what to run. Never awaited by start(), so activation does not wait on the user.
   */
  private serverMissing(error: LaunchError, python: string): void {
    if (!vscode.workspace.isTrusted) {
      this.fail(
        new LaunchError(
          error.message,
          `${error.fix} Or trust this workspace, and GLM LSP offers to install it.`,
        ),
      );
      return;
    }
    this.log.warn(`${error.message} ${error.fix}`);
    this.status.set({ kind: 'error', message: `glm-lsp is not installed for ${python}` });
    if (this.installing) {
      return;
    }
    this.installing = true;
    void this.offerInstall(python).finally(() => {
      this.installing = false;
    });
  }

  private async offerInstall(python: string): Promise<void> {
    const choice = await vscode.window.showWarningMessage(
      `The glm-lsp server is not installed for ${python}. Install it into that environment with pip?`,
      'Install',
      'Open Settings',
    );
    if (choice === 'Install') {
      await this.installServer(python);
    } else if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server`);
    }
  }

  /** `python -m pip install glm-lsp` with a progress notification and pip's log; then start. */
  private async installServer(python: string): Promise<void> {
    const { command, args } = pipInstallCommand(python);
    this.log.info(`installing: ${command} ${args.join(' ')} (in ${neutralCwd()})`);
    this.status.set({ kind: 'loading', title: 'Installing glm-lsp' });
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Installing glm-lsp into ${python}`,
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return runPipInstall(python, {
          signal: abort.signal,
          onLine: (line) => {
            this.log.info(`pip: ${line}`);
            progress.report({ message: line.length > 100 ? `${line.slice(0, 99)}…` : line });
          },
        });
      },
    );
    if (result.code === null) {
      this.log.warn('installing glm-lsp: cancelled');
      this.status.set({ kind: 'error', message: 'glm-lsp is not installed (cancelled)' });
      return;
    }
    if (result.code !== 0 || !(await pythonHasServer(python))) {
      const message =
        result.code !== 0
          ? `Installing glm-lsp into ${python} failed (pip exited with ${result.code}).`
          : `pip installed glm-lsp, but ${python} still cannot import glm_lsp.`;
      const hint = pipFailureHint(python, result.output);
      this.log.error(`${message} ${hint}`);
      this.status.set({ kind: 'error', message });
      await this.showError(message, hint);
      return;
    }
    this.log.info(`glm-lsp installed into ${python}; starting it`);
    this.restarts.reset();
    await this.start();
  }

  private fail(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const fix = error instanceof LaunchError ? error.fix : 'See the log.';
    this.log.error(`${message} ${fix}`);
    this.status.set({ kind: 'error', message });
    void this.showError(message, fix);
  }

  private async showError(message: string, fix: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `${message} ${fix}`,
      'Open Settings',
      'Show Log',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
    } else if (choice === 'Show Log') {
      this.log.show();
    }
  }

  /** Model load and indexing report work-done progress; mirror it in the status bar. */
  private watchProgress(client: LanguageClient): void {
    this.disposables.push(
      client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
        let title = '';
        const sub = client.onProgress(WorkDoneProgress.type, token, (value) => {
          if (value.kind === 'begin') {
            title = value.title;
            this.status.set({
              kind: 'loading',
              title,
              percentage: value.percentage,
              message: value.message,
            });
          } else if (value.kind === 'report') {
            this.status.set({
              kind: 'loading',
              title,
              percentage: value.percentage,
              message: value.message,
            });
          } else {
            sub.dispose();
            void this.refreshStats();
          }
        });
      }),
    );
  }

  async stats(): Promise<unknown> {
    if (!this.client || this.client.state !== State.Running) {
      return undefined;
    }
    return this.client.sendRequest(ExecuteCommandRequest.type, {
      command: 'glm-lsp.stats',
      arguments: [],
    });
  }

  async refreshStats(): Promise<void> {
    try {
      const stats = await this.stats();
      if (stats === undefined) {
        return;
      }
      const model = (stats as { model?: { loaded?: boolean; state?: string | null } }).model;
      const serverLoading = model?.state ? model.state === 'loading' : !model?.loaded;
      if (this.status.state.kind === 'loading' && this.inlineEnabled && serverLoading) {
        return; // progress is more precise while a load is under way
      }
      this.status.set(stateFromStats(stats, this.inlineEnabled));
    } catch (error) {
      this.log.warn(`glm-lsp.stats failed: ${String(error)}`);
    }
  }

  private startPolling(): void {
    this.stopPolling();
    void this.refreshStats();
    this.pollTimer = setInterval(() => {
      const kind = this.status.state.kind;
      if (kind === 'ready' || kind === 'error' || kind === 'stopped') {
        this.stopPolling();
        return;
      }
      void this.refreshStats();
    }, POLL_MS);
  }

  private stopPolling(): void {
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopPolling();
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log.warn(`stop: ${String(error)}`);
      }
      await client.dispose().catch(() => undefined);
    }
  }

  async restart(): Promise<void> {
    this.restarts.reset();
    await this.stop();
    await this.start();
  }

  async onConfigurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!event.affectsConfiguration(SECTION)) {
      return;
    }
    if (COMMAND_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
      this.log.info('server command changed; restarting');
      await this.restart();
      return;
    }
    if (this.client?.state === State.Running) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: serverSettings(this.keys) },
      });
      this.startPolling();
    }
  }

  async toggleInline(): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const next = !this.inlineEnabled;
    const info = config.inspect<boolean>('inline.enabled');
    const target =
      info?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
    await config.update('inline.enabled', next, target);
    void vscode.window.showInformationMessage(`GLM inline completions ${next ? 'on' : 'off'}.`);
  }

  async showStats(): Promise<void> {
    let text: string;
    try {
      const stats = await this.stats();
      text =
        stats === undefined ? '// glm-lsp is not running' : JSON.stringify(stats, undefined, 2);
    } catch (error) {
      text = `// glm-lsp.stats failed: ${String(error)}`;
    }
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: text });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** "Show Trace": the server writes the trace page (glm-lsp.trace); shown in a webview. */
  async showTrace(): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const running = this.client?.state === State.Running;
    if (!config.get<boolean>('trace.enabled', false) || !running) {
      const turnOn = 'Turn On Tracing';
      const pick = await vscode.window.showInformationMessage(
        'glm-lsp tracing is off: set glmLsp.trace.enabled to true, use completion for a ' +
          'while, then run Show Trace again. The trace stays on this machine.',
        turnOn,
      );
      if (pick === turnOn) {
        await config.update('trace.enabled', true, vscode.ConfigurationTarget.Global);
      }
      return;
    }
    const result = (await this.client?.sendRequest(ExecuteCommandRequest.type, {
      command: 'glm-lsp.trace',
      arguments: [],
    })) as { enabled?: boolean; path?: string; hint?: string; requests?: number } | null;
    if (!result?.enabled || !result.path) {
      void vscode.window.showInformationMessage(result?.hint ?? 'glm-lsp: no trace yet.');
      return;
    }
    const html = await vscode.workspace.fs.readFile(vscode.Uri.file(result.path));
    const panel = vscode.window.createWebviewPanel(
      'glmLspTrace',
      `glm-lsp Trace (${result.requests ?? 0} requests)`,
      vscode.ViewColumn.Active,
      { enableScripts: true, localResourceRoots: [] },
    );
    panel.webview.html = new TextDecoder('utf-8').decode(html);
  }

  async pullModel(): Promise<void> {
    const name = await vscode.window.showInputBox({
      title: 'Pull a catalog model',
      prompt: 'Model name from `glm-lsp models list`',
      placeHolder: 'codegeex4-all-9b',
      validateInput: (v) => (/^[\w.-]+$/.test(v.trim()) ? undefined : 'A catalog model name'),
    });
    if (!name) {
      return;
    }
    if (this.client?.state === State.Running) {
      // The server pulls (glm-lsp.pull); the client shows its work-done progress.
      const result = (await this.client.sendRequest(ExecuteCommandRequest.type, {
        command: 'glm-lsp.pull',
        arguments: [name.trim()],
      })) as { ok?: boolean; error?: string; path?: string } | null;
      if (!result?.ok) {
        await this.showError(
          `Pulling ${name} failed: ${result?.error ?? 'no result'}`,
          'See the log.',
        );
        return;
      }
      this.log.info(`pulled ${name}: ${result.path ?? ''}`);
      await this.offerModel(name.trim());
      return;
    }
    const command = this.command ?? { command: 'glm-lsp', args: [], source: 'PATH' };
    const args = [...command.args, 'models', 'pull', name.trim()];
    this.log.info(`running ${command.command} ${args.join(' ')}`);
    const code = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Pulling ${name}`,
        cancellable: true,
      },
      (_progress, token) =>
        new Promise<number>((resolve) => {
          const child = spawn(command.command, args, { env: process.env, cwd: neutralCwd() });
          child.stdout.on('data', (d: Buffer) => this.log.info(d.toString().trimEnd()));
          child.stderr.on('data', (d: Buffer) => this.log.info(d.toString().trimEnd()));
          child.on('error', (err) => {
            this.log.error(String(err));
            resolve(-1);
          });
          child.on('close', (c) => resolve(c ?? -1));
          token.onCancellationRequested(() => child.kill());
        }),
    );
    if (code !== 0) {
      await this.showError(`Pulling ${name} failed (exit ${code}).`, 'See the log for details.');
      return;
    }
    await this.offerModel(name.trim());
  }

  /** After a pull: offer to make it the model for ghost text. */
  async offerModel(name: string): Promise<void> {
    const use = await vscode.window.showInformationMessage(
      `Pulled ${name}. Use it for ghost text?`,
      'Use It',
    );
    if (use === 'Use It') {
      await vscode.workspace
        .getConfiguration(SECTION)
        .update('model.name', name.trim(), vscode.ConfigurationTarget.Global);
    }
  }

  dispose(): void {
    this.stopPolling();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Controller> {
  const ctl = new Controller(context);
  controller = ctl;
  context.subscriptions.push(
    ctl,
    vscode.commands.registerCommand('glmLsp.restart', () => ctl.restart()),
    vscode.commands.registerCommand('glmLsp.showLog', () => ctl.log.show()),
    vscode.commands.registerCommand('glmLsp.toggleInline', () => ctl.toggleInline()),
    vscode.commands.registerCommand('glmLsp.pullModel', () => ctl.pullModel()),
    vscode.commands.registerCommand('glmLsp.showStats', () => ctl.showStats()),
    vscode.commands.registerCommand('glmLsp.showTrace', () => ctl.showTrace()),
    vscode.workspace.onDidChangeConfiguration((e) => ctl.onConfigurationChanged(e)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => ctl.restart()),
  );
  await ctl.start();
  return ctl;
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
