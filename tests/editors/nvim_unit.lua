-- Table-driven tests of the plugin's pure Lua (option validation, model state text), run by
-- test_neovim_unit.py as `nvim --headless --clean -l nvim_unit.lua PLUGIN_DIR`.
-- Ends with "N check(s), M failure(s)".
vim.opt.rtp:prepend(assert(_G.arg[1], 'plugin dir'))
local config = require('glm_lsp.config')
local glm = require('glm_lsp')

local checks, failures = 0, 0
local function check(name, ok, detail)
  checks = checks + 1
  if not ok then
    failures = failures + 1
    io.stdout:write('FAIL ', name, ': ', vim.inspect(detail), '\n')
  else
    io.stdout:write('ok   ', name, '\n')
  end
end

-- resolve(): valid options merge over the defaults, invalid ones raise naming the key.
local valid = {
  { {}, 'enable', true },
  { { enable = false }, 'enable', false },
  { { cmd = { 'python3', '-m', 'glm_lsp' } }, 'cmd', { 'python3', '-m', 'glm_lsp' } },
  { { settings = { model = { path = '/m.gguf' } } }, 'settings', { model = { path = '/m.gguf' } } },
  { { inline = { enabled = false } }, 'inline', { enabled = false } },
}
for i, case in ipairs(valid) do
  local got = config.resolve(case[1])[case[2]]
  check(('resolve valid #%d (%s)'):format(i, case[2]), vim.deep_equal(got, case[3]), got)
end

local invalid = {
  { { bogus = 1 }, 'bogus' },
  { { enable = 'yes' }, 'enable' },
  { { cmd = 'glm-lsp' }, 'cmd' },
  { { cmd = {} }, 'cmd' },
  { { filetypes = { 1 } }, 'filetypes' },
  { { inline = { enabled = 1 } }, 'inline.enabled' },
  { { dropdown = { autotrigger = 'no' } }, 'dropdown.autotrigger' },
}
for i, case in ipairs(invalid) do
  local ok, err = pcall(config.resolve, case[1])
  check(
    ('resolve rejects #%d (%s)'):format(i, case[2]),
    not ok and tostring(err):find(case[2], 1, true) ~= nil,
    err
  )
end

-- model_state(): stats as they arrive over RPC (JSON null is vim.NIL).
local N = vim.NIL
local states = {
  {
    { model = { loaded = true, gpu_layers = 0, path = '/m/x.gguf', error = N } },
    nil,
    '^ready on CPU',
  },
  { { model = { loaded = true, gpu_layers = 33, path = '/m/x.gguf' } }, nil, '^ready on GPU' },
  {
    {
      model = {
        loaded = true,
        gpu_layers = 0,
        path = '/m',
        last = { model = 'edge', rule = 'line' },
      },
    },
    nil,
    'last suggestion from edge %(rule line%)$',
  },
  { { model = { loaded = false, path = N, error = N } }, nil, '^off' },
  {
    { model = { loaded = false, path = '/m/x.gguf', error = 'bad magic' } },
    nil,
    '^error: bad magic',
  },
  { { model = { loaded = false, path = '/m', state = 'loading' } }, nil, '^loading' },
  {
    { model = { loaded = false, path = '/m' } },
    { title = 'Loading model', percentage = 40 },
    '^Loading model 40%%',
  },
  { { model = { loaded = false, path = '/m', state = 'idle' } }, nil, '^not loaded %(idle%)' },
  { nil, nil, '^off' },
}
for i, case in ipairs(states) do
  local got = glm.model_state(case[1], case[2])
  check(('model_state #%d'):format(i), got:find(case[3]) ~= nil, got)
end

-- server_cmd(): serve flags are dropped so `models pull` runs on the same installation.
config.options = config.resolve({ cmd = { '/venv/bin/glm-lsp', '--stdio' } })
check('server_cmd drops --stdio', vim.deep_equal(glm.server_cmd(), { '/venv/bin/glm-lsp' }))

