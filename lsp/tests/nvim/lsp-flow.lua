-- lsp-flow.lua: drives Neovim's own LSP client (vim.lsp) against infrac-lsp, headless, for
-- lsp/tests/nvim.rs.
--
-- Input (environment):
--   INFRAC_NVIM_SERVER   the server binary
--   INFRAC_NVIM_FILE     the file to open (its directory is the root)
--   INFRAC_NVIM_STEPS    a JSON list of steps, run in order after the file is open:
--     {"step": "diagnostics"}                         the first publish after opening
--     {"step": "hover"|"completion"|"definition"|"references", "line": L, "col": C}
--     {"step": "edit", "line": L, "col": C, "end_line": L2, "end_col": C2, "text": "..."}
--                                                     an edit, then the publish for its version
--     {"step": "format"}                              textDocument/formatting, applied
--   INFRAC_NVIM_OUT      where to write one JSON object per line: each request and response,
--                        each publish used, and the results
--   INFRAC_NVIM_TIMEOUT  milliseconds per wait (default 20000)
-- Lines and columns are 0-based; columns are bytes. The cursor is moved there and Neovim computes
-- the LSP position in the negotiated encoding, as it does for a user.
-- Exit status: 0 when every step ran, 1 otherwise (the reason is the last line of the output).
-- Works with Neovim 0.7 (vim.lsp.start_client) and later.

local timeout = tonumber(os.getenv('INFRAC_NVIM_TIMEOUT') or '20000')
local out = assert(io.open((assert(os.getenv('INFRAC_NVIM_OUT'), 'INFRAC_NVIM_OUT')), 'w'))
local method_call = vim.fn.has('nvim-0.11') == 1

local function emit(object)
  out:write(vim.fn.json_encode(object), '\n')
  out:flush()
end

-- Client methods are called with `:` from Neovim 0.11 on, with `.` before.
local function call(client, name, ...)
  if method_call then
    return client[name](client, ...)
  end
  return client[name](...)
end

local function run()
  local server = (assert(os.getenv('INFRAC_NVIM_SERVER'), 'INFRAC_NVIM_SERVER'))
  local file = (assert(os.getenv('INFRAC_NVIM_FILE'), 'INFRAC_NVIM_FILE'))
  local steps = vim.fn.json_decode((assert(os.getenv('INFRAC_NVIM_STEPS'), 'INFRAC_NVIM_STEPS')))

  vim.lsp.set_log_level('debug')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'infra'
  -- Let the cursor rest after a line's last character, where completion is asked.
  vim.o.virtualedit = 'onemore'
  local uri = vim.uri_from_bufnr(buf)

  local publishes = {}
  local initialized, exited = false, nil
  local show = vim.lsp.handlers['textDocument/publishDiagnostics']
  local client_id = vim.lsp.start_client({
    name = 'infrac',
    cmd = { server },
    root_dir = vim.fn.fnamemodify(file, ':h'),
    flags = { debounce_text_changes = 20 },
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
        if result and result.uri == uri then
          table.insert(publishes, result)
        end
        return show(err, result, ctx, config)
      end,
    },
    on_init = function() initialized = true end,
    on_exit = function(code) exited = code end,
  })
  assert(client_id, 'vim.lsp.start_client failed')
  vim.lsp.buf_attach_client(buf, client_id)
  local function client() return vim.lsp.get_client_by_id(client_id) end

  local function wait(what, condition)
    local ok = vim.wait(timeout, function() return condition() or exited ~= nil end, 5)
    if exited ~= nil then error('the server exited (' .. tostring(exited) .. ') waiting for ' .. what) end
    if not ok then error('timed out waiting for ' .. what) end
  end

  wait('initialize', function() return initialized end)
  emit({ event = 'initialized', encoding = client().offset_encoding,
         nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.' .. tostring(vim.version().patch) })

  local function request(method, params)
    emit({ event = 'request', method = method, params = params })
    local done, result, err = false, nil, nil
    call(client(), 'request', method, params, function(e, r)
      done, result, err = true, r, e
    end, buf)
    wait(method, function() return done end)
    emit({ event = 'response', method = method, result = result == nil and vim.NIL or result,
           error = err == nil and vim.NIL or err })
    if err then error(method .. ' failed: ' .. vim.fn.json_encode(err)) end
    return result
  end

  local function position_params(line, col)
    vim.api.nvim_win_set_cursor(0, { line + 1, col })
    return vim.lsp.util.make_position_params(0, client().offset_encoding)
  end

  local function diagnostics_of(publish)
    local items = {}
    for _, d in ipairs(publish.diagnostics or {}) do
      table.insert(items, { line = d.range.start.line, col = d.range.start.character,
                            code = d.code or vim.NIL, severity = d.severity, message = d.message })
    end
    return items
  end

  for _, step in ipairs(steps) do
    local kind = step.step
    if kind == 'diagnostics' then
      wait('the diagnostics after opening', function() return #publishes > 0 end)
      emit({ event = 'result', step = kind, version = publishes[1].version or vim.NIL,
             diagnostics = diagnostics_of(publishes[1]) })
    elseif kind == 'hover' or kind == 'completion' or kind == 'definition' or kind == 'references' then
      local params = position_params(step.line, step.col)
      local method = ({ hover = 'textDocument/hover', completion = 'textDocument/completion',
                        definition = 'textDocument/definition', references = 'textDocument/references' })[kind]
      if kind == 'references' then params.context = { includeDeclaration = true } end
      local result = request(method, params)
      emit({ event = 'result', step = kind, position = params.position, result = result == nil and vim.NIL or result })
    elseif kind == 'edit' then
      local before = #publishes
      vim.api.nvim_buf_set_text(buf, step.line, step.col, step.end_line, step.end_col,
                                vim.split(step.text, '\n', true))
      local version = vim.lsp.util.buf_versions[buf]
      local found
      wait('the diagnostics of version ' .. tostring(version), function()
        for idx = before + 1, #publishes do
          if publishes[idx].version == version then found = publishes[idx] return true end
        end
        return false
      end)
      emit({ event = 'result', step = kind, version = version, diagnostics = diagnostics_of(found),
             shown_in_editor = #vim.diagnostic.get(buf) })
    elseif kind == 'format' then
      local result = request('textDocument/formatting',
                             { textDocument = { uri = uri }, options = { tabSize = 2, insertSpaces = true } })
      if result and result ~= vim.NIL then
        vim.lsp.util.apply_text_edits(result, buf, client().offset_encoding)
      end
      emit({ event = 'result', step = kind, lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false) })
    else
      error('unknown step ' .. tostring(kind))
    end
  end

  -- An orderly end: shutdown and exit, as when the editor quits.
  vim.lsp.stop_client(client_id)
  if not vim.wait(timeout, function() return exited ~= nil end, 5) then
    error('the server did not exit after shutdown and exit')
  end
  emit({ event = 'exited', code = exited, log = vim.lsp.get_log_path() })
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  emit({ event = 'error', error = tostring(err) })
  out:close()
  vim.cmd('cquit 1')
end
out:close()
vim.cmd('qall!')
