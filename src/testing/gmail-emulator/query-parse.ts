/**
 * Gmail's search syntax (`q` of `messages.list`) read into a tree: terms joined by an
 * implicit AND, `OR` and `{ }` for OR, `( )` for grouping, `-` for NOT, quoted phrases, and
 * operators whose value is a word, a quoted phrase or a group (`from:{a b}`, `to:(a OR b)`).
 * `OR` binds tighter than the implicit AND, as in Gmail: `a b OR c` is `a AND (b OR c)`.
 */

/** A node of a parsed query. A term's `operator` is `null` for a full-text word or phrase. */
export type QueryNode =
  | { readonly kind: 'and'; readonly children: readonly QueryNode[] }
  | { readonly kind: 'or'; readonly children: readonly QueryNode[] }
  | { readonly kind: 'not'; readonly child: QueryNode }
  | { readonly kind: 'term'; readonly operator: string | null; readonly value: string; readonly source: string }

/** A `q` the emulator cannot read; the message names the offending part. */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError'
}

/** Nesting of groups and negations; deeper queries are refused so recursion stays bounded. */
const MAX_QUERY_DEPTH = 64

type Token =
  | { readonly type: 'open' | 'close'; readonly char: string; readonly adjacent: boolean }
  | { readonly type: 'not' | 'or' | 'and'; readonly adjacent: boolean }
  | { readonly type: 'word'; readonly text: string; readonly quoted: boolean; readonly adjacent: boolean }
  | { readonly type: 'operator'; readonly name: string; readonly value: string | null; readonly source: string; readonly adjacent: boolean }

const DELIMITERS = new Set(['(', ')', '{', '}', '"'])
const OPERATOR_WORD = /^([a-z][a-z0-9_]*):(.*)$/is

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n'
}

/** `-` negates when it starts a term: after a blank, an opening bracket or another `-`. */
function startsTerm(previous: Token | undefined, adjacent: boolean): boolean {
  return !adjacent || previous === undefined || previous.type === 'open' || previous.type === 'not'
}

function tokenize(q: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  let adjacent = false
  while (at < q.length) {
    const c = q.charAt(at)
    if (isSpace(c)) {
      at++
      adjacent = false
      continue
    }
    if (c === '(' || c === '{') tokens.push({ type: 'open', char: c, adjacent })
    else if (c === ')' || c === '}') tokens.push({ type: 'close', char: c, adjacent })
    else if (c === '-' && startsTerm(tokens.at(-1), adjacent)) {
      if (at + 1 >= q.length || isSpace(q.charAt(at + 1))) throw new QuerySyntaxError('Invalid search query in q: - without a term after it')
      tokens.push({ type: 'not', adjacent })
    }
    else if (c === '"') {
      const end = q.indexOf('"', at + 1)
      if (end === -1) throw new QuerySyntaxError(`Invalid search query in q: unbalanced quote at ${JSON.stringify(q.slice(at))}`)
      tokens.push({ type: 'word', text: q.slice(at + 1, end), quoted: true, adjacent })
      at = end + 1
      adjacent = true
      continue
    } else {
      let end = at
      while (end < q.length && !isSpace(q.charAt(end)) && !DELIMITERS.has(q.charAt(end))) end++
      const text = q.slice(at, end)
      const operator = OPERATOR_WORD.exec(text)
      if (text === 'OR') tokens.push({ type: 'or', adjacent })
      else if (text === 'AND') tokens.push({ type: 'and', adjacent })
      else if (operator !== null) {
        const value = operator[2] ?? ''
        tokens.push({ type: 'operator', name: (operator[1] ?? '').toLowerCase(), value: value === '' ? null : value, source: text, adjacent })
      } else tokens.push({ type: 'word', text, quoted: false, adjacent })
      at = end
      adjacent = true
      continue
    }
    at++
    adjacent = true
  }
  return tokens
}

const CLOSER: Readonly<Record<string, string>> = { '(': ')', '{': '}' }

class Parser {
  private at = 0

  constructor(private readonly tokens: readonly Token[]) {}

  /** The whole query: a sequence up to the end. */
  parseAll(): QueryNode {
    const items = this.sequence(null, null, 0)
    if (items.length === 0) throw new QuerySyntaxError('Invalid search query in q: no search terms')
    return items.length === 1 && items[0] !== undefined ? items[0] : { kind: 'and', children: items }
  }

