-- glm-lsp client glue: optional setup(), what happens when the server attaches, and the
-- implementations behind `:GlmLsp`. Loaded lazily from plugin/glm_lsp.lua.
local config = require('glm_lsp.config')

local M = {}

M.name = 'glm_lsp'

--- Latest model/indexing progress seen per client id: { title, message, percentage, done }.
---@type table<integer, table>
M.progress = {}

local function notify(msg, level)
  vim.notify('glm-lsp: ' .. msg, level or vim.log.levels.INFO)
end

---@return vim.lsp.Client[]
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
end

--- Optional: validates options, merges them into `vim.lsp.config('glm_lsp')` and enables it.
---@param opts table|nil see |glm-lsp-options|
function M.setup(opts)
  config.options = config.resolve(opts)
  local o = config.options
  local override = {
    init_options = vim.tbl_isempty(o.settings) and vim.empty_dict() or o.settings,
    settings = { glmLsp = vim.tbl_isempty(o.settings) and vim.empty_dict() or o.settings },
  }
  override.cmd = o.cmd
  override.filetypes = o.filetypes
  vim.lsp.config(M.name, override)
  if o.enable then
    vim.lsp.enable(M.name)
  end
end

--- Called on LspAttach for our client: turns on the dropdown and ghost text for the buffer.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  if config.dropdown_enabled() and vim.lsp.completion then
    vim.lsp.completion.enable(true, client.id, bufnr, {
      autotrigger = config.options.dropdown.autotrigger,
    })
  end
  if config.options.inline.enabled and vim.lsp.inline_completion then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
  end
end

--- Records `$/progress` so `:GlmLsp status` can tell "loading 40%" from "ready".
---@param client_id integer
---@param params table lsp.ProgressParams
function M.on_progress(client_id, params)
  local value = params.value or {}
  local state = M.progress[client_id] or {}
  if value.kind == 'begin' then
    state = { title = value.title, percentage = value.percentage, message = value.message }
  elseif value.kind == 'report' then
    state.message = value.message or state.message
    state.percentage = value.percentage or state.percentage
  elseif value.kind == 'end' then
    state.done = true
    state.message = value.message or state.message
  end
  M.progress[client_id] = state
end

--- Runs `glm-lsp.stats` synchronously on a client.
---@param client vim.lsp.Client
---@param timeout_ms integer|nil
---@return table|nil stats, string|nil err
function M.request_stats(client, timeout_ms)
  local resp, err = client:request_sync(
    'workspace/executeCommand',
    { command = 'glm-lsp.stats', arguments = {} },
    timeout_ms or 5000
  )
  if not resp then
    return nil, err or 'no response'
  end
  if resp.err then
    return nil, resp.err.message or vim.inspect(resp.err)
  end
  if type(resp.result) ~= 'table' then
    return nil, 'unexpected glm-lsp.stats result: ' .. vim.inspect(resp.result)
  end
  return resp.result, nil
end

--- One line describing the model: from the stats when available, else from progress.
---@param stats table|nil
---@param progress table|nil
---@return string
function M.model_state(stats, progress)
  -- JSON null arrives as vim.NIL, which is truthy: normalise before testing.
  local function get(tbl, key)
    local v = type(tbl) == 'table' and tbl[key] or nil
    return v ~= vim.NIL and v or nil
  end
  local model = get(stats, 'model') or {}
  if get(model, 'loaded') then
    local where = (tonumber(get(model, 'gpu_layers')) or 0) ~= 0 and 'GPU' or 'CPU'
    local text = ('ready on %s (%s)'):format(where, tostring(get(model, 'path') or '?'))
    -- With several models (the router): which one answered the last suggestion, by which rule.
    local last = get(model, 'last')
    if get(last, 'model') then
      text = text
        .. ('; last suggestion from %s (rule %s)'):format(
          tostring(get(last, 'model')),
          tostring(get(last, 'rule') or '?')
        )
    end
    return text
  end
  if get(model, 'error') then
    return 'error: ' .. tostring(get(model, 'error'))
  end
  if progress and not progress.done and progress.title then
    local pct = progress.percentage and (' %d%%'):format(progress.percentage) or ''
    return ('%s%s%s'):format(
      progress.title,
      pct,
      progress.message and (' ' .. progress.message) or ''
    )
  end
  if get(model, 'state') == 'loading' then
    return 'loading'
  end
  if not get(model, 'path') or get(model, 'path') == '' then
    return 'off (no model configured)'
  end
  return 'not loaded (' .. tostring(get(model, 'state') or 'unknown') .. ')'
