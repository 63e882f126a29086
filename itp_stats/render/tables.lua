--[[
tables.lua: page shaping for HTML, Typst and DOCX, the same under both engines. It runs last:
Quarto runs it at `post-render` (`filters:` in _quarto.yml), after its own renderers, so
what it returns goes to Pandoc's writers as it is; the built-in renderer runs it after
report.lua.

  * floats: the divs report.lua parked (::: {.itp-float}) become a Pandoc Figure (images
    with their alt text) or a captioned Table with their identifier: Pandoc's own figure
    and table of each format, in both engines;
  * DOCX and Typst: column widths from the cells' content, replacing the relative widths
    Pandoc reads from a pipe table's dashes. Each column gets at least its longest word
    (bold in the header row), or its whole text when the cell is a number, an interval or
    "n = k" (so numbers never wrap), and shares what is left of the text width in
    proportion to how much more its longest cell wants: Word and LibreOffice lay out
    such fixed-width tables as they are, and no column collapses to a letter per line.
    A table whose cells all fit keeps its natural width.
  * Typst: a captioned table taller than about a quarter of a page may break across pages
    (its header row repeats, typography.typ), so tables flow with the text instead of
    leaving the rest of a page empty; shorter ones stay whole. An uncaptioned table is no
    figure (Pandoc's `typst:no-figure`), so it breaks like text.
  * a table that cannot keep its numbers and words whole on a portrait page gets landscape
    pages of its own, with its note: DOCX, section breaks copied from the reference
    document's page set-up (size, margins, footer, line numbers), turned and with 1.5 cm
    margins; Typst, a turned page (#page(flipped: true)[...], header and numbering kept).
  * DOCX: the last rows of a table with a note are kept with it (paragraph style
    "Table Keep").
  * HTML: widths are left to the browser; first-column cells become row headers
    (<th scope="row">), header cells get scope="col", and each table sits in a
    horizontally scrolling box (div.table-wrap, keyboard-focusable, labelled).
  * table notes (::: {.table-note}, printed after a table): DOCX paragraph style
    "Table Note" (reference.docx), Typst #itp-table-note[...] (typography.typ), both at
    the table's font size; HTML keeps the div (report.css).
  * alt text: an image's fig-alt wins; an image still without one is named as a figure.

The width model uses Arial's advance widths (DOCX tables are Arial 9 pt, see
reference_docx.py), near enough for Typst's Libertinus Serif at 7.5 pt (scale).
]]

local stringify = pandoc.utils.stringify

local function is_format(name) return FORMAT:match(name) ~= nil end

-- Layout of each format: text width and cell padding in em of the table font; the
-- glyph-width scale of its font relative to Arial; the page's text height in em.
local LAYOUT = {
  -- A4, 2.5 cm margins: 16 cm = 453.5 pt of 9 pt text; cell margins 2 x 0.1 cm
  docx = { width = 50.4, pad = 0.75, scale = 1.0 },
  -- a landscape page, 1.5 cm margins (docx.py): 26.7 cm
  docx_landscape = { width = 84.1, pad = 0.75, scale = 1.0 },
  -- A4, 2 cm margins: 17 cm = 481.9 pt of 7.5 pt text; inset 2 x 4 pt
  typst = { width = 64.2, pad = 1.15, scale = 0.97, height = 97.0, breakable = 0.25 },
  -- the same page turned (typography.typ: #page(flipped: true)), 2 cm margins: 25.7 cm wide
  typst_landscape = { width = 97.1, pad = 1.15, scale = 0.97, height = 64.2, breakable = 0.25 },
}

-- Arial advance widths, 1/1000 em
local ADVANCE = {
  [" "] = 278, ["!"] = 278, ['"'] = 355, ["#"] = 556, ["$"] = 556, ["%"] = 889,
  ["&"] = 667, ["'"] = 191, ["("] = 333, [")"] = 333, ["*"] = 389, ["+"] = 584,
  [","] = 278, ["-"] = 333, ["."] = 278, ["/"] = 278, [":"] = 278, [";"] = 278,
  ["<"] = 584, ["="] = 584, [">"] = 584, ["?"] = 556, ["@"] = 1015, ["["] = 278,
  ["\\"] = 278, ["]"] = 278, ["^"] = 469, ["_"] = 556, ["`"] = 333, ["{"] = 334,
  ["|"] = 260, ["}"] = 334, ["~"] = 584,
  a = 556, b = 556, c = 500, d = 556, e = 556, f = 278, g = 556, h = 556, i = 222,
  j = 222, k = 500, l = 222, m = 833, n = 556, o = 556, p = 556, q = 556, r = 333,
  s = 500, t = 278, u = 556, v = 500, w = 722, x = 500, y = 500, z = 500,
  A = 667, B = 667, C = 722, D = 722, E = 667, F = 611, G = 778, H = 722, I = 278,
  J = 500, K = 667, L = 556, M = 833, N = 722, O = 778, P = 667, Q = 778, R = 722,
  S = 667, T = 611, U = 722, V = 667, W = 944, X = 667, Y = 667, Z = 611,
}
local ADVANCE_CODE = {
  [0x00A0] = 278, [0x202F] = 200, [0x2009] = 200, [0x2013] = 556, [0x2014] = 1000,
  [0x2212] = 584, [0x00D7] = 584, [0x2264] = 549, [0x2265] = 549, [0x00B5] = 556,
  [0x03BC] = 576, [0x2030] = 1000, [0x00B1] = 584, [0x2026] = 1000, [0x2019] = 222,
}
local DIGIT = 556
local OTHER = 620
local BOLD = 1.08
local NUMBER_WIDTH = 14  -- em: longer numeric cells may wrap at their spaces
local SLACK = 1.12  -- widths of a table that fits, over their estimate
-- a line may break after these when a letter follows: pattern, text
local BREAK_AFTER = { { "%-", "-" }, { "\u{2013}", "\u{2013}" }, { "\u{2014}", "\u{2014}" }, { "/", "/" } }

local function advance(code)
  if code < 128 then
    local char = utf8.char(code)
    if char:match("%d") then return DIGIT end
    return ADVANCE[char] or OTHER
  end
  return ADVANCE_CODE[code] or OTHER
end

-- Width of `text` in em (Arial).
local function text_width(text)
  local total = 0
  for _, code in utf8.codes(text) do total = total + advance(code) end
  return total / 1000
end

-- A number, interval, p-value or "n = k": kept on one line.
local function is_numeric(text)
  if not text:match("%d") then return false end
  local rest = (" " .. text .. " "):gsub("%f[%a]to%f[%A]", " "):gsub("%f[%a]%a%f[%A]", " ")
  return not rest:match("%a")
end

-- Widths of a cell's text, in em of Arial: its longest word (a cell wraps at spaces only:
-- U+202F inside numbers and U+00A0 do not break), the width it should keep on one line
-- (a short number, interval or "n = k"; else the longest word) and its natural width.
local function measure(text, bold)
  local factor = bold and BOLD or 1
  local natural = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    natural = math.max(natural, text_width(line))
  end
  local word = 0
  for piece in text:gmatch("[^ \n]+") do
    -- Word, LibreOffice and Typst also break after a dash or hyphen before a letter
    for _, dash in ipairs(BREAK_AFTER) do
      piece = piece:gsub(dash[1] .. "(%a)", dash[2] .. " %1")
    end
    for part in piece:gmatch("[^ ]+") do
      word = math.max(word, text_width(part))
    end
  end
  local whole = word
  if not bold and natural <= NUMBER_WIDTH and is_numeric(text) then whole = natural end
  return word * factor, whole * factor, natural * factor
end

local function rows_of(tbl)
  local rows = {}
  for _, row in ipairs(tbl.head.rows) do rows[#rows + 1] = { row = row, head = true } end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.head) do rows[#rows + 1] = { row = row, head = true } end
    for _, row in ipairs(body.body) do rows[#rows + 1] = { row = row, head = false } end
  end
  for _, row in ipairs(tbl.foot.rows) do rows[#rows + 1] = { row = row, head = false } end
  return rows
end

-- Each row's cells as {column, text, bold} (cells spanning columns are left out).
local function cells_of(entry)
  local cells, column = {}, 1
  for _, cell in ipairs(entry.row.cells) do
    if cell.col_span == 1 then
      cells[#cells + 1] = { column = column, text = stringify(cell.contents), bold = entry.head }
    end
    column = column + cell.col_span
  end
  return cells
end

-- Spread `avail` over columns from their `low` to their `high` widths, in proportion to
-- how much more each wants (CSS's automatic table layout does the same).
local function spread(low, high, avail)
  local low_total, high_total = 0, 0
  for j = 1, #low do
    low_total, high_total = low_total + low[j], high_total + high[j]
  end
  local widths = {}
  for j = 1, #low do
    if high_total <= low_total then
      widths[j] = low[j]
    else
      local share = math.max(0, math.min(1, (avail - low_total) / (high_total - low_total)))
      widths[j] = low[j] + (high[j] - low[j]) * share
    end
  end
  return widths, low_total, high_total
end

-- Column widths (em, padding included) for `layout`; also the table's estimated height and
-- whether its numbers and words fit whole.
-- Levels, each taken when the one above does not fit: every cell on one line; numbers on
-- one line and text wrapped; every word whole; words broken (columns in proportion).
local function column_widths(tbl, layout)
  local n = #tbl.colspecs
  local word, whole, natural = {}, {}, {}
  for j = 1, n do word[j], whole[j], natural[j] = 0, 0, 0 end
  local rows = rows_of(tbl)
  for _, entry in ipairs(rows) do
    for _, cell in ipairs(cells_of(entry)) do
      local j = cell.column
      if j <= n then
        local w, h, t = measure(cell.text, cell.bold)
        word[j] = math.max(word[j], w * layout.scale)
        whole[j] = math.max(whole[j], h * layout.scale)
        natural[j] = math.max(natural[j], t * layout.scale)
      end
    end
  end
  for j = 1, n do
    -- a single word longer than a third of the line may break rather than crowd out
    word[j] = math.min(word[j], layout.width / 3) + layout.pad
    whole[j] = math.max(whole[j] + layout.pad, word[j])
    natural[j] = math.max(natural[j] + layout.pad, whole[j])
  end
  local widths, whole_total, natural_total = spread(whole, natural, layout.width)
  local fits = whole_total <= layout.width
  if natural_total <= layout.width then
    -- room to spare: a margin for the estimate, so that no cell wraps
    local slack = math.min(SLACK, layout.width / natural_total)
    for j = 1, n do widths[j] = natural[j] * slack end
  end
  if not fits then
    local word_total
    widths, word_total = spread(word, whole, layout.width)
    if word_total > layout.width then
      for j = 1, n do widths[j] = word[j] * layout.width / word_total end
    end
  end
  local height = 0
  for _, entry in ipairs(rows) do
    local lines = 1
    for _, cell in ipairs(cells_of(entry)) do
      if cell.column <= n then
        local _, _, high = measure(cell.text, cell.bold)
        local room = math.max(widths[cell.column] - layout.pad, 0.5)
        lines = math.max(lines, math.ceil(high * layout.scale / room))
      end
    end
    height = height + lines * 1.2 + 0.8
  end
  return widths, height, fits
end

-- No line break after the dash of a numeric range ("746–1 968", "−0.42–−0.10"): a word
-- joiner (U+2060) after it. Word, LibreOffice, Typst and browsers break after an en dash.
local WORD_JOINER = "\u{2060}"

local function join_ranges(tbl)
  return tbl:walk({
    Str = function(str)
      local text = str.text
      text = text:gsub("(%d)\u{2013}(%d)", "%1\u{2013}" .. WORD_JOINER .. "%2")
      text = text:gsub("(%d)\u{2013}\u{2212}", "%1\u{2013}" .. WORD_JOINER .. "\u{2212}")
      if text ~= str.text then return pandoc.Str(text) end
    end,
  })
end

local function set_widths(tbl, widths, total)
  for j, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[j] = { spec[1], widths[j] / total }
  end
end

local function caption_text(tbl)
  local text = stringify(tbl.caption.long or {})
  if text == "" then return "Table" end
  return text
end

local function html_table(tbl)
  for j, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[j] = { spec[1], pandoc.ColWidthDefault }
  end
  for _, row in ipairs(tbl.head.rows) do
    for _, cell in ipairs(row.cells) do cell.attributes.scope = "col" end
  end
  -- numbers stay on one line (report.css); the table scrolls instead
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      for _, cell in ipairs(row.cells) do
        local text = stringify(cell.contents)
        if text_width(text) <= NUMBER_WIDTH and is_numeric(text) then
          cell.classes:insert("number")
        end
      end
    end
  end
  if #tbl.colspecs > 1 then
    for _, body in ipairs(tbl.bodies) do
      body.row_head_columns = 1
      for _, row in ipairs(body.body) do
        if #row.cells > 0 then row.cells[1].attributes.scope = "row" end
      end
    end
  end
  -- a list of pairs: a Lua table has no order, and the page would differ between runs
  local attributes = { { "role", "region" }, { "tabindex", "0" }, { "aria-label", caption_text(tbl) } }
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-wrap" }, attributes))
end

-- DOCX sections ---------------------------------------------------------------------

local LANDSCAPE_MARGIN = 851  -- twips: 1.5 cm
local DEFAULT_SECTION = '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
  .. '<w:pgMar w:top="1417" w:right="1417" w:bottom="1417" w:left="1417" w:header="709"'
  .. ' w:footer="709" w:gutter="0"/></w:sectPr>'

-- The section properties of the reference document (its last <w:sectPr>): Pandoc copies
-- them, with the footer's relationship, to the end of the document it writes.
local function reference_section()
  local path = PANDOC_WRITER_OPTIONS and PANDOC_WRITER_OPTIONS.reference_doc
  if path == nil or path == "" or pandoc.zip == nil then return DEFAULT_SECTION end
  local handle = io.open(path, "rb")
  if handle == nil then return DEFAULT_SECTION end
  local data = handle:read("a")
  handle:close()
  local ok, archive = pcall(pandoc.zip.Archive, data)
  if not ok then return DEFAULT_SECTION end
  for _, entry in ipairs(archive.entries) do
    if entry.path == "word/document.xml" then
      local xml = entry:contents()
      local section = nil
      for found in xml:gmatch("<w:sectPr[ >].-</w:sectPr>") do section = found end
      if section == nil then
        for found in xml:gmatch("<w:sectPr>.-</w:sectPr>") do section = found end
      end
      return section or DEFAULT_SECTION
    end
  end
  return DEFAULT_SECTION
end

local function attributes_of(tag)
  local values, order = {}, {}
  for key, value in tag:gmatch('(w:[%a]+)="([^"]*)"') do
    values[key] = value
    order[#order + 1] = key
  end
  return values, order
end

local function make_tag(name, values, order)
  local parts = {}
  for _, key in ipairs(order) do
    if values[key] ~= nil then parts[#parts + 1] = key .. '="' .. values[key] .. '"' end
  end
  return "<" .. name .. " " .. table.concat(parts, " ") .. "/>"
end

-- Section properties turned to landscape: width and height swap, w:orient is set, the
-- margins turn with the page (left becomes top...) and are narrowed to 1.5 cm.
local function landscape(section)
  section = section:gsub("<w:pgSz%f[%s/][^>]*/>", function(tag)
    local values, order = attributes_of(tag)
    local width, height = tonumber(values["w:w"]), tonumber(values["w:h"])
    if width and height and width < height then
      values["w:w"], values["w:h"] = tostring(height), tostring(width)
    end
    if values["w:orient"] == nil then order[#order + 1] = "w:orient" end
    values["w:orient"] = "landscape"
    return make_tag("w:pgSz", values, order)
  end)
  section = section:gsub("<w:pgMar%f[%s/][^>]*/>", function(tag)
    local values, order = attributes_of(tag)
    local turned = {}
    for k, v in pairs(values) do turned[k] = v end
    local turns = { { "w:top", "w:left" }, { "w:right", "w:top" }, { "w:bottom", "w:right" },
      { "w:left", "w:bottom" } }
    for _, pair in ipairs(turns) do
      if values[pair[2]] ~= nil then turned[pair[1]] = values[pair[2]] end
    end
    for _, side in ipairs({ "w:top", "w:right", "w:bottom", "w:left" }) do
      local value = tonumber(turned[side])
      if value and math.abs(value) > LANDSCAPE_MARGIN then turned[side] = tostring(LANDSCAPE_MARGIN) end
    end
    for _, edge in ipairs({ "w:header", "w:footer" }) do
      local value = tonumber(turned[edge])
      if value and value > LANDSCAPE_MARGIN // 2 then turned[edge] = tostring(LANDSCAPE_MARGIN // 2) end
    end
    return make_tag("w:pgMar", turned, order)
  end)
  return section
end

local SECTION = nil
local function section_break(turned)
  SECTION = SECTION or reference_section()
  local section = turned and landscape(SECTION) or SECTION
  return pandoc.RawBlock("openxml", "<w:p><w:pPr>" .. section .. "</w:pPr></w:p>")
end

-- The last rows of a table with a note, kept with it in Word (the note never stands alone
-- at the top of a page): their paragraphs take the style "Table Keep" (reference.docx:
-- the table text with "keep with next").
-- A short table is kept whole (all its rows), so that it never starts at a page foot with
-- one row and continues on the next page.
local KEPT_ROWS = 3
local SHORT_TABLE_ROWS = 12
local function table_rows(tbl)
  local rows = {}
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do rows[#rows + 1] = row end
  end
  return rows
end

local function keep_row(row)
  for _, cell in ipairs(row.cells) do
    -- Pandoc gives a cell's Plain text the style Compact whatever the div says; a Para
    -- inside the div takes the div's style
    local blocks = pandoc.Blocks({})
    for _, block in ipairs(cell.contents) do
      blocks:insert(block.t == "Plain" and pandoc.Para(block.content) or block)
    end
    cell.contents = pandoc.Blocks({
      pandoc.Div(blocks, pandoc.Attr("", {}, { ["custom-style"] = "Table Keep" })),
    })
  end
end

local function keep_last_rows(tbl, kept)
  local rows = table_rows(tbl)
  for i = math.max(1, #rows - (kept or KEPT_ROWS) + 1), #rows do
    keep_row(rows[i])
  end
  if kept and kept >= #rows then -- the whole table: its header rows too
    for _, row in ipairs(tbl.head.rows) do keep_row(row) end
  end
  return tbl
end

local LANDSCAPE_OF = { [LAYOUT.docx] = LAYOUT.docx_landscape, [LAYOUT.typst] = LAYOUT.typst_landscape }

local function Table(tbl)
  if #tbl.colspecs == 0 then return nil end
  if is_format("html") then return html_table(tbl) end
  local layout = is_format("typst") and LAYOUT.typst or is_format("docx") and LAYOUT.docx
  if not layout then return nil end
  tbl = join_ranges(tbl)
  local widths, height, fits = column_widths(tbl, layout)
  if not fits then
    -- too wide for a portrait page: on landscape pages of its own
    layout = LANDSCAPE_OF[layout]
    widths, height = column_widths(tbl, layout)
    tbl.attributes["itp-landscape"] = "true"
  end
  set_widths(tbl, widths, layout.width)
  if is_format("typst") and #tbl.caption.long == 0 then
    -- no caption, no figure: the table breaks across pages as text does
    if not tbl.classes:includes("typst:no-figure") then tbl.classes:insert("typst:no-figure") end
  elseif layout.height and height > layout.height * layout.breakable then
    tbl.attributes["itp-long"] = "true"
  end
  return tbl
end

local function Div(div)
  if not div.classes:includes("table-note") then return nil end
  if is_format("docx") then
    div.attributes["custom-style"] = "Table Note"
    return div
  end
  return nil
end

local function is_landscape(block)
  return block and block.t == "Table" and block.attributes["itp-landscape"] ~= nil
end

local function is_note(block)
  return block and block.t == "Div" and block.classes:includes("table-note")
end

-- A table as its format writes it: Typst, a long table in #itp-long-table[...] (its figure
-- may break across pages); a note, Typst #itp-table-note[...].
local function finished(block)
  if block.t == "Table" then
    local long = block.attributes["itp-long"] ~= nil
    block.attributes["itp-long"] = nil
    block.attributes["itp-landscape"] = nil
    if long and is_format("typst") then
      return { pandoc.RawBlock("typst", "#itp-long-table["), block, pandoc.RawBlock("typst", "]") }
    end
    return { block }
  end
  if is_note(block) and is_format("typst") then
    local blocks = pandoc.Blocks({ pandoc.RawBlock("typst", "#itp-table-note[") })
    blocks:extend(block.content)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return { block }
end

-- Landscape pages around `blocks`: DOCX section breaks (the reference document's page
-- set-up, turned); Typst a turned page (#page(flipped: true)[...]).
local function landscape_open()
  if is_format("typst") then return pandoc.RawBlock("typst", "#page(flipped: true)[") end
  return section_break(false)
end

local function landscape_close()
  if is_format("typst") then return pandoc.RawBlock("typst", "]") end
  return section_break(true)
end

-- A figure of images alone (no table in it).
local function is_image_figure(block)
  if not block or block.t ~= "Figure" then return false end
  local table_inside = false
  block.content:walk({ Table = function() table_inside = true end })
  return not table_inside
end

-- Landscape tables on landscape pages: each with the note after it, consecutive ones (a
-- heading between them allowed) on the same pages, a heading right before the first one
-- with them. A figure right after them is set before them, on the portrait page that the
-- landscape pages would otherwise leave half empty (its number and references unchanged).
-- In Typst, a captioned table and its note go to itp-table-with-note (typography.typ).
local function page_blocks(blocks)
  if not (is_format("typst") or is_format("docx")) then return nil end
  local out = pandoc.Blocks({})
  local i = 1
  while i <= #blocks do
    local block = blocks[i]
    if is_landscape(block) or (block.t == "Header" and is_landscape(blocks[i + 1])) then
      local run = pandoc.Blocks({})
      while blocks[i] and (is_landscape(blocks[i])
          or (blocks[i].t == "Header" and is_landscape(blocks[i + 1]))) do
        if blocks[i].t == "Header" then
          run:insert(blocks[i])
          i = i + 1
        end
        run:extend(finished(blocks[i]))
        i = i + 1
        if is_note(blocks[i]) then
          run:extend(finished(blocks[i]))
          i = i + 1
        end
      end
      if #out > 0 and is_image_figure(blocks[i]) then
        out:insert(blocks[i])
        i = i + 1
      end
      out:insert(landscape_open())
      out:extend(run)
      out:insert(landscape_close())
    elseif is_format("typst") and block.t == "Table" and #block.caption.long > 0
        and is_note(blocks[i + 1]) then
      -- a captioned table and its note: typography.typ measures them as set and decides
      -- (itp-table-with-note) whether they stay together on one page or the table breaks,
      -- so the note never stands alone at the top of the next page (Word: keep_notes)
      block.attributes["itp-long"] = nil
      out:insert(pandoc.RawBlock("typst", "#itp-table-with-note["))
      out:extend(finished(block))
      out:insert(pandoc.RawBlock("typst", "]["))
      out:extend(finished(blocks[i + 1]))
      out:insert(pandoc.RawBlock("typst", "]"))
      i = i + 2
    else
      out:extend(finished(block))
      i = i + 1
    end
  end
  return out
end

-- Floats --------------------------------------------------------------------------

-- A parked float of report.lua: back to a captioned Table or a Pandoc Figure.
local function unpark(div)
  if not div.classes:includes("itp-float") then return nil end
  local id = div.attributes["itp-id"] or ""
  local caption = pandoc.Blocks({})
  local content = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == "Div" and block.classes:includes("itp-caption") then
      caption = block.content
    else
      content:insert(block)
    end
  end
  if div.attributes["itp-kind"] == "table" then
    local done = false
    return content:walk({
      Table = function(tbl)
        if done then return nil end
        done = true
        tbl.identifier = id
        tbl.caption = { long = caption }
        -- Quarto marks every table it renders as "no figure" for Typst; a captioned one is
        tbl.classes = tbl.classes:filter(function(c) return c ~= "typst:no-figure" end)
        return tbl
      end,
    })
  end
  local alt = div.attributes["itp-alt"]
  if alt ~= nil then
    content = content:walk({
      Image = function(img)
        if #img.caption == 0 then
          img.caption = pandoc.Inlines(alt)
          return img
        end
      end,
    })
  end
  -- the figure holds its image alone (a paragraph around it would be a second block)
  if #content == 1 and content[1].t == "Para" then content = { pandoc.Plain(content[1].content) } end
  -- HTML: the figure takes the focus on a click, and report.css then shows it over the page
  local attributes = is_format("html") and { tabindex = "0" } or {}
  return pandoc.Figure(content, { long = caption }, pandoc.Attr(id, {}, attributes))
end

-- Alt texts: fig-alt wins; an image still without one is named as a figure. In HTML the
-- image says it enlarges: its figure takes the focus on a click (unpark), and report.css
-- shows the focused figure over the page with the image's 2x pixels (figcache.SCREEN_SCALE);
-- a click elsewhere or Tab returns it to the page.
local function Image(img)
  local alt = img.attributes["fig-alt"]
  if alt ~= nil then
    img.attributes["fig-alt"] = nil
    img.caption = pandoc.Inlines(alt)
  elseif #img.caption == 0 then
    img.caption = pandoc.Inlines("Figure")
  end
  if is_format("html") then img.title = "Click to enlarge" end
  return img
end

-- Tables followed by a note keep their last rows with it, and short tables keep all their
-- rows together (DOCX).
local function keep_notes(blocks)
  if not is_format("docx") then return nil end
  for i, block in ipairs(blocks) do
    if block.t == "Table" then
      local n = #table_rows(block)
      if n <= SHORT_TABLE_ROWS then
        blocks[i] = keep_last_rows(block, n)
      elseif is_note(blocks[i + 1]) then
        blocks[i] = keep_last_rows(block)
      end
    end
  end
  return blocks
end

return {
  { Div = unpark },
  { Image = Image },
  { Table = Table, Div = Div },
  { Blocks = keep_notes },
  { Blocks = page_blocks },
}
