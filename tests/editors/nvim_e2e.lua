-- End-to-end test of the Neovim client against the real server, run by test_neovim_e2e.py as
--   nvim --headless --clean -l tests/editors/nvim_e2e.lua
-- This driver starts a *child* Neovim over RPC and types real keys into it; feeding insert-mode
-- keys into the process running the script would make it exit 0 silently. It ends with
-- "N check(s), M failure(s)", which the pytest wrapper requires (with the expected N).
local env = vim.env
local PLUGIN = assert(env.GLM_E2E_PLUGIN, 'GLM_E2E_PLUGIN')
-- Empty: keep lsp/glm_lsp.lua's own `cmd = { 'glm-lsp' }` (found on PATH).
local CMD = (env.GLM_E2E_CMD or '') ~= '' and vim.json.decode(env.GLM_E2E_CMD) or nil
local FILE = assert(env.GLM_E2E_FILE, 'GLM_E2E_FILE')
local DOT_LINE = assert(tonumber(env.GLM_E2E_DOT_LINE), 'GLM_E2E_DOT_LINE') -- 0-based, ends in '.'
local GHOST_LINE = assert(tonumber(env.GLM_E2E_GHOST_LINE), 'GLM_E2E_GHOST_LINE')
local MEMBERS = vim.split(env.GLM_E2E_MEMBERS or '', ',', { trimempty = true })
local SETTINGS = vim.json.decode(env.GLM_E2E_SETTINGS or '{}')
local MODEL = env.GLM_E2E_MODEL or ''
local NVIM = env.GLM_E2E_NVIM or vim.v.progpath
local ATTACH_MS = tonumber(env.GLM_E2E_ATTACH_MS) or 60000
local MODEL_MS = tonumber(env.GLM_E2E_MODEL_MS) or 120000

local checks, failures = 0, 0

local function say(line)
  io.stdout:write(line, '\n')
  io.stdout:flush()
end

local function check(name, ok, detail)
  checks = checks + 1
  if ok then
    say('ok   ' .. name)
  else
    failures = failures + 1
    say('FAIL ' .. name .. (detail ~= nil and (': ' .. vim.inspect(detail)) or ''))
  end
  return ok
end

local function finish()
  say(('%d check(s), %d failure(s)'):format(checks, failures))
  os.exit(failures == 0 and 0 or 1)
end

local chan = vim.fn.jobstart({
  NVIM,
  '--embed',
  '--headless',
  '--clean',
  '-n',
  '--cmd',
  'let g:loaded_python3_provider = 0',
  '--cmd',
  'set rtp^=' .. vim.fn.fnameescape(PLUGIN),
}, { rpc = true })
if chan <= 0 then
  say('cannot start child nvim: ' .. NVIM)
  finish()
end

--- Runs Lua in the child; `...` is available there as the arguments. A nil result comes back
--- over RPC as vim.NIL (truthy), so map it back to nil.
local function lua(code, ...)
  local result = vim.rpcrequest(chan, 'nvim_exec_lua', code, { ... })
  if result == vim.NIL then
    return nil
  end
  return result
end

local function input(keys)
  vim.rpcrequest(chan, 'nvim_input', keys)
end

local function wait(ms, fn)
  local value
  local ok = vim.wait(ms, function()
    value = fn()
    return value ~= nil and value ~= false
  end, 100)
  return ok and value or nil
end

-- 1. Configure exactly as a user without setup() would: vim.lsp.config + vim.lsp.enable.
lua(
  [[
  local cmd, settings = ...
  if cmd == vim.NIL then
    cmd = nil -- keep the cmd of lsp/glm_lsp.lua
  end
  vim.lsp.log.set_level('WARN')
  vim.lsp.config('glm_lsp', {
    cmd = cmd,
    init_options = settings,
    settings = { glmLsp = settings },
    on_exit = function(code, signal)
      _G.glm_exit = { code = code, signal = signal }
    end,
  })
  vim.lsp.enable('glm_lsp')
  vim.keymap.set('i', '<C-l>', '<Plug>(glm-lsp-accept)')
  vim.o.completeopt = 'menuone,noselect,noinsert'
  ]],
  CMD,
  SETTINGS
)
check('plugin loaded (:GlmLsp exists)', lua([[return vim.fn.exists(':GlmLsp') == 2]]))
check(
  'lsp/glm_lsp.lua found on runtimepath',
  lua([[return vim.tbl_contains(vim.lsp.config.glm_lsp.filetypes or {}, 'python')]])
)

