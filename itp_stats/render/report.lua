--[[
report.lua: the Quarto subset the documents use, as a Pandoc filter that runs first in both
engines (Quarto: `filters: [{path: report.lua, at: pre-ast}]` in _quarto.yml, before its own
parsing; the built-in renderer: first of its filters).

  * numbers figures and tables (and crossref.custom float types) in document order and
    prefixes their captions ("Figure 1: ..."), honouring Quarto's crossref options
    fig-title, tbl-title, fig-prefix, tbl-prefix, title-delim, labels, fig-labels,
    tbl-labels, ref-hyperlink and custom (kind: float, key, reference-prefix,
    caption-prefix, space-before-numbering): custom types give "Figure S1"-style numbers;
  * reads Quarto's float syntax (::: {#fig-x} content, caption as last paragraph :::, a
    Pandoc Figure or a captioned Table with such an id) and *parks* each float in a
    ::: {.itp-float itp-id=fig-x itp-kind=figure|table} div, caption first in a
    ::: {.itp-caption} div, with no identifier, image caption or class that Quarto's own
    parser would take for a float or a callout; tables.lua (after Quarto's renderers)
    turns it back into a Pandoc Figure or captioned Table, so that both engines hand
    Pandoc's writers the same floats (no Word layout tables, no unbreakable Typst floats);
  * leaves out what a study does not have: a float holding a ::: {.itp-left-out} div
    becomes that div's content (one line saying why), unnumbered; a section holding a
    ::: {.itp-left-out-section} div is dropped from its heading on;
  * resolves @fig-x / @tbl-x (and custom keys) to "Figure 1" links; [-@fig-x] gives the
    number alone; @Fig-x capitalises; unknown ids render as ?@id with a warning;
  * draws callouts (.callout-note/-warning/-important/-tip/-caution, optional title) in
    HTML (div.itp-callout, styled by report.css), Typst (#itp-callout, report.typ) and DOCX;
  * keeps a figure's alt text (the cell's fig-alt, else its caption without the number) in
    the parked div; tables.lua gives it to the images;
  * Typst: the running title (metadata itp-running-title) as a metadata element that the
    page header of typography.typ prints from page 2 on.
  * abbreviations: [long ([SHORT]{.itp-abbr-short})]{.itp-abbr} (itp_stats' sentences and
    captions) reads "long (SHORT)" at the first mention of SHORT in the document and "SHORT"
    at every later one, in document order (a float's caption before its content, table
    cells and notes included); the spans themselves are removed.

It must run before --citeproc, so that @fig-x is not taken for a citation.
Typst numbering is switched off (report.typ): numbers come from here, so uncaptioned tables,
which Pandoc also wraps in a Typst figure, stay unnumbered.
]]

local stringify = pandoc.utils.stringify

local categories = {}     -- key -> {title=, prefix=, space=, labels=, kind=}
local numbered = {}       -- id -> {key=, number=}
local counters = {}       -- key -> count
local options = {}        -- crossref options (strings/booleans)
local hyperlink = true

local function is_html() return FORMAT:match("html") ~= nil end
local function is_typst() return FORMAT:match("typst") ~= nil end
local function is_docx() return FORMAT:match("docx") ~= nil end

local function meta_value(value)
  if value == nil then return nil end
  local kind = pandoc.utils.type(value)
  if kind == "boolean" or kind == "table" or kind == "List" then return value end
  return stringify(value)
end

local function read_options(meta)
  local crossref = meta.crossref
  if crossref == nil or crossref == false then crossref = {} end
  for key, value in pairs(crossref) do
    if key ~= "custom" then options[key] = meta_value(value) end
  end
  if options["ref-hyperlink"] == false then hyperlink = false end
  categories.fig = {
    title = options["fig-title"] or "Figure",
    prefix = options["fig-prefix"] or "Figure",
    space = true,
    labels = options["fig-labels"] or options.labels,
    kind = "fig",
  }
  categories.tbl = {
    title = options["tbl-title"] or "Table",
    prefix = options["tbl-prefix"] or "Table",
    space = true,
    labels = options["tbl-labels"] or options.labels,
    kind = "tbl",
  }
  for _, entry in ipairs(crossref.custom or {}) do
    local key = stringify(entry.key or "")
    if key ~= "" then
      local name = stringify(entry["reference-prefix"] or key)
      local space = entry["space-before-numbering"]
      categories[key] = {
        title = entry["caption-prefix"] and stringify(entry["caption-prefix"]) or name,
        prefix = name,
        space = space ~= false,
        labels = options[key .. "-labels"] or options.labels,
        kind = key,
      }
    end
  end
