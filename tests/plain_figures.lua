-- Used by test_pandoc.py when reading output back into plain text: pandoc's plain writer
-- prints a figure whose image sits in a paragraph (as pandoc's LaTeX reader makes it) as the
-- image's alt text alone, without the caption. As a plain block the caption is printed.
function Figure(fig)
  fig.content = fig.content:walk({Para = function(para) return pandoc.Plain(para.content) end})
  return fig
end