-- setup() rejects bad options with a message naming the option.
local bad = lua([[
  local ok, err = pcall(require('glm_lsp.config').resolve, { inline = { enabled = 'yes' } })
  local ok2, err2 = pcall(require('glm_lsp.config').resolve, { bogus = 1 })
  return { ok, tostring(err), ok2, tostring(err2) }
]])
check(
  'setup() validates options',
  bad[1] == false and bad[2]:find('inline.enabled') and bad[3] == false and bad[4]:find('bogus'),
  bad
)

lua([[vim.cmd.edit(vim.fn.fnameescape(...))]], FILE)
local attach = wait(ATTACH_MS, function()
  return lua([[
    if _G.glm_exit then return { exit = _G.glm_exit } end
    local c = vim.lsp.get_clients({ name = 'glm_lsp', bufnr = 0 })[1]
    return c and c.initialized and { id = c.id } or nil
  ]])
end)
local client_id = attach and attach.id
if not check('client attached to ' .. vim.fs.basename(FILE), client_id ~= nil, attach) then
  say(lua([[return table.concat(vim.fn.readfile(vim.lsp.log.get_filename()), '\n')]]) or '')
  finish()
end
check(
  'LspAttach hook enabled ghost text for the buffer',
  lua([[return vim.lsp.inline_completion.is_enabled({ bufnr = 0 })]])
)

