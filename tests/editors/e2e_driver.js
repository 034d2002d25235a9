// What both code-server drivers share: environment, checks with a summary, waiting, ports.
'use strict';

const net = require('node:net');

function need(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.log(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const tally = { checks: 0, failures: 0 };
function check(name, ok, detail) {
  tally.checks += 1;
  if (ok) {
    console.log(`ok   ${name}`);
  } else {
    tally.failures += 1;
    console.log(`FAIL ${name}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  }
  return ok;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(ms, fn, every = 250) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await fn().catch(() => undefined);
    if (value) return value;
    await sleep(every);
  }
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Run the driver's main(); print the summary line the Python wrapper reads, and exit. */
function run(main) {
  main()
    .catch((error) => {
      tally.failures += 1;
      console.log(`FAIL driver crashed: ${error && error.stack ? error.stack : error}`);
    })
    .finally(() => {
      console.log(`${tally.checks} check(s), ${tally.failures} failure(s)`);
      process.exit(tally.failures === 0 ? 0 : 1);
    });
}

module.exports = { need, check, sleep, waitFor, freePort, run };
