-- Loaded at startup: only defines the command, <Plug> mappings and autocmds. Everything else
-- lives in lua/glm_lsp/ and is required on first use, so startup cost is a few table inserts.
if vim.g.loaded_glm_lsp then
  return
end
vim.g.loaded_glm_lsp = true

if vim.fn.has('nvim-0.11') == 0 then
  vim.notify_once('glm-lsp: needs Neovim >= 0.11 (0.12 for ghost text)', vim.log.levels.WARN)
  return
end

local NAME = 'glm_lsp'
local group = vim.api.nvim_create_augroup('glm_lsp', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  desc = 'glm-lsp: enable dropdown and ghost text',
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == NAME then
      require('glm_lsp').on_attach(client, args.buf)
    end
  end,
})

vim.api.nvim_create_autocmd('LspProgress', {
  group = group,
  desc = 'glm-lsp: remember model/index progress for :GlmLsp status',
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == NAME then
      require('glm_lsp').on_progress(client.id, args.data.params)
    end
  end,
})

local subcommands = { 'status', 'stats', 'restart', 'toggle-inline', 'pull', 'trace' }

vim.api.nvim_create_user_command('GlmLsp', function(opts)
  require('glm_lsp').command(opts.fargs)
end, {
  nargs = '*',
  desc = 'glm-lsp: status | stats | restart | toggle-inline | pull {model} | trace',
  complete = function(arglead, cmdline)
    if #vim.split(cmdline, '%s+', { trimempty = true }) > 2 then
      return {}
    end
    return vim.tbl_filter(function(s)
      return vim.startswith(s, arglead)
    end, subcommands)
  end,
})

vim.keymap.set('i', '<Plug>(glm-lsp-accept)', function()
  require('glm_lsp').accept()
end, { desc = 'glm-lsp: accept ghost text' })
vim.keymap.set('i', '<Plug>(glm-lsp-next)', function()
  require('glm_lsp').next()
end, { desc = 'glm-lsp: next ghost text' })
vim.keymap.set('i', '<Plug>(glm-lsp-prev)', function()
  require('glm_lsp').prev()
end, { desc = 'glm-lsp: previous ghost text' })