end

function M.status()
  local lines = {}
  local clients = M.clients()
  if #clients == 0 then
    lines[#lines + 1] =
      'no glm_lsp client running (open a supported file; see :checkhealth glm_lsp)'
  end
  for _, client in ipairs(clients) do
    local stats = M.request_stats(client, 2000)
    lines[#lines + 1] = ('client %d: root %s, buffers %s'):format(
      client.id,
      tostring(client.root_dir or client.config.root_dir),
      table.concat(vim.tbl_keys(client.attached_buffers), ',')
    )
    lines[#lines + 1] = '  model: ' .. M.model_state(stats, M.progress[client.id])
  end
  if vim.lsp.inline_completion then
    local on = vim.lsp.inline_completion.is_enabled({ bufnr = 0 })
    lines[#lines + 1] = 'inline completion: ' .. (on and 'on' or 'off') .. ' in this buffer'
  else
    lines[#lines + 1] = 'inline completion: needs Neovim >= 0.12'
  end
  notify(table.concat(lines, '\n'))
  return lines
end

--- Opens the stats of every client in a scratch buffer (JSON, pretty-printed).
function M.stats()
  local clients = M.clients()
  if #clients == 0 then
    notify('no glm_lsp client running', vim.log.levels.WARN)
    return
  end
  local out = {}
  for _, client in ipairs(clients) do
    local stats, err = M.request_stats(client)
    out[#out + 1] = ('// client %d'):format(client.id)
    local text = stats and M.json(stats) or ('error: ' .. tostring(err))
    vim.list_extend(out, vim.split(text, '\n'))
  end
  vim.cmd('new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].filetype = 'json'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, out)
end

--- Pretty JSON where the running Neovim supports it (0.12 has `indent`), compact otherwise.
---@param value any
---@return string
function M.json(value)
  local ok, text = pcall(vim.json.encode, value, { indent = '  ' })
  if ok then
    return text
  end
  return vim.json.encode(value)
end

function M.restart()
  local n = #M.clients()
  vim.lsp.enable(M.name, false)
  vim.lsp.enable(M.name, true)
  notify(('restarting (%d client(s) stopped)'):format(n))
end

function M.toggle_inline()
  if not vim.lsp.inline_completion then
    notify('inline completion needs Neovim >= 0.12', vim.log.levels.WARN)
    return
  end
  local enable = not vim.lsp.inline_completion.is_enabled()
  vim.lsp.inline_completion.enable(enable)
  config.options.inline.enabled = enable
  notify('inline completion ' .. (enable and 'on' or 'off'))
end

--- The server command minus serve flags, so `models pull` runs the same installation.
---@return string[]
function M.server_cmd()
  local cmd = config.options.cmd or (vim.lsp.config[M.name] or {}).cmd
  if type(cmd) ~= 'table' then
    return { 'glm-lsp' }
  end
  return vim.tbl_filter(function(arg)
    return arg ~= '--stdio'
  end, cmd)
end

--- Ask a running server to pull (`glm-lsp.pull`): its progress arrives as LSP work-done
--- progress (`vim.lsp.status()`, the LspProgress event), its result as one notification.
---@param client vim.lsp.Client
---@param name string
function M.pull_in_server(client, name)
  notify('pulling ' .. name .. ' …')
  local params = { command = 'glm-lsp.pull', arguments = { name } }
  client:request('workspace/executeCommand', params, function(err, result)
    if err or type(result) ~= 'table' then
      notify(
        ('pull %s failed: %s'):format(name, err and err.message or 'no result'),
        vim.log.levels.ERROR
      )
    elseif result.ok then
      local check = result.verified and 'sha256 matches' or 'sha256 not pinned'
      notify(
        ('pulled %s (%s, %s); restart with :GlmLsp restart if model.name points at it'):format(
          name,
          result.path,
          check
        )
      )
    else
      notify(('pull %s failed: %s'):format(name, result.error), vim.log.levels.ERROR)
    end
  end)
end

---@param name string|nil catalog model name
function M.pull(name)
  if not name or name == '' then
    notify('usage: :GlmLsp pull {model} (see `glm-lsp models list`)', vim.log.levels.WARN)
    return
  end
  local running = M.clients()[1]
  if running then
    return M.pull_in_server(running, name)
  end
  -- no server running: the same installation's command line
  local argv = vim.list_extend(M.server_cmd(), { 'models', 'pull', name })
  notify('pulling ' .. name .. ' …')
  local opts = { text = true, cwd = vim.uv.os_homedir() } -- never the workspace
  local ok, err = pcall(vim.system, argv, opts, function(res)
    vim.schedule(function()
      if res.code == 0 then
        notify(('pulled %s; restart with :GlmLsp restart if model.name points at it'):format(name))
      else
        notify(
          ('pull %s failed (exit %d): %s'):format(name, res.code, vim.trim(res.stderr or '')),
          vim.log.levels.ERROR
        )
      end
    end)
  end)
  if not ok then
    notify('cannot run ' .. argv[1] .. ': ' .. tostring(err), vim.log.levels.ERROR)
  end
end

-- Ghost-text actions behind the <Plug> mappings.
function M.accept()
  return vim.lsp.inline_completion ~= nil and vim.lsp.inline_completion.get()
end

function M.next()
  if vim.lsp.inline_completion then
    vim.lsp.inline_completion.select({ count = 1 })
  end
end

function M.prev()
  if vim.lsp.inline_completion then
    vim.lsp.inline_completion.select({ count = -1 })
  end
end

M.TRACE_HINT = 'tracing is off: set settings.glmLsp.trace.enabled = true in '
  .. "require('glm_lsp').setup({...}), restart, use completion a while, then :GlmLsp trace again"

--- Writes the trace page through the running server (`glm-lsp.trace`) and opens it
--- (|vim.ui.open()|: the system browser); a hint when tracing is off.
function M.trace()
  local client = M.clients()[1]
  if not client then
    notify('no glm_lsp client running; ' .. M.TRACE_HINT, vim.log.levels.WARN)
    return
  end
  local params = { command = 'glm-lsp.trace', arguments = {} }
  client:request('workspace/executeCommand', params, function(err, result)
    if err or type(result) ~= 'table' then
      notify('trace failed: ' .. (err and err.message or 'no result'), vim.log.levels.ERROR)
    elseif not result.enabled then
      notify(M.TRACE_HINT, vim.log.levels.WARN)
    else
      notify(('trace: %d requests, %s'):format(result.requests or 0, result.path))
      if vim.ui.open then
        vim.ui.open(result.path)
      end
    end
  end)
end

M.subcommands = {
  status = M.status,
  stats = M.stats,
  restart = M.restart,
  ['toggle-inline'] = M.toggle_inline,
  pull = M.pull,
  trace = M.trace,
}

---@param args string[]
function M.command(args)
  local sub = args[1] or 'status'
  local fn = M.subcommands[sub]
  if not fn then
    notify(
      ('unknown subcommand %q; one of: %s'):format(
        sub,
        table.concat(vim.tbl_keys(M.subcommands), ', ')
      ),
      vim.log.levels.ERROR
    )
    return
  end
  fn(unpack(args, 2))
end

return M