-- setup() without enabling: options land in vim.lsp.config('glm_lsp') on top of lsp/glm_lsp.lua.
glm.setup({ enable = false, settings = { model = { path = '/m/x.gguf' } } })
local resolved = vim.lsp.config.glm_lsp
check(
  'setup() passes settings as init_options and settings.glmLsp',
  resolved.init_options.model.path == '/m/x.gguf'
    and resolved.settings.glmLsp.model.path == '/m/x.gguf'
    and vim.deep_equal(resolved.cmd, { 'glm-lsp' }),
  resolved
)
check('setup({ enable = false }) does not enable', not vim.lsp.is_enabled('glm_lsp'))
check(
  'the server starts in a neutral directory, not the workspace',
  resolved.cmd_cwd == vim.uv.os_homedir(),
  resolved.cmd_cwd
)

-- The built-in dropdown steps aside for nvim-cmp unless asked for explicitly.
package.loaded['cmp'] = {}
config.options = config.resolve({})
check('dropdown off by default when nvim-cmp is loaded', config.dropdown_enabled() == false)
config.options = config.resolve({ dropdown = { enabled = true } })
check('dropdown forced on', config.dropdown_enabled() == true)
package.loaded['cmp'] = nil

-- install_hints(): the exact command that installs the server, for the interpreter found.
local health = require('glm_lsp.health')
local function fake_sys(executables, env)
  return {
    executable = function(name)
      return executables[name] ~= nil
    end,
    exepath = function(name)
      return executables[name] or ''
    end,
    env = env or {},
    data = '/data',
  }
end
local hints = health.install_hints(
  { '/venv/bin/python', '-m', 'glm_lsp' },
  fake_sys({ ['/venv/bin/python'] = '/venv/bin/python', pipx = '/usr/bin/pipx' })
)
check(
  'install hint: the python of a `python -m glm_lsp` cmd gets pip install',
  #hints == 1 and vim.startswith(hints[1], "'/venv/bin/python' -m pip install glm-lsp"),
  hints
)
hints = health.install_hints(
  { 'glm-lsp' },
  fake_sys({ pipx = '/usr/bin/pipx', python3 = '/usr/bin/python3' })
)
check(
  'install hint: pipx, else a venv made with the python3 found, then the cmd to set',
  vim.startswith(hints[1], 'pipx install glm-lsp')
    and vim.startswith(
      hints[2],
      "'/usr/bin/python3' -m venv '/data/glm-lsp/venv' && '/data/glm-lsp/venv/bin/python' -m pip install glm-lsp"
    )
    and hints[3]:find('cmd = { "/data/glm-lsp/venv/bin/glm-lsp" }', 1, true) ~= nil,
  hints
)
hints = health.install_hints(
  { 'glm-lsp' },
  fake_sys({ ['/ve/bin/python'] = '/ve/bin/python', python3 = '/usr/bin/python3' }, {
    VIRTUAL_ENV = '/ve',
  })
)
check(
  'install hint: the active virtualenv',
  #hints == 1 and vim.startswith(hints[1], "'/ve/bin/python' -m pip install glm-lsp"),
  hints
)
hints = health.install_hints({ 'glm-lsp' }, fake_sys({}))
check(
  'install hint: no Python at all',
  vim.deep_equal(hints, { 'install Python >= 3.10, then: pipx install glm-lsp' }),
  hints
)

-- :checkhealth glm_lsp itself, with a cmd whose Python lacks glm_lsp.
local fake = vim.fn.tempname() .. '-python'
vim.fn.writefile({ '#!/bin/sh', 'echo "No module named \'glm_lsp\'" >&2', 'exit 1' }, fake)
vim.fn.setfperm(fake, 'rwx------')
vim.lsp.config('glm_lsp', { cmd = { fake, '-m', 'glm_lsp' } })
vim.cmd('checkhealth glm_lsp')
local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
check(
  ':checkhealth names the exact pip command for the interpreter of the cmd',
  report:find('cannot import glm_lsp', 1, true) ~= nil
    and report:find(vim.fn.shellescape(fake) .. ' -m pip install glm-lsp', 1, true) ~= nil,
  report
)
vim.cmd('bwipeout!')
vim.lsp.config('glm_lsp', { cmd = { 'glm-lsp-not-installed-here' } })
vim.cmd('checkhealth glm_lsp')
report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
check(
  ':checkhealth says how to install a missing server',
  report:find('"glm-lsp-not-installed-here" not found; install it with', 1, true) ~= nil
    and report:find('install glm-lsp', 1, true) ~= nil,
  report
)

io.stdout:write(('%d check(s), %d failure(s)\n'):format(checks, failures))
os.exit(failures == 0 and 0 or 1)
