-- Client-side options of the glm-lsp plugin. Server settings live under `settings` and are passed
-- through untouched (the server validates them and reports bad values itself), so this module only
-- checks the shape of what the plugin itself reads.
local M = {}

---@class glm_lsp.Options
---@field enable boolean Call `vim.lsp.enable('glm_lsp')` from setup().
---@field cmd string[]|nil Server command; nil keeps `lsp/glm_lsp.lua`'s `{ 'glm-lsp' }`.
---@field filetypes string[]|nil Filetypes to attach to; nil keeps the default list.
---@field settings table Server settings (`glmLsp` section, camelCase), sent as init_options too.
---@field inline { enabled: boolean } Ghost text via vim.lsp.inline_completion (Neovim >= 0.12).
---@field dropdown { enabled: boolean|nil, autotrigger: boolean } Built-in LSP completion; nil = on
---unless nvim-cmp or blink.cmp is loaded (they take the server as a plain LSP source).

---@type glm_lsp.Options
M.defaults = {
  enable = true,
  cmd = nil,
  filetypes = nil,
  settings = {},
  inline = { enabled = true },
  dropdown = { enabled = nil, autotrigger = true },
}

---@type glm_lsp.Options
M.options = vim.deepcopy(M.defaults)

local function is_string_list(v)
  if type(v) ~= 'table' then
    return false
  end
  for k, item in pairs(v) do
    if type(k) ~= 'number' or type(item) ~= 'string' then
      return false
    end
  end
  return #v > 0
end

--- Validates user options and merges them over the defaults; raises with a message naming the
--- offending key so a typo in a config fails loudly at startup instead of silently doing nothing.
---@param opts table|nil
---@return glm_lsp.Options
function M.resolve(opts)
  vim.validate('opts', opts, 'table', true)
  opts = opts or {}
  local known = { enable = 1, cmd = 1, filetypes = 1, settings = 1, inline = 1, dropdown = 1 }
  for key in pairs(opts) do
    if not known[key] then
      error(('glm_lsp.setup: unknown option %q'):format(tostring(key)), 0)
    end
  end
  vim.validate('enable', opts.enable, 'boolean', true)
  vim.validate('cmd', opts.cmd, is_string_list, true, 'non-empty list of strings')
  vim.validate('filetypes', opts.filetypes, is_string_list, true, 'non-empty list of strings')
  vim.validate('settings', opts.settings, 'table', true)
  vim.validate('inline', opts.inline, 'table', true)
  vim.validate('dropdown', opts.dropdown, 'table', true)
  if opts.inline then
    vim.validate('inline.enabled', opts.inline.enabled, 'boolean', true)
  end
  if opts.dropdown then
    vim.validate('dropdown.enabled', opts.dropdown.enabled, 'boolean', true)
    vim.validate('dropdown.autotrigger', opts.dropdown.autotrigger, 'boolean', true)
  end
  return vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
end

--- Whether the built-in dropdown should be turned on: an explicit option wins; otherwise stay out
--- of the way of completion plugins that already consume LSP sources.
---@return boolean
function M.dropdown_enabled()
  local enabled = M.options.dropdown.enabled
  if enabled ~= nil then
    return enabled
  end
  return package.loaded['cmp'] == nil and package.loaded['blink.cmp'] == nil
end

return M
