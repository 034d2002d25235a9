// The pip install the extension offers when no server is found: command line, working directory,
// streamed lines, cancellation and failure messages (plain node:test, a fake python).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LaunchError, neutralCwd, resolveServerCommand } from '../serverCommand';
import { pipFailureHint, pipInstallCommand, runPipInstall } from '../serverInstall';

/** A "python" that prints its working directory and arguments, then runs `body`. */
function fakePython(body = 'exit 0'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'glm-py-'));
  const file = path.join(dir, 'python');
  writeFileSync(file, `#!/bin/sh\necho "cwd=$(pwd)"\necho "args=$*"\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const withServer = (ok: string[]) => (python: string) => Promise.resolve(ok.includes(python));

void test('pip installs glm-lsp into the environment of the chosen interpreter', () => {
  assert.deepEqual(pipInstallCommand('/venv/bin/python'), {
    command: '/venv/bin/python',
    args: ['-m', 'pip', 'install', '--disable-pip-version-check', 'glm-lsp'],
  });
});

void test('pip runs in the neutral directory, never the workspace, and streams its lines', async () => {
  const python = fakePython('echo "Collecting glm-lsp" >&2\nprintf "Successfully installed"');
  const lines: string[] = [];
  const result = await runPipInstall(python, { onLine: (l) => lines.push(l) });
  assert.equal(result.code, 0);
  assert.notEqual(neutralCwd(), process.cwd());
  assert.ok(lines.includes(`cwd=${neutralCwd()}`), lines.join('\n'));
  assert.ok(lines.includes('args=-m pip install --disable-pip-version-check glm-lsp'));
  assert.ok(lines.includes('Collecting glm-lsp'));
  assert.ok(lines.includes('Successfully installed'), 'a last line without newline is flushed');
  assert.match(result.output, /Successfully installed/);
});

void test('a failing pip reports its exit status and output', async () => {
  const python = fakePython('echo "error: externally-managed-environment" >&2\nexit 1');
  const result = await runPipInstall(python);
  assert.equal(result.code, 1);
  assert.match(pipFailureHint(python, result.output), /PEP 668.*pipx install glm-lsp/);
});

void test('cancelling stops pip', async () => {
  const python = fakePython('sleep 30');
  const abort = new AbortController();
  const started = Date.now();
  const pending = runPipInstall(python, {
    signal: abort.signal,
    onLine: (line) => (line.startsWith('args=') ? abort.abort() : undefined),
  });
  const result = await pending;
  assert.equal(result.code, null);
  assert.ok(Date.now() - started < 10000);
});

void test('an interpreter that cannot be run is a failure, not a crash', async () => {
  const result = await runPipInstall(path.join(tmpdir(), 'no-such-dir-glm', 'python'));
  assert.equal(result.code, -1);
  assert.match(pipFailureHint('/x/python', result.output), /cannot be run/);
});

void test('failure hints name the cause', () => {
  assert.match(pipFailureHint('/py', '/py: No module named pip'), /ensurepip/);
  assert.match(
    pipFailureHint('/py', 'ERROR: No matching distribution found for glm-lsp'),
    /PIP_FIND_LINKS/,
  );
  assert.match(pipFailureHint('/py', '[Errno 13] Permission denied'), /virtual environment/);
  assert.match(pipFailureHint('/py', 'something else'), /Show Log/);
});

void test('a missing server names the interpreter to install into, when one was chosen', async () => {
  const empty = { PATH: mkdtempSync(path.join(tmpdir(), 'glm-')) };
  await assert.rejects(
    resolveServerCommand({ serverPython: '/venv/bin/python', env: empty }, withServer([])),
    (err: unknown) => err instanceof LaunchError && err.installInto === '/venv/bin/python',
  );
  await assert.rejects(
    resolveServerCommand(
      { env: empty, pythonExtensionInterpreter: () => Promise.resolve('/ext/python') },
      withServer([]),
    ),
    (err: unknown) =>
      err instanceof LaunchError &&
      err.installInto === '/ext/python' &&
      err.fix.includes('"/ext/python" -m pip install glm-lsp'),
  );
  // no interpreter chosen, or a broken server.path: nothing to install into
  await assert.rejects(
    resolveServerCommand({ env: empty }, withServer([])),
    (err: unknown) => err instanceof LaunchError && err.installInto === undefined,
  );
  await assert.rejects(
    resolveServerCommand({ serverPath: '/nonexistent/glm-lsp', env: empty }, withServer([])),
    (err: unknown) => err instanceof LaunchError && err.installInto === undefined,
  );
});