-- 2. Dropdown: Neovim's menu must list the server's items in the server's order.
local server_labels = lua(
  [[
  local line, client_id = ...
  local text = vim.api.nvim_buf_get_lines(0, line, line + 1, true)[1]
  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(0),
    position = { line = line, character = #text },
    context = { triggerKind = 1 },
  }
  local resp = client:request_sync('textDocument/completion', params, 20000)
  if not resp or resp.err or not resp.result then
    return { error = vim.inspect(resp) }
  end
  local items = resp.result.items or resp.result
  local labels = {}
  for _, item in ipairs(items) do
    labels[#labels + 1] = item.label
  end
  return labels
]],
  DOT_LINE,
  client_id
)
local missing = {}
for _, m in ipairs(MEMBERS) do
  if server_labels.error or not vim.tbl_contains(server_labels, m) then
    missing[#missing + 1] = m
  end
end
check('server completion lists the class members', #missing == 0, {
  missing = missing,
  got = server_labels,
})

lua([[vim.api.nvim_win_set_cursor(0, { ... + 1, 0 })]], DOT_LINE)
input('A')
wait(5000, function()
  return lua([[return vim.api.nvim_get_mode().mode == 'i' or nil]])
end)
input('<Cmd>lua vim.lsp.completion.get()<CR>')
local menu = wait(20000, function()
  return lua([[
    if vim.fn.pumvisible() == 0 then return nil end
    local labels = {}
    for _, item in ipairs(vim.fn.complete_info({ 'items' }).items) do
      labels[#labels + 1] = item.abbr
    end
    return #labels > 0 and labels or nil
  ]])
end)
check('dropdown menu shown', menu ~= nil)
check(
  'dropdown items in the server order',
  menu ~= nil and not server_labels.error and vim.deep_equal(menu, server_labels),
  { menu = menu, server = server_labels }
)
input('<C-e><Esc>')
wait(5000, function()
  return lua([[return vim.api.nvim_get_mode().mode == 'n' or nil]])
end)

-- 3. Ghost text from the model: shown as extmarks, accepted with the <Plug> mapping.
local ghost
if not check('tiny test model present', MODEL ~= '' and vim.uv.fs_stat(MODEL) ~= nil, MODEL) then
  check('model loaded (glm-lsp.stats)', false, 'no model: set GLM_E2E_MODEL')
  check('ghost text shown as extmark', false, 'no model: cannot test ghost text')
  check('ghost text accepted into the buffer', false, 'no model: cannot test ghost text')
else
  local loaded = wait(MODEL_MS, function()
    return lua(
      [[
      local stats = require('glm_lsp').request_stats(vim.lsp.get_client_by_id(...), 5000)
      return stats and stats.model and stats.model.loaded == true or nil
    ]],
      client_id
    )
  end)
  check('model loaded (glm-lsp.stats)', loaded == true)
  lua([[vim.api.nvim_win_set_cursor(0, { ... + 1, 0 })]], GHOST_LINE)
  local before = lua([[return vim.api.nvim_buf_get_lines(0, 0, -1, true)]])
  -- Enter insert mode at the end of the line; inline requests fire on InsertEnter. Re-enter a few
  -- times in case the first request raced the model becoming ready.
  for _ = 1, 3 do
    input('A')
    ghost = wait(20000, function()
      return lua([[
        local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
        if not ns then return nil end
        local marks = vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, { details = true })
        for _, m in ipairs(marks) do
          local d = m[4]
          local first = {}
          for _, chunk in ipairs(d.virt_text or {}) do
            if chunk[2] == 'ComplHint' then first[#first + 1] = chunk[1] end
          end
          local rest = {}
          for _, vl in ipairs(d.virt_lines or {}) do
            local parts = {}
            for _, chunk in ipairs(vl) do
              if chunk[2] == 'ComplHint' then parts[#parts + 1] = chunk[1] end
            end
            rest[#rest + 1] = table.concat(parts)
          end
          local text = table.concat(first)
          if text ~= '' or #rest > 0 then
            return { row = m[2], col = m[3], first = text, rest = rest }
          end
        end
        return nil
      ]])
    end)
    if ghost then
      break
    end
    input('<Esc>')
  end
  check(
    'ghost text shown as extmark',
    ghost ~= nil and (ghost.first .. table.concat(ghost.rest)):find('%S') ~= nil,
    ghost
  )
  if ghost then
    say('     ghost text: ' .. vim.inspect(ghost.first) .. ' + ' .. #ghost.rest .. ' more line(s)')
    input('<C-l>')
    local after = wait(10000, function()
      return lua([[
        local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
        if #vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, {}) > 0 then return nil end
        return vim.api.nvim_buf_get_lines(0, 0, -1, true)
      ]])
    end)
    local row = ghost.row + 1
    local expected = before[row]:sub(1, ghost.col) .. ghost.first
    local ok = after ~= nil and vim.startswith(after[row] or '', expected)
    for i, l in ipairs(ghost.rest) do
      ok = ok and after[row + i] ~= nil and vim.startswith(after[row + i], l)
    end
    check('ghost text accepted into the buffer', ok, {
      ghost = ghost,
      line_after = after and after[row],
    })
  else
    check('ghost text accepted into the buffer', false, 'no ghost text to accept')
  end
  input('<Esc>')
end

-- 4. Commands and health.
local status = lua([[return require('glm_lsp').status()]])
check(
  ':GlmLsp status reports the model state',
  type(status) == 'table' and table.concat(status, '\n'):find('model: ') ~= nil,
  status
)
local stats_text = lua([[
  vim.cmd('GlmLsp stats')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, true), '\n')
  vim.cmd('bwipeout!')
  return text
]])
check(':GlmLsp stats shows glm-lsp.stats', stats_text:find('"completion"') ~= nil, stats_text)
local toggled = lua([[
  local before = vim.lsp.inline_completion.is_enabled()
  vim.cmd('GlmLsp toggle-inline')
  local mid = vim.lsp.inline_completion.is_enabled()
  vim.cmd('GlmLsp toggle-inline')
  return { before, mid, vim.lsp.inline_completion.is_enabled() }
]])
check(
  ':GlmLsp toggle-inline flips ghost text',
  toggled[1] ~= toggled[2] and toggled[1] == toggled[3],
  toggled
)

-- :GlmLsp restart: the old client goes away and a new one attaches to the same buffer.
lua([[vim.cmd('GlmLsp restart')]])
local restarted = wait(ATTACH_MS, function()
  return lua(
    [[
    local c = vim.lsp.get_clients({ name = 'glm_lsp', bufnr = 0 })[1]
    return c and c.initialized and c.id ~= ... and c.id or nil
  ]],
    client_id
  )
end)
check(':GlmLsp restart attaches a new client', restarted ~= nil, restarted)

local health = lua([[
  vim.cmd('checkhealth glm_lsp')
  return vim.api.nvim_buf_get_lines(0, 0, -1, true)
]])
local text = table.concat(health, '\n')
check(':checkhealth glm_lsp has no ERROR', not text:find('ERROR'), health)
check(
  ':checkhealth glm_lsp checked server, version and model',
  text:find('server executable') and text:find('version:') and text:find('model ') ~= nil,
  health
)

pcall(vim.rpcrequest, chan, 'nvim_command', 'qall!')
vim.fn.jobstop(chan)
finish()
