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

local function check_server()
  health.start('Server')
  local cmd = server_cmd()
  local exe = cmd[1]
  if vim.fn.executable(exe) == 0 then
    health.error(('server executable %q not found'):format(exe), {
      'pipx install glm-lsp   (or: pip install glm-lsp into a venv on $PATH)',
      "or point the command at it: vim.lsp.config('glm_lsp', { cmd = { '/path/to/glm-lsp' } })",
    })
    return
  end
  health.ok(('server executable: %s'):format(vim.fn.exepath(exe)))
  local argv = vim.tbl_filter(function(a)
    return a ~= '--stdio'
  end, cmd)
  table.insert(argv, '--version')
  local ok, res = pcall(function()
    return vim.system(argv, { text = true }):wait(15000)
  end)
  if not ok then
    health.error('cannot run ' .. table.concat(argv, ' ') .. ': ' .. tostring(res))
  elseif res.code ~= 0 then
    health.error(
      ('`%s` exited with %d'):format(table.concat(argv, ' '), res.code),
      { vim.trim(res.stderr or ''), 'Reinstall glm-lsp or fix its Python environment' }
    )
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
