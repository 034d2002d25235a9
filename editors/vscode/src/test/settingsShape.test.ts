import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { nest, serverSettingKeys } from '../settingsShape';

void test('nest turns dotted keys into the nested section the server parses', () => {
  const cases: [Record<string, never> | Record<string, unknown>, unknown][] = [
    [{}, {}],
    [{ 'model.path': '/m.gguf' }, { model: { path: '/m.gguf' } }],
    [
      { 'model.path': null, 'model.gpuLayers': 'auto', 'inline.enabled': false },
      { model: { path: null, gpuLayers: 'auto' }, inline: { enabled: false } },
    ],
    [{ 'index.exclude': ['dist/**'] }, { index: { exclude: ['dist/**'] } }],
  ];
  for (const [flat, nested] of cases) {
    assert.deepEqual(nest(flat as never), nested);
  }
});

void test('server keys come from the manifest, without client-only settings', () => {
  const manifest: unknown = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'),
  );
  const keys = serverSettingKeys(manifest);
  assert.ok(keys.includes('model.path') && keys.includes('inline.mode'), keys.join(','));
  assert.ok(!keys.some((k) => k.startsWith('server.') || k.startsWith('trace.')), keys.join(','));
});
