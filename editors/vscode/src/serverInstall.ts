// Installing the server into the chosen interpreter's environment with pip, when it is missing.
// Plain node (no VS Code API), so the command line, the working directory and the failure
// messages are tested with node:test; extension.ts adds the prompt, the progress and the log.
import { spawn } from 'node:child_process';
import { neutralCwd } from './serverCommand';

/** The distribution pip installs: the name on PyPI, or a wheel found through PIP_FIND_LINKS. */
export const SERVER_REQUIREMENT = 'glm-lsp';

export interface PipCommand {
  command: string;
  args: string[];
}

/** `python -m pip install glm-lsp`, into the environment `python` belongs to. */
export function pipInstallCommand(python: string, requirement = SERVER_REQUIREMENT): PipCommand {
  return {
    command: python,
    args: ['-m', 'pip', 'install', '--disable-pip-version-check', requirement],
  };
}

export interface PipResult {
  /** The exit status; -1 when pip could not be started, null when it was cancelled. */
  code: number | null;
  /** Everything pip wrote to stdout and stderr, in order. */
  output: string;
}

export interface PipOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each complete line pip writes (stdout and stderr alike), without its newline. */
  onLine?: (line: string) => void;
  /** Aborting it stops pip (the Cancel button of the progress notification). */
  signal?: AbortSignal;
  /** Tests only; the default is neutralCwd(), never the workspace. */
  cwd?: string;
}

/**
 * Run pip in a neutral directory: with the workspace as the working directory, `python -m pip`
 * would import a `pip` package (or any of pip's own dependencies) that the workspace happens to
 * contain, and a relative requirement would name a workspace folder.
 */
export function runPipInstall(python: string, options: PipOptions = {}): Promise<PipResult> {
  const { command, args } = pipInstallCommand(python);
  return new Promise((resolve) => {
    let output = '';
    const pending = { stdout: '', stderr: '' };
    const feed = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      const lines = (pending[stream] + text).split(/\r?\n|\r/);
      pending[stream] = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim()) options.onLine?.(line);
      }
    };
    const flush = (): void => {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (pending[stream].trim()) options.onLine?.(pending[stream]);
        pending[stream] = '';
      }
    };
    let cancelled = false;
    const child = spawn(command, args, {
      cwd: options.cwd ?? neutralCwd(),
      env: options.env ?? process.env,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group, so that Cancel also stops the builds pip starts
      detached: process.platform !== 'win32',
    });
    const onAbort = (): void => {
      cancelled = true;
      try {
        if (process.platform !== 'win32' && child.pid !== undefined) {
          process.kill(-child.pid, 'SIGTERM');
          return;
        }
      } catch {
        // the group is gone already; fall through
      }
      child.kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => feed('stdout', d));
    child.stderr.on('data', (d: Buffer) => feed('stderr', d));
    let settled = false;
    const done = (code: number | null): void => {
      if (settled) return;
      settled = true;
      flush();
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code: cancelled ? null : code, output });
    };
    child.on('error', (error) => {
      output += `${String(error)}\n`;
      options.onLine?.(String(error));
      done(-1);
    });
    child.on('close', (code) => done(code ?? -1));
  });
}

/** One sentence on why pip failed and what to do, from its output. */
export function pipFailureHint(python: string, output: string): string {
  if (/externally-managed-environment/.test(output)) {
    return (
      `${python} belongs to a Python managed by the system (PEP 668), which pip may not change: ` +
      'select a virtual environment (glmLsp.server.python), or run `pipx install glm-lsp`.'
    );
  }
  if (/No module named pip\b/.test(output)) {
    return `${python} has no pip: run "${python}" -m ensurepip --upgrade, or use a virtual environment.`;
  }
  if (/ENOENT|EACCES/.test(output)) {
    return `${python} cannot be run: fix glmLsp.server.python (or the selected interpreter).`;
  }
  if (/No matching distribution found|Could not find a version/.test(output)) {
    return (
      'pip found no glm-lsp to install (offline, or a package index without it): install it ' +
      'from a wheel with `pip install glm_lsp-*.whl`, or set PIP_FIND_LINKS.'
    );
  }
  if (/Permission denied|\[Errno 13\]/.test(output)) {
    return `pip may not write into the environment of ${python}: use a virtual environment you own, or \`pipx install glm-lsp\`.`;
  }
  return 'See the log (GLM LSP: Show Log) for pip’s output.';
}
