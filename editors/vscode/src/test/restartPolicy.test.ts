import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../restartPolicy';

void test('restarts a few times, then stops', () => {
  let now = 0;
  const policy = new RestartPolicy(3, 1000, () => now);
  const answers = [1, 2, 3, 4].map(() => {
    now += 10;
    return policy.recordCrash();
  });
  assert.deepEqual(answers, [true, true, true, false]);
  assert.equal(policy.recentCrashes, 4);
});

void test('old crashes fall out of the window', () => {
  let now = 0;
  const policy = new RestartPolicy(2, 1000, () => now);
  policy.recordCrash();
  policy.recordCrash();
  now = 5000;
  assert.equal(policy.recordCrash(), true);
  assert.equal(policy.recentCrashes, 1);
});

void test('reset (a manual restart) forgets the crashes', () => {
  const policy = new RestartPolicy(1, 1000, () => 0);
  policy.recordCrash();
  assert.equal(policy.recordCrash(), false);
  policy.reset();
  assert.equal(policy.recordCrash(), true);
});
