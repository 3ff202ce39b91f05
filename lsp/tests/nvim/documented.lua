-- documented.lua: runs after the `init.lua` of docs/editors.md (loaded with `-u`, unedited) and
-- checks what a user of that configuration sees, for lsp/tests/nvim.rs.
--
-- Input (environment):
--   INFRAC_NVIM_FILES    a JSON list of files, opened in order with `:edit` as a user would
--   INFRAC_NVIM_RENAME   a JSON object {file, line, col, new_name}: `vim.lsp.buf.rename` there,
--                        then `textDocument/references` on the renamed name
--   INFRAC_NVIM_OUT      where to write one JSON object per line
--   INFRAC_NVIM_TIMEOUT  milliseconds per wait (default 20000)
-- Lines and columns are 0-based; columns are bytes.
-- Each wait is for a state (every buffer's diagnostics at its current version, and no error
-- among them), so a state that never comes is a timeout that reports what was seen instead.
-- Exit status: 0 when every step ran, 1 otherwise (the reason is the last line of the output).

local timeout = tonumber(os.getenv('INFRAC_NVIM_TIMEOUT') or '20000')
local out = assert(io.open((assert(os.getenv('INFRAC_NVIM_OUT'), 'INFRAC_NVIM_OUT')), 'w'))

local function emit(object)
  out:write(vim.fn.json_encode(object), '\n')
  out:flush()
end

local function infrac_clients()
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local found = {}
  for _, client in pairs(all) do
    if client.name == 'infrac' then table.insert(found, client) end
  end
  return found
end

local function infra_buffers()
  local found = {}
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].filetype == 'infra' then
      table.insert(found, buf)
    end
  end
  return found
end

-- The last published version of each URI, recorded beside Neovim's own handler.
local published = {}
local show = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result then published[result.uri] = result.version or -1 end
  return show(err, result, ctx, config)
end
local renamed = false
local apply_rename = vim.lsp.handlers['textDocument/rename']
vim.lsp.handlers['textDocument/rename'] = function(...)
  local res = apply_rename(...)
  renamed = true
  return res
end

local function name(buf)
  return vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':t')
end

-- Every infra buffer: its diagnostics, whether they are for its current version.
local function state()
  local files, settled, errors = {}, true, 0
  for _, buf in ipairs(infra_buffers()) do
    local version = vim.lsp.util.buf_versions[buf]
    local current = version ~= nil and published[vim.uri_from_bufnr(buf)] == version
    settled = settled and current
    local diagnostics = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.severity == vim.diagnostic.severity.ERROR then errors = errors + 1 end
      table.insert(diagnostics, { line = d.lnum, col = d.col, severity = d.severity, message = d.message })
    end
    table.insert(files, { file = name(buf), version = version or vim.NIL, current = current,
                          diagnostics = diagnostics })
  end
  local clients = {}
  for _, client in ipairs(infrac_clients()) do
    table.insert(clients, { id = client.id, root_dir = client.config.root_dir })
  end
  return { files = files, clients = clients, settled = settled, errors = errors }
end

local function wait(what, condition)
  if not vim.wait(timeout, condition, 10) then
    emit({ event = 'timeout', waiting_for = what, state = state() })
    error('timed out waiting for ' .. what)
  end
end

local function quiet()
  local now = state()
  return #now.files > 0 and now.settled and now.errors == 0
end

local function run()
  local files = vim.fn.json_decode((assert(os.getenv('INFRAC_NVIM_FILES'), 'INFRAC_NVIM_FILES')))
  local rename = vim.fn.json_decode((assert(os.getenv('INFRAC_NVIM_RENAME'), 'INFRAC_NVIM_RENAME')))
  vim.lsp.set_log_level('debug')
  local v = vim.version()
  emit({ event = 'nvim', version = v.major .. '.' .. v.minor .. '.' .. v.patch })

  for _, file in ipairs(files) do
    vim.cmd('edit ' .. vim.fn.fnameescape(file))
  end
  wait('the diagnostics of the opened files', function()
    return #infra_buffers() == #files and quiet()
  end)
  emit({ event = 'opened', state = state() })

  vim.cmd('edit ' .. vim.fn.fnameescape(rename.file))
  vim.api.nvim_win_set_cursor(0, { rename.line + 1, rename.col })
  vim.lsp.buf.rename(rename.new_name)
  wait('the rename', function() return renamed end)
  wait('the diagnostics after the rename', quiet)
  emit({ event = 'renamed', state = state() })

  vim.api.nvim_win_set_cursor(0, { rename.line + 1, rename.col })
  local params = vim.lsp.util.make_position_params(0, infrac_clients()[1].offset_encoding)
  params.context = { includeDeclaration = true }
  local replies = vim.lsp.buf_request_sync(0, 'textDocument/references', params, timeout)
  local references = {}
  for _, reply in pairs(replies or {}) do
    for _, location in ipairs(reply.result or {}) do
      table.insert(references, vim.fn.fnamemodify(vim.uri_to_fname(location.uri), ':t') .. ':'
                               .. location.range.start.line)
    end
  end
  table.sort(references)
  local texts = {}
  for _, buf in ipairs(infra_buffers()) do
    texts[name(buf)] = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
  end
  emit({ event = 'references', references = references, texts = texts })

  local ids = {}
  for _, client in ipairs(infrac_clients()) do table.insert(ids, client.id) end
  vim.lsp.stop_client(ids)
  wait('the servers to exit', function() return #infrac_clients() == 0 end)
  emit({ event = 'exited', log = vim.lsp.get_log_path() })
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  emit({ event = 'error', error = tostring(err) })
  out:close()
  vim.cmd('cquit 1')
end
out:close()
vim.cmd('qall!')