end

local function format_number(n, scheme)
  scheme = scheme and stringify(scheme) or "arabic"
  if scheme:match("^alpha") then
    local start = scheme:sub(-1)
    if #scheme <= 6 then start = "a" end
    return utf8.char(utf8.codepoint(start) + n - 1)
  elseif scheme:match("^roman") then
    local roman = pandoc.utils.to_roman_numeral(n)
    if scheme:sub(-1) == "i" then roman = roman:lower() end
    return roman
  end
  return tostring(n)
end

local function key_of(id)
  if id == nil or id == "" then return nil end
  local key = id:match("^([%w_]+)%-")
  if key and categories[key] then return key end
  return nil
end

local function join(text, number, space)
  if space then return text .. " " .. number end
  return text .. number
end

-- Number the float `id` of category `key`; return the caption prefix inlines.
local function number_float(id, key)
  local category = categories[key]
  counters[key] = (counters[key] or 0) + 1
  local number = format_number(counters[key], category.labels)
  numbered[id] = { key = key, number = number }
  local delim = options["title-delim"] or ":"
  return pandoc.Inlines(join(category.title, number, category.space) .. delim .. " ")
end

local function has_table(blocks)
  local found = false
  pandoc.Blocks(blocks):walk({ Table = function() found = true end })
  return found
end

-- A float's content, without the wrappers that only group it (a cell div around one
-- image), so that writers see a simple figure (DOCX would otherwise draw a table).
local function is_wrapper(block)
  if block.t ~= "Div" then return false end
  if block.identifier == "" and #block.classes == 0 then return true end
  for _, class in ipairs(block.classes) do
    if class ~= "cell" and not class:match("^cell%-output") then return false end
  end
  return #block.classes > 0
end

local function unwrap(blocks)
  while #blocks == 1 and is_wrapper(blocks[1]) do
    blocks = blocks[1].content
  end
  return blocks
end

-- A figure's images without a caption of their own: alt text from the cell's fig-alt, else
-- from the caption. Images lose their captions and identifiers while parked (Quarto takes an
-- image with a caption alone in a paragraph for a figure of its own).
local function park_images(blocks)
  local alt = nil
  local parked = pandoc.Blocks(blocks):walk({
    Image = function(img)
      local own = img.attributes["fig-alt"] or img.attributes["alt"]
      if own == nil and #img.caption > 0 then own = stringify(img.caption) end
      if own ~= nil and alt == nil then alt = own end
      img.attributes["fig-alt"] = nil
      img.attributes["alt"] = nil
      img.caption = pandoc.Inlines({})
      img.identifier = ""
      return img
    end,
  })
  return parked, alt
end

-- The parked float (see the header): caption first, then the content.
local function park(id, kind, caption_inlines, content)
  local attributes = { ["itp-id"] = id, ["itp-kind"] = kind }
  local blocks = pandoc.Blocks({
    pandoc.Div({ pandoc.Plain(caption_inlines) }, pandoc.Attr("", { "itp-caption" })),
  })
  if kind == "figure" then
    local parked, alt = park_images(content)
    attributes["itp-alt"] = alt
    blocks:extend(parked)
  else
    blocks:extend(content)
  end
  return pandoc.Div(blocks, pandoc.Attr("", { "itp-float" }, attributes))
end

