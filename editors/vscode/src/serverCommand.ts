// Which process to start, in the documented order:
//   1. glmLsp.server.path
//   2. `python -m glm_lsp` with glmLsp.server.python, else the Python extension's interpreter
//   3. `glm-lsp` on PATH
// and, when nothing works, one message that says exactly what to fix (and, when an interpreter was
// chosen, which one the server could be installed into).
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Human-readable origin, shown in the log and the status tooltip. */
  source: string;
}

export interface LaunchInputs {
  serverPath?: string | null;
  serverPython?: string | null;
  /** Resolves the Python extension's interpreter for the workspace, if that extension is present. */
  pythonExtensionInterpreter?: () => Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export class LaunchError extends Error {
  constructor(
    message: string,
    /** What the user should do, phrased as an instruction. */
    readonly fix: string,
    /**
     * The chosen interpreter that lacks glm_lsp: the server can be pip-installed into its
     * environment. Unset when no interpreter was chosen (or the failure is not a missing server).
     */
    readonly installInto?: string,
  ) {
    super(message);
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the first executable named `name` on PATH. */
export async function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (await isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/**
 * The working directory for every process started with the server's command: the user's home
 * (else the temp directory), never the workspace, where `python -m glm_lsp` would import modules
 * that happen to be named like its dependencies.
 */
export function neutralCwd(home: string = os.homedir(), temp: string = os.tmpdir()): string {
  return home && path.isAbsolute(home) ? home : temp;
}

/** Whether `python` can import glm_lsp (without starting the server). */
export function pythonHasServer(python: string, timeoutMs = 15000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', 'import glm_lsp'],
      { timeout: timeoutMs, windowsHide: true, cwd: neutralCwd() },
      (error) => resolve(!error),
    );
  });
}

export async function resolveServerCommand(
  inputs: LaunchInputs,
  hasServer: (python: string) => Promise<boolean> = pythonHasServer,
): Promise<ServerCommand> {
  const env = inputs.env ?? process.env;
  const platform = inputs.platform ?? process.platform;
  const serverPath = inputs.serverPath?.trim();
  if (serverPath) {
    const resolved = path.isAbsolute(serverPath)
      ? serverPath
      : await findOnPath(serverPath, env, platform);
    if (!resolved || !(await isExecutable(resolved))) {
      throw new LaunchError(
        `glmLsp.server.path is set to "${serverPath}", which is not an executable file.`,
        'Fix or clear the glmLsp.server.path setting.',
      );
    }
    return { command: resolved, args: [], source: 'glmLsp.server.path' };
  }

  const configuredPython = inputs.serverPython?.trim();
  if (configuredPython) {
    if (!(await hasServer(configuredPython))) {
      throw new LaunchError(
        `glmLsp.server.python is "${configuredPython}", but glm_lsp cannot be imported with it.`,
        `Run: "${configuredPython}" -m pip install glm-lsp   (or fix glmLsp.server.python)`,
        configuredPython,
      );
    }
    return { command: configuredPython, args: ['-m', 'glm_lsp'], source: 'glmLsp.server.python' };
  }

  let extensionPython: string | undefined;
  try {
    extensionPython = await inputs.pythonExtensionInterpreter?.();
  } catch {
    extensionPython = undefined;
  }
  if (extensionPython && (await hasServer(extensionPython))) {
    return {
      command: extensionPython,
      args: ['-m', 'glm_lsp'],
      source: 'the Python extension interpreter',
    };
  }

  const onPath = await findOnPath('glm-lsp', env, platform);
  if (onPath) {
    return { command: onPath, args: [], source: 'glm-lsp on PATH' };
  }

  const tried = extensionPython
    ? ` (the selected interpreter ${extensionPython} lacks it too)`
    : '';
  throw new LaunchError(
    `The glm-lsp server was not found${tried}.`,
    extensionPython
      ? `Run: "${extensionPython}" -m pip install glm-lsp   (or \`pipx install glm-lsp\`), or set glmLsp.server.path (or glmLsp.server.python).`
      : 'Install it with `pipx install glm-lsp`, or set glmLsp.server.path (or glmLsp.server.python).',
    extensionPython,
  );
}
