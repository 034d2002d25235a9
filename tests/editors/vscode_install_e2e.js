// End-to-end test of the extension's install offer in real VS Code (code-server, headless
// chromium): the chosen interpreter is a fresh venv without glm_lsp and nothing is on PATH, so the
// extension offers to pip-install the server there. The driver clicks "Install" as a user would
// (pip runs offline from a local wheel directory, PIP_FIND_LINKS + PIP_NO_INDEX in the
// environment), then checks the progress notification, pip's log in the output channel, the
// installed package, and a completion answered by the installed server. Run by
// test_vscode_e2e.py; ends with "N check(s), M failure(s)".
'use strict';
const { spawn, execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { need, check, sleep, waitFor, freePort, run } = require('./e2e_driver');

const env = process.env;
const NODE_DIR = path.join(__dirname, 'node', 'node_modules');
const { chromium } = require(path.join(NODE_DIR, 'playwright-core'));

const CODE_SERVER = env.GLM_E2E_CODE_SERVER || path.join(NODE_DIR, '.bin', 'code-server');
const CHROMIUM = env.GLM_E2E_CHROMIUM || '/usr/bin/chromium';
const VSIX = need('GLM_E2E_VSIX');
const WORKSPACE = need('GLM_E2E_WORKSPACE');
const FILE = need('GLM_E2E_FILE'); // basename inside WORKSPACE
const PYTHON = need('GLM_E2E_PYTHON'); // the fresh venv's interpreter, without glm_lsp
const DOT_LINE = Number(need('GLM_E2E_DOT_LINE')); // 0-based
const MEMBERS = (env.GLM_E2E_MEMBERS || '').split(',').filter(Boolean);
const TMP = need('GLM_E2E_TMP');
const SHOTS = path.join(TMP, 'screenshots');

/** User settings; `trusted: false` opens the folder in restricted mode, without a prompt. */
function writeUserSettings(ud, trusted) {
  fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(ud, 'User', 'settings.json'),
    JSON.stringify(
      {
        'glmLsp.model.backend': 'none',
        'glmLsp.completion.modelItems': 0,
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
        'editor.suggestOnTriggerCharacters': false,
        'editor.inlineSuggest.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': !trusted,
        'security.workspace.trust.startupPrompt': 'never',
        'telemetry.telemetryLevel': 'off',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
      },
      null,
      2,
    ),
  );
}

const importsServer = () =>
  spawnSync(PYTHON, ['-c', 'import glm_lsp'], { cwd: TMP, stdio: 'ignore' }).status === 0;

/** The extension's output channel as VS Code writes it to disk ("GLM LSP.log"). */
function channelLog(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.includes('GLM LSP')) found.push(p);
    }
  };
  walk(dir);
  return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

async function toastTexts(page) {
  return page.$$eval('.notifications-toasts .notification-list-item-message', (els) =>
    els.map((e) => (e.textContent || '').replace(/\u00a0/g, ' ')),
  );
}

/**
 * code-server on the sample workspace, a headless browser on it, and the sample file open (the
 * extension activates on it). `trusted: false` runs the workspace in restricted mode.
 */
async function openSession(name, { ud, ext, trusted }) {
  const config = path.join(TMP, `${name}.yaml`);
  const port = await freePort();
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  writeUserSettings(ud, trusted);
  const args = [
    ...['--config', config, '--user-data-dir', ud, '--extensions-dir', ext],
    ...['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`],
    ...['--disable-telemetry', '--disable-update-check'],
    ...(trusted ? ['--disable-workspace-trust'] : []),
    WORKSPACE,
  ];
  const server = spawn(CODE_SERVER, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, GLM_LSP_MODEL: '' },
  });
  let serverLog = '';
  server.stdout.on('data', (d) => (serverLog += d));
  server.stderr.on('data', (d) => (serverLog += d));
  const session = { page: undefined, browser: undefined };
  session.close = async () => {
    if (session.browser) await session.browser.close().catch(() => undefined);
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    fs.writeFileSync(path.join(TMP, `${name}-code-server.log`), serverLog);
  };
  const up = await waitFor(60000, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);
  if (!check(`${name}: code-server answers`, up, serverLog.slice(-2000))) return session;
  session.browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await session.browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  await sleep(3000);
  await page.keyboard.press('Control+P');
  await page
    .waitForSelector('.quick-input-widget:not([style*="display: none"]) input', {
      timeout: 20000,
    })
    .catch(() => undefined);
  await page.keyboard.type(FILE);
  await waitFor(30000, async () =>
    page.$$eval(
      '.quick-input-list .monaco-list-row',
      (rows, f) => rows.some((r) => (r.textContent || '').includes(f)),
      FILE,
    ),
  );
  await page.keyboard.press('Enter');
  const opened = await waitFor(15000, async () =>
    page.$$eval(
      '.tab.active',
      (tabs, f) => tabs.some((t) => (t.textContent || '').includes(f)),
      FILE,
    ),
  );
  if (check(`${name}: ${FILE} opened in the editor`, !!opened)) session.page = page;
  return session;
}

