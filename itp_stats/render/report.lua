--[[
report.lua: the Quarto subset the itp-stats built-in renderer supports, as a Pandoc filter.

  * numbers figures and tables (and crossref.custom float types) in document order and
    prefixes their captions ("Figure 1: ..."), honouring Quarto's crossref options
    fig-title, tbl-title, fig-prefix, tbl-prefix, title-delim, labels, fig-labels,
    tbl-labels, ref-hyperlink and custom (kind: float, key, reference-prefix,
    caption-prefix, space-before-numbering): custom types give "Figure S1"-style numbers;
  * turns Quarto's float div syntax (::: {#fig-x} content, caption as last paragraph :::)
    into a Pandoc Figure, or into a captioned Table when it holds a table;
  * resolves @fig-x / @tbl-x (and custom keys) to "Figure 1" links; [-@fig-x] gives the
    number alone; @Fig-x capitalises; unknown ids render as ?@id with a warning;
  * draws callouts (.callout-note/-warning/-important/-tip/-caution, optional title) in
    HTML, Typst and DOCX;
  * gives every image an alt text: the cell's fig-alt (a fig-alt attribute written by the
    renderer), else its figure's caption (without the "Figure 1:" number), else "Figure".

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

local function prefix_caption(caption_blocks, prefix)
  if #caption_blocks == 0 then
    return pandoc.Blocks({ pandoc.Plain(prefix) })
  end
  local first = caption_blocks[1]
  if first.content then
    local inlines = pandoc.Inlines(prefix)
    inlines:extend(first.content)
    first.content = inlines
  end
  return caption_blocks
end

local function has_table(blocks)
  local found = false
  pandoc.Blocks(blocks):walk({ Table = function() found = true end })
  return found
end

-- A float's content, without the wrappers that only group it (a cell div around one
-- image), so that writers see a simple figure (DOCX would otherwise draw a table).
local function unwrap(blocks)
  while #blocks == 1 and blocks[1].t == "Div" and blocks[1].identifier == "" do
    blocks = blocks[1].content
  end
  return blocks
end

-- Images of a figure without an alt text take `caption` (inlines) as theirs.
local function alt_from_caption(blocks, caption)
  if caption == nil or #caption == 0 then return blocks end
  return pandoc.Blocks(blocks):walk({
    Image = function(img)
      if #img.caption == 0 and img.attributes["fig-alt"] == nil then
        img.caption = caption:clone()
        return img
      end
    end,
  })
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
  local prefix = number_float(div.identifier, key)
  if categories[key].kind ~= "fig" and has_table(content) then
    local full = pandoc.Inlines(prefix)
    full:extend(caption)
    local done = false
    -- the caption and the id go on the (first) table itself
    return content:walk({
      Table = function(t)
        if not done then
          done = true
          t.caption = { long = pandoc.Blocks({ pandoc.Plain(full) }) }
          t.identifier = div.identifier
          return t
        end
      end,
    })
  end
  content = alt_from_caption(content, caption)
  local full = pandoc.Inlines(prefix)
  full:extend(caption)
  return pandoc.Figure(content, { long = pandoc.Blocks({ pandoc.Plain(full) }) },
    pandoc.Attr(div.identifier, div.classes, div.attributes))
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
    local first = fig.caption.long[1]
    if first and first.content then
      fig.content = alt_from_caption(fig.content, pandoc.Inlines(first.content))
    end
    if key and not numbered[fig.identifier] then
      fig.caption.long = prefix_caption(fig.caption.long, number_float(fig.identifier, key))
      return fig, false
    end
    return fig
  end,
  Table = function(tbl)
    local key = key_of(tbl.identifier)
    if key and not numbered[tbl.identifier] and #tbl.caption.long > 0 then
      tbl.caption.long = prefix_caption(tbl.caption.long, number_float(tbl.identifier, key))
      return tbl
    end
  end,
}

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
    local classes = { "callout", "callout-" .. kind }
    return pandoc.Div({
      pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" })),
      pandoc.Div(content, pandoc.Attr("", { "callout-body" })),
    }, pandoc.Attr(div.identifier, classes, {}))
  end
end

-- Alt texts: fig-alt wins; an image still without one is named as a figure.
local alt_filter = {
  Image = function(img)
    local alt = img.attributes["fig-alt"]
    if alt ~= nil then
      img.attributes["fig-alt"] = nil
      img.caption = pandoc.Inlines(alt)
    elseif #img.caption == 0 then
      img.caption = pandoc.Inlines("Figure")
    else
      return nil
    end
    return img
  end,
}

return {
  {
    Pandoc = function(doc)
      read_options(doc.meta)
      doc.blocks = doc.blocks:walk(number_filter)
      doc.blocks = doc.blocks:walk(reference_filter)
      doc.blocks = doc.blocks:walk({ Div = callout })
      doc.blocks = doc.blocks:walk(alt_filter)
      return doc
    end,
  },
}