local function float_div(div, key)
  local blocks = div.content
  local caption = pandoc.Inlines({})
  local content = pandoc.Blocks({})
  local last = blocks[#blocks]
  if last and (last.t == "Para" or last.t == "Plain") then
    caption = last.content
    for i = 1, #blocks - 1 do content:insert(blocks[i]) end
  else
    content = blocks
  end
  content = unwrap(content)
  local full = pandoc.Inlines(number_float(div.identifier, key))
  full:extend(caption)
  local kind = "figure"
  if categories[key].kind ~= "fig" and has_table(content) then kind = "table" end
  if kind == "figure" and #content > 0 and content[1].t == "Figure" and #content == 1 then
    content = content[1].content  -- a Pandoc figure inside the div: its image
  end
  local parked = park(div.identifier, kind, full, content)
  if kind == "figure" and parked.attributes["itp-alt"] == nil and #caption > 0 then
    parked.attributes["itp-alt"] = stringify(caption)
  end
  return parked
end

local function caption_inlines(blocks)
  local inlines = pandoc.Inlines({})
  for i, block in ipairs(blocks) do
    if i > 1 then inlines:insert(pandoc.Space()) end
    if block.content then inlines:extend(block.content) end
  end
  return inlines
end

local number_filter = {
  traverse = "topdown",
  Div = function(div)
    local key = key_of(div.identifier)
    if key and not numbered[div.identifier] then
      return float_div(div, key), false
    end
  end,
  Figure = function(fig)
    local key = key_of(fig.identifier)
    if key and not numbered[fig.identifier] then
      local caption = caption_inlines(fig.caption.long)
      local full = pandoc.Inlines(number_float(fig.identifier, key))
      full:extend(caption)
      local parked = park(fig.identifier, "figure", full, fig.content)
      if parked.attributes["itp-alt"] == nil and #caption > 0 then
        parked.attributes["itp-alt"] = stringify(caption)
      end
      return parked, false
    end
  end,
  Table = function(tbl)
    local key = key_of(tbl.identifier)
    if key and not numbered[tbl.identifier] and #tbl.caption.long > 0 then
      local full = pandoc.Inlines(number_float(tbl.identifier, key))
      full:extend(caption_inlines(tbl.caption.long))
      local id = tbl.identifier
      tbl.identifier = ""
      tbl.caption = { long = pandoc.Blocks({}) }
      return park(id, "table", full, pandoc.Blocks({ tbl })), false
    end
  end,
}

-- Left out: what a study does not have. A float whose cells printed a
-- ::: {.itp-left-out} div (a figure or table with nothing to show) is replaced by that
-- div's content, its one line saying why, and is not numbered; a section (from its heading
-- to the next heading of its level or above) that holds a ::: {.itp-left-out-section} div
-- is dropped whole (a design without that part: no heading, no text, no float).
local function find_div(blocks, class)
  local found = nil
  pandoc.Blocks(blocks):walk({
    Div = function(d)
      if found == nil and d.classes:includes(class) then found = d end
    end,
  })
  return found
end

local left_out_filter = {
  traverse = "topdown",
  Div = function(div)
    if key_of(div.identifier) then
      local marker = find_div(div.content, "itp-left-out")
      if marker then return marker.content, false end
    end
  end,
}

local function drop_left_out_sections(blocks)
  local drop = {}
  local heading = nil
  for i, block in ipairs(blocks) do
    if block.t == "Header" then
      heading = i
    elseif heading and find_div({ block }, "itp-left-out-section") then
      local level = blocks[heading].level
      local j = heading
      repeat
        drop[j] = true
        j = j + 1
      until j > #blocks or (blocks[j].t == "Header" and blocks[j].level <= level)
    end
  end
  local kept = pandoc.Blocks({})
  for i, block in ipairs(blocks) do
    if not drop[i] then kept:insert(block) end
  end
  return kept
end

local function capitalise(text)
  return text:sub(1, 1):upper() .. text:sub(2)
end

local function reference(citation)
  local id = citation.id
  local lower_id = id:sub(1, 1):lower() .. id:sub(2)
  local entry = numbered[lower_id]
  if entry == nil then
    io.stderr:write("[itp-stats] WARNING: unresolved cross-reference @" .. id .. "\n")
    return pandoc.Inlines({ pandoc.Strong({ pandoc.Str("?@" .. id) }) })
  end
  local category = categories[entry.key]
  local text
  if citation.mode == "SuppressAuthor" then
    text = entry.number
  else
    local prefix = category.prefix
    if id:sub(1, 1):match("%u") then prefix = capitalise(prefix) end
    -- a non-breaking space keeps "Figure" and its number on one line, as Quarto does
    text = category.space and (prefix .. "\u{a0}" .. entry.number) or (prefix .. entry.number)
  end
  local inlines = pandoc.Inlines({})
  if #citation.prefix > 0 then
    inlines:extend(citation.prefix)
    inlines:insert(pandoc.Space())
  end
  if hyperlink then
    inlines:insert(pandoc.Link(text, "#" .. lower_id))
  else
    inlines:insert(pandoc.Str(text))
  end
  if #citation.suffix > 0 then inlines:extend(citation.suffix) end
  return inlines
end

local function is_crossref(id)
  return key_of(id:sub(1, 1):lower() .. id:sub(2)) ~= nil
end

local reference_filter = {
  Cite = function(cite)
    for _, citation in ipairs(cite.citations) do
      if not is_crossref(citation.id) then return nil end
    end
    local result = pandoc.Inlines({})
    for i, citation in ipairs(cite.citations) do
      if i > 1 then result:extend({ pandoc.Str(","), pandoc.Space() }) end
      result:extend(reference(citation))
    end
    return result
  end,
}