async function restricted(ud, ext) {
  // Restricted mode: the extension says what to run, but offers no install and runs no pip.
  const session = await openSession('restricted', { ud, ext, trusted: false });
  try {
    const page = session.page;
    if (!page) return;
    const told = await waitFor(60000, async () =>
      (await toastTexts(page)).find((t) => t.includes('-m pip install glm-lsp')),
    );
    await sleep(5000); // an offer, if any, would be on screen by now
    const toasts = await toastTexts(page);
    const buttons = await page.$$eval('.notifications-toasts .monaco-button', (els) =>
      els.map((e) => (e.textContent || '').trim()),
    );
    await page.screenshot({ path: path.join(SHOTS, 'restricted.png') });
    check(
      'restricted mode: the message names the pip command, no install offered, nothing installed',
      !!told &&
        !buttons.includes('Install') &&
        !toasts.some((t) => t.includes('Install it into')) &&
        !importsServer(),
      { toasts, buttons },
    );
  } finally {
    await session.close();
  }
}

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const ud = path.join(TMP, 'user-data');
  const ext = path.join(TMP, 'extensions');
  // The interpreter is a machine setting (read from Remote [Machine] settings in code-server).
  fs.mkdirSync(path.join(ud, 'Machine'), { recursive: true });
  fs.writeFileSync(
    path.join(ud, 'Machine', 'settings.json'),
    JSON.stringify({ 'glmLsp.server.python': PYTHON, 'glmLsp.cache.dir': path.join(TMP, 'glm') }),
  );
  const config = path.join(TMP, 'install.yaml');
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  execFileSync(
    CODE_SERVER,
    [
      '--config',
      config,
      '--user-data-dir',
      ud,
      '--extensions-dir',
      ext,
      '--install-extension',
      VSIX,
    ],
    { stdio: 'pipe' },
  );
  check(
    'extension installed into code-server',
    fs.readdirSync(ext).some((d) => d.startsWith('glm-lsp.glm-lsp')),
    fs.readdirSync(ext),
  );
  check('the chosen interpreter starts without glm_lsp', !importsServer());

  await restricted(ud, ext);

  const session = await openSession('trusted', { ud, ext, trusted: true });
  try {
    const page = session.page;
    if (!page) return;
    const offer = await waitFor(60000, async () =>
      (await toastTexts(page)).find((t) => t.includes('not installed') && t.includes(PYTHON)),
    );
    await page.screenshot({ path: path.join(SHOTS, 'offer.png') });
    if (
      !check('the extension offers to install the server into the interpreter', !!offer, {
        toasts: await toastTexts(page).catch(() => []),
      })
    )
      return;
    console.log(`     offer: ${JSON.stringify(offer)}`);

    // Accept it the way a user does: the notification's "Install" button.
    await page
      .locator('.notifications-toasts .notification-toast')
      .filter({ hasText: 'not installed' })
      .locator('.monaco-button', { hasText: 'Install' })
      .first()
      .click();
    const progress = await waitFor(30000, async () =>
      (await toastTexts(page)).find((t) => t.includes('Installing glm-lsp into')),
    );
    await page.screenshot({ path: path.join(SHOTS, 'installing.png') });
    check('a progress notification shows the install', !!progress, await toastTexts(page));

    const installed = await waitFor(400000, async () => importsServer(), 2000);
    check('glm_lsp is installed into the chosen interpreter', !!installed);

    // The server starts from that interpreter: the status bar leaves the error state.
    const statusText = async () =>
      page.$$eval('.statusbar-item', (els) =>
        els
          .map((e) => e.textContent || '')
          .filter((t) => t.includes('GLM'))
          .join(' | '),
      );
    const status = await waitFor(
      180000,
      async () => {
        const t = await statusText();
        return /GLM off/.test(t) ? t : undefined;
      },
      1000,
    );
    await page.screenshot({ path: path.join(SHOTS, 'started.png') });
    check('the installed server starts (status bar: GLM off, model disabled)', !!status, {
      status: await statusText(),
      toasts: await toastTexts(page),
    });

    const log = channelLog(ud);
    check(
      "pip's log is in the output channel",
      /pip: .*Successfully installed .*glm-lsp/.test(log) &&
        log.includes(`installing: ${PYTHON} -m pip install`),
      log.slice(-3000),
    );
    check(
      'the server runs with the interpreter it was installed into',
      log.includes(`starting ${PYTHON} -m glm_lsp`),
      log.slice(-3000),
    );

    // A completion from the installed server: the suggest widget lists the class members.
    await page.click('.monaco-editor .view-lines');
    let labels;
    let seen;
    for (let attempt = 0; attempt < 5 && !labels; attempt++) {
      await page.keyboard.press('Control+G');
      await sleep(300);
      await page.keyboard.type(String(DOT_LINE + 1));
      await page.keyboard.press('Enter');
      await sleep(300);
      await page.keyboard.press('End');
      await page.keyboard.press('Control+Space');
      labels = await waitFor(10000, async () => {
        seen = await page.$$eval('.suggest-widget .monaco-list-row .label-name', (els) =>
          els.map((e) => (e.textContent || '').replace(/\u00a0/g, ' ').trim()),
        );
        return MEMBERS.every((m) => seen.includes(m)) ? seen : undefined;
      });
      if (!labels) await page.keyboard.press('Escape');
    }
    await page.screenshot({ path: path.join(SHOTS, 'suggest.png') });
    check('the installed server answers a completion (class members listed)', !!labels, {
      seen,
      members: MEMBERS,
    });
  } finally {
    await session.close();
  }
}

run(main);