  private sequence(closer: string | null, operator: string | null, depth: number): QueryNode[] {
    const items: QueryNode[] = []
    for (;;) {
      const token = this.tokens[this.at]
      if (token === undefined) {
        if (closer !== null) throw new QuerySyntaxError(`Invalid search query in q: unbalanced brackets, ${closer} missing`)
        return items
      }
      if (token.type === 'close') {
        if (token.char !== closer) throw new QuerySyntaxError(`Invalid search query in q: unbalanced brackets, unexpected ${token.char}`)
        this.at++
        return items
      }
      if (token.type === 'and') {
        this.at++
        continue
      }
      items.push(this.disjunction(operator, depth))
    }
  }

  private disjunction(operator: string | null, depth: number): QueryNode {
    const children = [this.unary(operator, depth)]
    while (this.tokens[this.at]?.type === 'or') {
      this.at++
      children.push(this.unary(operator, depth))
    }
    return children.length === 1 && children[0] !== undefined ? children[0] : { kind: 'or', children }
  }

  private unary(operator: string | null, depth: number): QueryNode {
    if (depth > MAX_QUERY_DEPTH) throw new QuerySyntaxError(`Invalid search query in q: nested deeper than ${MAX_QUERY_DEPTH}`)
    const token = this.tokens[this.at]
    if (token?.type === 'not') {
      this.at++
      return { kind: 'not', child: this.unary(operator, depth + 1) }
    }
    return this.primary(operator, depth)
  }

  private group(open: string, operator: string | null, depth: number): QueryNode {
    const items = this.sequence(CLOSER[open] ?? ')', operator, depth + 1)
    if (items.length === 0) throw new QuerySyntaxError(`Invalid search query in q: empty ${open}${CLOSER[open] ?? ''}`)
    if (items.length === 1 && items[0] !== undefined) return items[0]
    return { kind: open === '{' ? 'or' : 'and', children: items }
  }

  private primary(operator: string | null, depth: number): QueryNode {
    const token = this.tokens[this.at++]
    if (token === undefined) throw new QuerySyntaxError('Invalid search query in q: a term is missing at the end')
    switch (token.type) {
      case 'open':
        return this.group(token.char, operator, depth)
      case 'word':
        return { kind: 'term', operator, value: token.text, source: token.quoted ? `"${token.text}"` : token.text }
      case 'operator':
        return this.operatorTerm(token, operator, depth)
      case 'close':
        throw new QuerySyntaxError(`Invalid search query in q: unexpected ${token.char}`)
      default:
        throw new QuerySyntaxError(`Invalid search query in q: ${token.type === 'or' ? 'OR' : token.type === 'and' ? 'AND' : '-'} without a term after it`)
    }
  }

  private operatorTerm(token: Extract<Token, { type: 'operator' }>, outer: string | null, depth: number): QueryNode {
    if (outer !== null) throw new QuerySyntaxError(`Unsupported search term in q: ${JSON.stringify(token.source)} inside ${outer}:( ), the emulator does not nest operators`)
    if (token.value !== null) return { kind: 'term', operator: token.name, value: token.value, source: token.source }
    const next = this.tokens[this.at]
    if (next === undefined || !next.adjacent || (next.type !== 'open' && !(next.type === 'word' && next.quoted))) {
      throw new QuerySyntaxError(`Invalid search query in q: ${JSON.stringify(token.source)} has no value`)
    }
    this.at++
    if (next.type === 'word') return { kind: 'term', operator: token.name, value: next.text, source: `${token.source}"${next.text}"` }
    return this.group(next.char, token.name, depth)
  }
}

/**
 * Parses `q` into a tree; throws {@link QuerySyntaxError} for malformed syntax (unbalanced
 * brackets or quotes, a dangling `OR` or `-`, an operator without a value, nested operators).
 * Operators are not checked here: evaluation decides which ones are modelled.
 *
 * @example
 * ```ts
 * parseQueryTree('{from:a@x.example to:a@x.example} -in:drafts')
 * // { kind: 'and', children: [{ kind: 'or', ... }, { kind: 'not', child: { kind: 'term', operator: 'in', ... } }] }
 * ```
 */
export function parseQueryTree(q: string): QueryNode {
  return new Parser(tokenize(q)).parseAll()
}
