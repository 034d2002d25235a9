import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render, stateFromStats } from '../modelState';

void test('status text per model state', () => {
  const cases: [unknown, boolean, RegExp][] = [
    [
      { model: { loaded: true, gpu_layers: 0, path: '/m/x.gguf' } },
      true,
      /^\$\(sparkle\) GLM CPU$/,
    ],
    [{ model: { loaded: true, gpu_layers: -1, path: '/m/x.gguf' } }, true, /GLM GPU$/],
    [
      { model: { loaded: true, gpu_layers: 0, path: '/m/x.gguf', last: { model: 'edge' } } },
      true,
      /GLM CPU · edge$/,
    ],
    [{ model: { loaded: true, gpu_layers: 0, path: '/m/x.gguf' } }, false, /GLM off$/],
    [{ model: { loaded: false, path: null, error: null } }, true, /GLM off$/],
    [{ model: { loaded: false, path: '/m', error: 'bad magic' } }, true, /GLM error$/],
    [{ model: { loaded: false, path: '/m', state: 'loading' } }, true, /loading model/],
    [undefined, true, /GLM off$/],
  ];
  for (const [stats, inline, expected] of cases) {
    const { text } = render(stateFromStats(stats, inline));
    assert.match(text, expected, JSON.stringify({ stats, inline, text }));
  }
});

void test('loading shows the percentage and the error its message', () => {
  const loading = render({ kind: 'loading', title: 'Loading model', percentage: 41.6 });
  assert.equal(loading.text, '$(sync~spin) GLM Loading model 42%');
  const server = render({ kind: 'loading', title: 'glm-lsp: model', percentage: 0 });
  assert.equal(server.text, '$(sync~spin) GLM model 0%');
  const error = render({ kind: 'error', message: 'model file not found' });
  assert.match(error.tooltip, /model file not found/);
});
