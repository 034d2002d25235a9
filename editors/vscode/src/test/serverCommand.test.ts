// Launch order and error messages of resolveServerCommand, without VS Code (plain node:test).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { LaunchError, findOnPath, neutralCwd, resolveServerCommand } from '../serverCommand';

function fakeExecutable(dir: string, name: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

const withServer = (ok: string[]) => (python: string) => Promise.resolve(ok.includes(python));
const none = () => Promise.resolve(undefined);

void test('server.path wins over everything', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'glm-'));
  const exe = fakeExecutable(dir, 'my-glm-lsp');
  fakeExecutable(dir, 'glm-lsp');
  const cmd = await resolveServerCommand(
    { serverPath: exe, serverPython: '/py', env: { PATH: dir }, pythonExtensionInterpreter: none },
    withServer(['/py']),
  );
  assert.deepEqual([cmd.command, cmd.args, cmd.source], [exe, [], 'glmLsp.server.path']);
});

void test('a server.path that is not executable is an error naming the setting', async () => {
  await assert.rejects(
    resolveServerCommand({ serverPath: '/nonexistent/glm-lsp', env: { PATH: '' } }),
    (err: unknown) => err instanceof LaunchError && /glmLsp\.server\.path/.test(err.fix),
  );
});

void test('server.python runs python -m glm_lsp', async () => {
  const cmd = await resolveServerCommand(
    { serverPython: '/venv/bin/python', env: { PATH: '' } },
    withServer(['/venv/bin/python']),
  );
  assert.deepEqual([cmd.command, cmd.args], ['/venv/bin/python', ['-m', 'glm_lsp']]);
});

void test('server.python without glm_lsp says how to install it there', async () => {
  await assert.rejects(
    resolveServerCommand({ serverPython: '/usr/bin/python3', env: { PATH: '' } }, withServer([])),
    (err: unknown) =>
      err instanceof LaunchError && err.fix.includes('"/usr/bin/python3" -m pip install glm-lsp'),
  );
});

void test('the Python extension interpreter comes before PATH, if it has glm_lsp', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'glm-'));
  const onPath = fakeExecutable(dir, 'glm-lsp');
  const fromExt = () => Promise.resolve('/ext/python');
  const used = await resolveServerCommand(
    { env: { PATH: dir }, pythonExtensionInterpreter: fromExt },
    withServer(['/ext/python']),
  );
  assert.equal(used.command, '/ext/python');
  const skipped = await resolveServerCommand(
    { env: { PATH: dir }, pythonExtensionInterpreter: fromExt },
    withServer([]),
  );
  assert.equal(skipped.command, onPath);
});

void test('nothing found: one message with the fix', async () => {
  await assert.rejects(
    resolveServerCommand(
      { env: { PATH: mkdtempSync(path.join(tmpdir(), 'glm-')) } },
      withServer([]),
    ),
    (err: unknown) => err instanceof LaunchError && err.fix.includes('pipx install glm-lsp'),
  );
});

void test('findOnPath skips directories and non-executables', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'glm-'));
  writeFileSync(path.join(dir, 'glm-lsp'), 'not executable');
  assert.equal(await findOnPath('glm-lsp', { PATH: dir }, 'linux'), undefined);
});

void test('the server never starts in the workspace: home, else the temp directory', () => {
  assert.equal(neutralCwd('/home/u', '/tmp'), '/home/u');
  assert.equal(neutralCwd('', '/tmp'), '/tmp');
  assert.equal(neutralCwd('relative', '/tmp'), '/tmp');
  assert.ok(path.isAbsolute(neutralCwd()));
});
