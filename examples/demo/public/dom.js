/**
 * Tiny DOM helpers. Every piece of text from the API goes through text nodes or
 * `textContent`: the page never parses a string as HTML, so mail content cannot inject markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg'

/** Icon outlines (24x24, stroked), drawn with DOM calls so no markup string is ever parsed. */
const ICONS = {
  chevron: ['M9 6l6 6-6 6'],
  paperclip: ['M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9'],
  refresh: ['M20 12a8 8 0 1 1-2.3-5.6', 'M20 4v5h-5'],
  inbox: ['M3 13l3-8h12l3 8', 'M3 13v6h18v-6h-5l-1.5 2h-5L8 13z'],
  search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M20 20l-4-4'],
  lock: ['M6 11h12v9H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
}

/**
 * Creates an element. `props`: `class`, `text` (textContent), `on` (event listeners),
 * `dataset`; any other key becomes an attribute (`true` sets it empty; `false`, `null` and
 * `undefined` leave it out). Children are nodes or strings (as text); null and false are skipped.
 *
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | number | null | undefined | false | (Node | string | null | undefined | false)[])} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = String(value)
    else if (key === 'text') node.textContent = String(value)
    else if (key === 'on') for (const [type, listener] of Object.entries(value)) node.addEventListener(type, listener)
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  append(node, children)
  return node
}

/**
 * Appends children (nodes, or strings as text), flattening arrays.
 *
 * @param {Element} node
 * @param {unknown[]} children
 */
export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/**
 * A decorative icon (hidden from assistive technology).
 *
 * @param {keyof typeof ICONS} name
 * @param {string} [className]
 * @returns {SVGSVGElement}
 */
export function icon(name, className = 'icon') {
  const svg = document.createElementNS(SVG_NS, 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', className)
  svg.setAttribute('aria-hidden', 'true')
  svg.setAttribute('focusable', 'false')
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG_NS, 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  return svg
}

/**
 * The element with this id; throws when the page lacks it (a broken page should fail loudly).
 *
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`The page has no #${id}`)
  return node
}

/**
 * Marks a region busy while `work` runs (`aria-busy`), and clears it however the work ends.
 *
 * @template T
 * @param {Element} region
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(region, work) {
  region.setAttribute('aria-busy', 'true')
  try {
    return await work()
  } finally {
    region.removeAttribute('aria-busy')
  }
}

/**
 * Moves focus among `items` with the arrow keys, Home and End (a list's roving focus).
 *
 * @param {Element} container
 * @param {string} selector the focusable items
 */
export function arrowNavigation(container, selector) {
  container.addEventListener('keydown', (event) => {
    if (!(event instanceof KeyboardEvent) || event.altKey || event.ctrlKey || event.metaKey) return
    const target = event.target
    if (!(target instanceof HTMLElement) || !target.matches(selector)) return
    const items = [...container.querySelectorAll(selector)].filter((item) => item.closest('[hidden]') === null)
    const index = items.indexOf(target)
    const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[event.key]
    if (next === undefined || index === -1) return
    const item = items[Math.max(0, Math.min(items.length - 1, next))]
    if (item instanceof HTMLElement) {
      event.preventDefault()
      item.focus()
    }
  })
}
