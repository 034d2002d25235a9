-- `:checkhealth glm_lsp`: everything a user needs to see when ghost text or the dropdown is missing.
local M = {}

local health = vim.health

local function check_neovim()
  health.start('Neovim')
  local v = vim.version()
  local text = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.12') == 1 then
    health.ok('Neovim ' .. text .. ': dropdown and ghost text (vim.lsp.inline_completion)')
  elseif vim.fn.has('nvim-0.11') == 1 then
    health.warn(
      'Neovim ' .. text .. ': dropdown only',
      { 'Ghost text needs Neovim >= 0.12 (vim.lsp.inline_completion)' }
    )
  else
    health.error('Neovim ' .. text .. ' is too old', { 'Install Neovim >= 0.11' })
  end
end

---@return string[]
local function server_cmd()
  local ok, cfg = pcall(function()
    return vim.lsp.config['glm_lsp']
  end)
  if ok and cfg and type(cfg.cmd) == 'table' then
    return cfg.cmd
  end
  return { 'glm-lsp' }
end

--- The Python a `python -m glm_lsp` command runs, if the command is one.
---@param cmd string[]
---@return string|nil
local function module_python(cmd)
  for i = 2, #cmd - 1 do
    if cmd[i] == '-m' and cmd[i + 1] == 'glm_lsp' then
      return cmd[1]
    end
  end
  return nil
end

--- The exact commands that install the server for `cmd`, most specific first.
--- `sys` (tests only) replaces vim.fn.executable/exepath, the environment and stdpath('data').
---@param cmd string[]
---@param sys? { executable: fun(name: string): boolean, exepath: fun(name: string): string, env: table<string, string>, data: string }
---@return string[]
function M.install_hints(cmd, sys)
  sys = sys
    or {
      executable = function(name)
        return vim.fn.executable(name) == 1
      end,
      exepath = vim.fn.exepath,
      env = vim.env,
      data = vim.fn.stdpath('data') --[[@as string]],
    }
  local q = vim.fn.shellescape
  local python = module_python(cmd)
  if python and sys.executable(python) then
    -- the configured interpreter runs but cannot import glm_lsp: install it right there
    return {
      ('%s -m pip install glm-lsp   (the Python of your cmd)'):format(q(sys.exepath(python))),
    }
  end
  local hints = {}
  if sys.executable('pipx') then
    table.insert(hints, 'pipx install glm-lsp   (puts glm-lsp on $PATH)')
  end
  local venv = sys.env.VIRTUAL_ENV
  if venv and venv ~= '' and sys.executable(venv .. '/bin/python') then
    table.insert(
      hints,
      ('%s -m pip install glm-lsp   (the active virtualenv)'):format(q(venv .. '/bin/python'))
    )
    return hints
  end
  local found = (sys.executable('python3') and sys.exepath('python3'))
    or (sys.executable('python') and sys.exepath('python'))
  if not found then
    table.insert(hints, 'install Python >= 3.10, then: pipx install glm-lsp')
    return hints
  end
  -- a virtualenv of its own: works where the system Python refuses pip (PEP 668)
  local target = sys.data .. '/glm-lsp/venv'
  table.insert(
    hints,
    ('%s -m venv %s && %s -m pip install glm-lsp   (with the Python found: %s)'):format(
      q(found),
      q(target),
      q(target .. '/bin/python'),
      found
    )
  )
  table.insert(
    hints,
    ("then: vim.lsp.config('glm_lsp', { cmd = { %q } })"):format(target .. '/bin/glm-lsp')
  )
  return hints
end

local function check_server()
  health.start('Server')
  local cmd = server_cmd()
  local exe = cmd[1]
  if vim.fn.executable(exe) == 0 then
    health.error(
      ('server executable %q not found; install it with:'):format(exe),
      M.install_hints(cmd)
    )
    return
  end
  health.ok(('server executable: %s'):format(vim.fn.exepath(exe)))
  local argv = vim.tbl_filter(function(a)
    return a ~= '--stdio'
  end, cmd)
  table.insert(argv, '--version')
  local ok, res = pcall(function()
    -- a neutral directory: `python -m glm_lsp` must not import the workspace's modules
    return vim.system(argv, { text = true, cwd = vim.uv.os_homedir() }):wait(15000)
  end)
  if not ok then
    health.error('cannot run ' .. table.concat(argv, ' ') .. ': ' .. tostring(res))
  elseif res.code ~= 0 then
    local stderr = vim.trim(res.stderr or '')
    if stderr:find("No module named '?glm_lsp") then
      health.error(('%s cannot import glm_lsp; install it with:'):format(exe), M.install_hints(cmd))
    else
      health.error(
        ('`%s` exited with %d'):format(table.concat(argv, ' '), res.code),
        { stderr, 'Reinstall glm-lsp or fix its Python environment' }
      )
    end
  else
    health.ok('version: ' .. vim.trim((res.stdout or '') .. ' ' .. (res.stderr or '')))
  end
end

local function check_clients()
  health.start('Running clients')
  local glm = require('glm_lsp')
  local clients = glm.clients()
  if #clients == 0 then
    health.info('no glm_lsp client running (open a supported file to start one)')
    return
  end
  for _, client in ipairs(clients) do
    local stats, err = glm.request_stats(client, 5000)
    local label = ('client %d (root %s)'):format(client.id, tostring(client.root_dir))
    if not stats then
      health.error(label .. ': glm-lsp.stats failed: ' .. tostring(err), {
        'See :lua vim.cmd.edit(vim.lsp.log.get_filename())',
      })
    else
      local state = glm.model_state(stats, glm.progress[client.id])
      if vim.startswith(state, 'error') then
        health.error(label .. ': model ' .. state, {
          'Check model.path in your settings, or run `glm-lsp doctor`',
        })
      elseif vim.startswith(state, 'off') then
        health.warn(label .. ': model ' .. state, {
          'Dropdown works from static analysis; for ghost text set init_options.model.path',
          'or run `:GlmLsp pull {model}` and set model.name',
        })
      elseif vim.startswith(state, 'not loaded') then
        health.warn(label .. ': model ' .. state, { 'See :GlmLsp status and the server log' })
      else
        health.ok(label .. ': model ' .. state)
      end
      local index = stats.index or {}
      health.info(
        ('index: %s files, %s symbols'):format(tostring(index.files), tostring(index.symbols))
      )
    end
  end
end

function M.check()
  check_neovim()
  check_server()
  check_clients()
end

return M
