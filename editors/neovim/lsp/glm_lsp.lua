-- Default client config for `vim.lsp.enable('glm_lsp')` (Neovim >= 0.11). Data only: anything
-- here can be overridden with `vim.lsp.config('glm_lsp', {...})` or `require('glm_lsp').setup()`.
---@type vim.lsp.Config
return {
  cmd = { 'glm-lsp' },
  -- A neutral working directory: `python -m glm_lsp` would otherwise find modules in the
  -- workspace first (the server drops the cwd from sys.path too; this is the second lock).
  cmd_cwd = vim.uv.os_homedir(),
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
  },
  root_markers = {
    'pyproject.toml',
    'setup.py',
    'package.json',
    'tsconfig.json',
    'go.mod',
    'Cargo.toml',
    'pom.xml',
    'build.gradle',
    'compile_commands.json',
    '.git',
  },
  -- Server settings (the `glmLsp` section, camelCase), e.g. { model = { path = '/m/x.gguf' } }.
  -- Empty means the server's own defaults (and $GLM_LSP_MODEL for the model path).
  init_options = vim.empty_dict(),
  settings = { glmLsp = vim.empty_dict() },
}