-- Callouts ------------------------------------------------------------------------

local callout_titles = {
  note = "Note", warning = "Warning", important = "Important", tip = "Tip", caution = "Caution",
}
local callout_colours = {
  note = "0d6efd", warning = "c58f00", important = "dc3545", tip = "198754", caution = "fd7e14",
}

local function xml_escape(text)
  return (text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function callout(div)
  local kind = nil
  for _, class in ipairs(div.classes) do
    local found = class:match("^callout%-(%a+)$")
    if found and callout_titles[found] then kind = found end
  end
  if kind == nil then return nil end
  local content = div.content
  local title = nil
  if div.attributes.title then
    title = pandoc.Inlines(div.attributes.title)
  elseif #content > 0 and content[1].t == "Header" then
    title = content[1].content
    local rest = pandoc.Blocks({})
    for i = 2, #content do rest:insert(content[i]) end
    content = rest
  end
  title = title or pandoc.Inlines(callout_titles[kind])

  if is_typst() then
    local title_typst = pandoc.write(pandoc.Pandoc({ pandoc.Plain(title) }), "typst")
    title_typst = title_typst:gsub("%s+$", "")
    local blocks = pandoc.Blocks({
      pandoc.RawBlock("typst", '#itp-callout(kind: "' .. kind .. '", title: [' .. title_typst .. "])["),
    })
    blocks:extend(content)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  elseif is_docx() then
    local colour = callout_colours[kind]
    local xml = '<w:p><w:pPr><w:pBdr><w:left w:val="single" w:sz="24" w:space="4" w:color="'
      .. colour .. '"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/>'
      .. '<w:keepNext/></w:pPr><w:r><w:rPr><w:b/><w:color w:val="' .. colour .. '"/></w:rPr>'
      .. '<w:t xml:space="preserve">' .. xml_escape(stringify(title)) .. "</w:t></w:r></w:p>"
    return pandoc.Blocks({ pandoc.RawBlock("openxml", xml), pandoc.BlockQuote(content) })
  else
    -- not Quarto's class names: its parser would take the result for a callout again
    local classes = { "itp-callout", "itp-callout-" .. kind }
    return pandoc.Div({
      pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "itp-callout-title" })),
      pandoc.Div(content, pandoc.Attr("", { "itp-callout-body" })),
    }, pandoc.Attr(div.identifier, classes, {}))
  end
end

-- The running title (metadata itp-running-title, from the study configuration): an invisible
-- Typst metadata element that typography.typ's page header reads (a page set-up here, in the
-- body, would start a new page).
local function running_title(doc)
  if not is_typst() or doc.meta["itp-running-title"] == nil then return end
  local text = stringify(doc.meta["itp-running-title"])
  if text == "" then return end
  local literal = '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
  doc.blocks:insert(1, pandoc.RawBlock("typst", "#metadata(" .. literal .. ") <itp-running-title>"))
end

-- Abbreviations (see the header): the first mention of each SHORT spelled out, the others
-- shortened, walking the blocks top-down in document order.
local function has_class(el, class)
  for _, c in ipairs(el.classes) do
    if c == class then return true end
  end
  return false
end

local function abbreviations(blocks)
  local seen = {}
  return blocks:walk({
    traverse = "topdown",
    Span = function(span)
      if has_class(span, "itp-abbr-short") then return span.content, false end
      if not has_class(span, "itp-abbr") then return nil end
      local short = nil
      local long = span.content:walk({
        Span = function(inner)
          if has_class(inner, "itp-abbr-short") then
            short = short or inner.content
            return inner.content
          end
        end,
      })
      if short == nil then return long, false end
      local key = stringify(short)
      if seen[key] then return short, false end
      seen[key] = true
      return long, false
    end,
  })
end

return {
  {
    Pandoc = function(doc)
      read_options(doc.meta)
      running_title(doc)
      doc.blocks = drop_left_out_sections(doc.blocks)
      doc.blocks = doc.blocks:walk(left_out_filter)
      doc.blocks = doc.blocks:walk(number_filter)
      -- after parking: a float's caption, printed first, comes before its content
      doc.blocks = abbreviations(doc.blocks)
      doc.blocks = doc.blocks:walk(reference_filter)
      doc.blocks = doc.blocks:walk({ Div = callout })
      return doc
    end,
  },
}
